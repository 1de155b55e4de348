"""Reign's one database (reign/db): sessions and the audit head live beside the server's tables, migrated by
Alembic, on SQLite (a real file) and on a real PostgreSQL server (scripts/postgres.sh); a session file written
before Alembic is adopted with every row. The model is the scripted provider (no LLM API runs here)."""

from __future__ import annotations

import json
import os
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest
import sqlalchemy as sa
from conftest import ScriptedProvider, turn
from conftest_server import new_pg_database

from reign import sessions
from reign.approval import NonInteractive
from reign.audit import Head
from reign.config import Settings
from reign.db import APPLICATION_ID, SQLITE_VERSION
from reign.db.engine import HEAD, KNOWN, shared
from reign.errors import ReignError
from reign.sessions import SessionStore
from reign.wiring import Options, build_agent

ROOT = Path(__file__).resolve().parent.parent
REIGN = str(Path(sys.executable).parent / "reign")

# The session file's schema before Alembic (reign/sessions.py, schema version 1), as users' machines hold it.
LEGACY_SCHEMA = """
CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE sessions (
  id TEXT PRIMARY KEY, goal TEXT NOT NULL, started TEXT NOT NULL, updated TEXT NOT NULL, ended TEXT,
  status TEXT NOT NULL, error TEXT NOT NULL DEFAULT '', steps INTEGER NOT NULL DEFAULT 0,
  input_tokens INTEGER NOT NULL DEFAULT 0, output_tokens INTEGER NOT NULL DEFAULT 0,
  scope TEXT NOT NULL, pid INTEGER, host TEXT);
CREATE INDEX sessions_started ON sessions(started);
CREATE TABLE messages (
  session TEXT NOT NULL REFERENCES sessions(id), seq INTEGER NOT NULL, role TEXT NOT NULL,
  body TEXT NOT NULL, created TEXT NOT NULL, PRIMARY KEY (session, seq));
CREATE TABLE calls (
  session TEXT NOT NULL REFERENCES sessions(id), message INTEGER NOT NULL, idx INTEGER NOT NULL,
  step INTEGER NOT NULL, call_id TEXT NOT NULL, tool TEXT NOT NULL, args TEXT NOT NULL, state TEXT NOT NULL,
  decision TEXT, rule TEXT, reason TEXT, approved INTEGER, ok INTEGER, output TEXT, duration_ms REAL,
  started TEXT, finished TEXT, PRIMARY KEY (session, message, idx));
CREATE TABLE approvals (
  session TEXT NOT NULL REFERENCES sessions(id), digest TEXT NOT NULL, created TEXT NOT NULL,
  PRIMARY KEY (session, digest));
CREATE TABLE audit_head (
  trail TEXT PRIMARY KEY, seq INTEGER NOT NULL, hash TEXT NOT NULL, mac TEXT, updated TEXT NOT NULL);
"""


def run(settings: Settings, goal: str, *turns: object, resume: str | None = None) -> tuple[str, str]:
    plan = sessions.start(settings, resume=resume, read_only=None, policies=[])
    agent = build_agent(plan.settings, ScriptedProvider(list(turns)), Options(plan=plan, approver=NonInteractive()))
    result = plan.run(agent, goal)
    return plan.id, result.stop_reason


def test_the_code_knows_alembics_head_revision() -> None:
    from alembic.config import Config
    from alembic.script import ScriptDirectory

    cfg = Config()
    cfg.set_main_option("script_location", str(ROOT / "reign" / "migrations"))
    script = ScriptDirectory.from_config(cfg)
    assert script.get_current_head() == HEAD
    assert sorted(r.revision for r in script.walk_revisions()) == sorted(KNOWN)


def test_a_session_file_from_before_alembic_is_adopted_with_every_row(tmp_path: Path) -> None:
    path = tmp_path / "sessions.db"
    scope = sessions.Scope(provider="anthropic", workspace_root=str(tmp_path), cwd=str(tmp_path))
    with sqlite3.connect(path) as db:
        db.executescript(LEGACY_SCHEMA)
        db.execute(f"PRAGMA application_id = {APPLICATION_ID}")
        db.execute("PRAGMA user_version = 1")
        db.execute("INSERT INTO sessions (id, goal, started, updated, status, scope, steps) VALUES "
                   "('old1', 'list pods', '2026-11-01T10:00:00Z', '2026-11-01T10:00:05Z', 'completed', ?, 2)",
                   (scope.model_dump_json(),))
        db.execute("""INSERT INTO messages VALUES ('old1', 1, 'user', '{"role":"user","text":"list pods"}', 'x')""")
        db.execute("""INSERT INTO messages VALUES ('old1', 2, 'assistant', '{"role":"assistant","text":"",
                   "tool_calls":[{"id":"t1","name":"bash","args":{"command":"kubectl get pods"}}]}', 'x')""")
        db.execute("INSERT INTO calls (session, message, idx, step, call_id, tool, args, state, decision, rule, ok, "
                   "output) VALUES ('old1', 2, 0, 1, 't1', 'bash', '{}', 'finished', 'allow', 'read', 1, 'pod-a')")
        db.execute("INSERT INTO approvals VALUES ('old1', 'abc123', 'x')")
        db.execute("INSERT INTO audit_head VALUES ('/var/trail.jsonl', 7, 'h7', NULL, 'x')")
    db.close()

    store = SessionStore(path)
    info = store.find("old")
    assert (info.id, info.goal, info.status, info.steps) == ("old1", "list pods", "completed", 2)
    [call] = store.calls("old1")
    assert (call["output"], call["approved_by"]) == ("pod-a", None)  # the column added since is there
    assert [m.role for m in store.transcript("old1")] == ["user", "assistant", "tool"]
    assert store.approvals("old1") == {"abc123"}
    assert store.audit_head(Path("/var/trail.jsonl")) == Head(7, "h7", None)
    with sqlite3.connect(path) as raw:
        tables = {r[0] for r in raw.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
        assert raw.execute("PRAGMA user_version").fetchone()[0] == SQLITE_VERSION
        assert raw.execute("SELECT version_num FROM reign_alembic_version").fetchone()[0] == HEAD
    raw.close()
    assert not tables & {"sessions", "messages", "calls", "approvals", "audit_head", "meta"}
    assert {"reign_sessions", "reign_calls", "reign_users", "reign_runs"} <= tables
    # and it takes new sessions, resumable like any other
    settings = Settings(workspace_root=tmp_path, sessions_db=path)
    new, stop = run(settings, "again", turn("done"))
    assert stop == "completed" and {i.id for i in SessionStore(path).recent()} == {"old1", new}


def test_a_server_database_at_the_first_revision_gains_the_session_tables(tmp_path: Path) -> None:
    """A `reign serve` database made before sessions moved in (revision 0001) keeps its users."""
    from alembic import command
    from alembic.config import Config

    url = f"sqlite:///{tmp_path / 'server.db'}"
    engine = sa.create_engine(url)
    cfg = Config()
    cfg.set_main_option("script_location", str(ROOT / "reign" / "migrations"))
    with engine.begin() as conn:
        cfg.attributes["connection"] = conn
        command.upgrade(cfg, "0001")
        conn.execute(sa.text("INSERT INTO reign_users VALUES ('ana', 'admin', 'h', '{}', 'now', NULL)"))
    engine.dispose()
    store = SessionStore(url)
    assert store.recent() == []
    with sqlite3.connect(tmp_path / "server.db") as raw:
        assert raw.execute("SELECT name FROM reign_users").fetchall() == [("ana",)]
        assert raw.execute("SELECT version_num FROM reign_alembic_version").fetchone()[0] == HEAD
    raw.close()


def test_a_database_url_from_a_newer_reign_is_refused_untouched(tmp_path: Path) -> None:
    path = tmp_path / "s.db"
    SessionStore(path).recent()
    with sqlite3.connect(path) as raw:
        raw.execute("UPDATE reign_alembic_version SET version_num = '9999'")
    raw.execute("PRAGMA wal_checkpoint(TRUNCATE)")  # everything in the main file, to compare it byte for byte
    raw.close()
    before = path.read_bytes()
    script = ("from reign.sessions import SessionStore\nimport sys\n"
              "try:\n    SessionStore(sys.argv[1]).recent()\nexcept Exception as e:\n    print(e)")
    out = subprocess.run([sys.executable, "-c", script, str(path)], capture_output=True, text=True, check=True)
    assert "revision 9999, written by a newer Reign" in out.stdout and "not modified" in out.stdout
    assert path.read_bytes() == before


def test_an_unreachable_database_is_one_line(tmp_path: Path) -> None:
    store = SessionStore("postgresql://reign@127.0.0.1:1/nothing")
    with pytest.raises(ReignError) as err:
        store.recent()
    assert "127.0.0.1:1/nothing" in str(err.value) and "\n" not in str(err.value)


@pytest.fixture
def pg_url(pg_admin_url: str) -> str:
    return new_pg_database(pg_admin_url)


def test_sessions_live_in_postgresql_and_every_process_on_it_shares_them(
        pg_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Two processes (as two machines would) record into one PostgreSQL database; each sees the other's
    sessions, resumes them, and keeps its own audit head (trails are per host, keyed by host and path)."""
    settings = Settings(workspace_root=tmp_path, database_url=pg_url, sessions_db=tmp_path / "unused.db")
    first, stop = run(settings, "count pods", turn("", ("bash", {"command": "echo 3 pods"})), turn("three"))
    assert stop == "completed" and not (tmp_path / "unused.db").exists()

    # another process, told only the URL (REIGN_DATABASE_URL), lists, shows and resumes it
    env = {**os.environ, "REIGN_DATABASE_URL": pg_url, "HOME": str(tmp_path / "other-home")}
    listed = subprocess.run([REIGN, "sessions", "--json"], env=env, cwd=tmp_path,
                            capture_output=True, text=True, timeout=120)
    assert listed.returncode == 0, listed.stderr
    rows = [json.loads(line) for line in listed.stdout.splitlines()]
    assert [(r["id"], r["goal"], r["status"], r["steps"]) for r in rows] == [(first, "count pods", "completed", 2)]
    shown = subprocess.run([REIGN, "sessions", "show", first], env=env, cwd=tmp_path,
                           capture_output=True, text=True, timeout=120)
    assert shown.returncode == 0 and "3 pods" in shown.stdout and "[assistant] three" in shown.stdout

    again, stop = run(settings, "and now?", turn("still three"), resume=first)
    assert (again, stop) == (first, "completed")
    store = SessionStore(pg_url)
    assert [m.role for m in store.transcript(first)][-2:] == ["user", "assistant"]
    assert store.find(first).steps == 3

    trail = tmp_path / "audit" / "trail.jsonl"
    store.set_audit_head(trail, Head(3, "a" * 64))
    assert store.audit_head(trail) == Head(3, "a" * 64)
    with shared(pg_url).engine.connect() as conn:
        keys = conn.execute(sa.text("SELECT trail FROM reign_audit_head")).scalars().all()
    assert any(k.endswith(str(trail.resolve())) and k.split(":", 1)[0] for k in keys)
    assert SessionStore(pg_url).audit_head(tmp_path / "elsewhere.jsonl") is None


def test_postgresql_sessions_need_no_file_and_migrate_once(pg_url: str) -> None:
    from alembic.autogenerate import compare_metadata
    from alembic.migration import MigrationContext

    from reign.db.tables import metadata

    store = SessionStore(pg_url)
    assert store.path is None and store.recent() == []
    with shared(pg_url).engine.connect() as conn:
        diffs = compare_metadata(MigrationContext.configure(conn), metadata)
        version = conn.execute(sa.text("SELECT version_num FROM reign_alembic_version")).scalar()
    assert version == HEAD
    assert [d for d in diffs if not (d[0] == "remove_table" and d[1].name == "reign_alembic_version")] == []


def test_an_unusable_database_url_is_refused_before_the_first_request(tmp_path: Path) -> None:
    """A CLI run opens its database only after the model's first answer; a URL it cannot use is refused at
    once, in one line, before a token is spent."""
    env = {**{k: v for k, v in os.environ.items() if not k.startswith(("REIGN_", "ANTHROPIC", "OPENAI"))},
           "HOME": str(tmp_path), "REIGN_DATABASE_URL": "mysql://reign@db/reign"}
    cassette = ROOT / "examples" / "machine-report" / "cassette.yaml"
    for args in (["run", "--cassette", str(cassette), "Report on this machine"], ["sessions"]):
        done = subprocess.run([REIGN, *args], env=env, cwd=tmp_path, capture_output=True, text=True, timeout=120)
        assert done.returncode == 1, done.stdout
        assert "unsupported database URL mysql://" in done.stderr and "Traceback" not in done.stderr
        assert "[step" not in done.stdout and len(done.stderr.strip().splitlines()) == 1
