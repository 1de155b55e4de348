"""Pieces of `reign serve` that need no server process: scope narrowing, tokens, the Slack message."""

from __future__ import annotations

from pathlib import Path

import pytest

from reign.config import Settings
from reign.errors import ReignError
from reign.server.config import ServerConfig, sqlalchemy_url
from reign.server.db import Database
from reign.server.scope import can_see, scoped_settings
from reign.server.users import add, authenticate, revoke
from reign.server.webhook import slack_message


def test_a_user_scope_narrows_and_never_widens(tmp_path: Path) -> None:
    base = Settings(kube_namespaces=["a", "b"], kube_context="staging", workspace_root=tmp_path)
    run = {"provider": None, "model": "m1", "max_steps": 4}
    narrowed = scoped_settings(base, run, {"namespaces": ["b", "c"], "kube_contexts": ["staging", "dev"]})
    assert narrowed.kube_namespaces == ["b"] and narrowed.kube_context == "staging"
    assert narrowed.model == "m1" and narrowed.max_steps == 4
    with pytest.raises(ReignError, match="namespace"):
        scoped_settings(base, run, {"namespaces": ["c"]})
    with pytest.raises(ReignError, match="staging is not allowed"):
        scoped_settings(base, run, {"kube_contexts": ["prod"]})
    other = tmp_path / "other"
    other.mkdir()
    assert scoped_settings(base, run, {"workspaces": [str(other)]}).workspace_root == other.resolve()
    assert scoped_settings(base, run, {"workspaces": [str(tmp_path)]}).workspace_root == tmp_path.resolve()
    unlimited = scoped_settings(Settings(workspace_root=tmp_path), run, {"namespaces": ["c"]})
    assert unlimited.kube_namespaces == ["c"]
    jane = scoped_settings(base, run, {"impersonate_user": "jane", "impersonate_groups": ["devs", "ops"]})
    assert (jane.kube_impersonate_user, jane.kube_impersonate_groups) == ("jane", ["devs", "ops"])
    # a scope stored before several groups were allowed still impersonates its one group
    legacy = scoped_settings(base, run, {"impersonate_user": "jane", "impersonate_group": "devs"})
    assert (legacy.kube_impersonate_user, legacy.kube_impersonate_groups) == ("jane", ["devs"])
    assert scoped_settings(base, run, {"impersonate_user": "jane", "impersonate_group": None}) \
        .kube_impersonate_groups == []
    # the server's own impersonation group never joins a user's
    server_group = base.model_copy(update={"kube_impersonate_user": "svc", "kube_impersonate_group": "admins"})
    mine = scoped_settings(server_group, run, {"impersonate_user": "jane", "impersonate_groups": ["devs"]})
    assert (mine.kube_impersonate_user, mine.kube_impersonate_group, mine.kube_impersonate_groups) == \
        ("jane", None, ["devs"])


def test_a_stored_one_group_scope_reads_as_a_list_of_groups(tmp_path: Path) -> None:
    from reign.server.users import list_text

    db = Database(f"sqlite:///{tmp_path / 's.db'}")
    db.migrate()
    db.add_user("jane", "operator", "h" * 64, {"namespaces": ["a"], "impersonate_user": "jane@example.com",
                                               "impersonate_group": "devs"})  # as stored before
    assert "impersonate_groups=devs" in list_text(db.list_users())
    user = db.user("jane") or {}
    assert scoped_settings(Settings(workspace_root=tmp_path), {}, user["scope"]).kube_impersonate_groups == ["devs"]


def _user(name: str, role: str = "viewer", **scope: object) -> dict[str, object]:
    return {"name": name, "role": role, "scope": scope}


def _run(by: str, **scope: object) -> dict[str, object]:
    return {"id": "r", "requested_by": by, "scope": scope}


def test_who_may_see_a_run(tmp_path: Path) -> None:
    """can_see: admins and the starter always; anyone else when the run's recorded scope lies within theirs."""
    team, sub = tmp_path / "team", tmp_path / "team" / "app"
    sub.mkdir(parents=True)
    runs = {
        "free": _run("ann"),
        "a": _run("ann", namespaces=["a"]),
        "ab": _run("ann", namespaces=["a", "b"]),
        "a-staging": _run("ann", namespaces=["a"], kube_contexts=["staging"]),
        "app": _run("ann", workspaces=[str(sub)]),
        "jane": _run("ann", namespaces=["a"], impersonate_user="jane", impersonate_groups=["devs"]),
        "jane2": _run("ann", namespaces=["a"], impersonate_user="jane", impersonate_groups=["devs", "ops"]),
        "legacy": {"id": "r", "requested_by": "ann", "scope": None},
    }

    def seen(user: dict[str, object]) -> set[str]:
        return {name for name, run in runs.items() if can_see(user, run)}

    assert seen(_user("root", "admin", namespaces=["z"])) == set(runs)
    assert seen(_user("ann", "operator", namespaces=["z"])) == set(runs)  # the starter sees her own
    assert seen(_user("vic")) == set(runs) - {"legacy"}  # unscoped: all but the unrecorded
    assert seen(_user("vic", namespaces=["a"])) == {"a", "a-staging", "jane", "jane2"}
    assert seen(_user("vic", namespaces=["a", "b"])) == {"a", "ab", "a-staging", "jane", "jane2"}
    assert seen(_user("vic", namespaces=["b"])) == set()
    assert seen(_user("vic", kube_contexts=["staging"])) == {"a-staging"}
    assert seen(_user("vic", workspaces=[str(team)])) == {"app"}
    assert seen(_user("vic", workspaces=[str(tmp_path / "elsewhere")])) == set()
    # impersonating someone limits: runs on the server's own credentials or another identity are wider
    assert seen(_user("vic", impersonate_user="jane", impersonate_groups=["devs"])) == {"jane"}
    assert seen(_user("vic", impersonate_user="jane", impersonate_groups=["devs", "ops"])) == {"jane", "jane2"}
    assert seen(_user("vic", impersonate_user="bob", impersonate_groups=["devs", "ops"])) == set()
    assert seen(_user("vic", namespaces=["a"], impersonate_group="devs", impersonate_user="jane")) == {"jane"}


def test_visible_runs_reads_past_runs_the_user_may_not_see(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from reign.server import scope

    monkeypatch.setattr(scope, "PAGE", 3)
    db = Database(f"sqlite:///{tmp_path / 's.db'}")
    db.migrate()
    for i in range(5):
        db.create_run(f"a{i}", "g", "ann", provider=None, model=None, max_steps=None, cassette=None,
                      scope={"namespaces": ["a"]})
    for i in range(7):  # newer, and outside vic's view
        db.create_run(f"b{i}", "g", "bob", provider=None, model=None, max_steps=None, cassette=None,
                      scope={"namespaces": ["b"]})
    vic = _user("vic", namespaces=["a"])
    first = [r["id"] for r in scope.visible_runs(db, vic, limit=4)]
    assert len(first) == 4 and set(first) < {f"a{i}" for i in range(5)}
    assert sorted(r["id"] for r in scope.visible_runs(db, vic)) == [f"a{i}" for i in range(5)]
    assert len(scope.visible_runs(db, _user("root", "admin"), limit=100)) == 12
    assert scope.visible_sessions(db, vic, ["a1", "b1", "cli-session"]) == {"a1"}
    assert scope.visible_sessions(db, _user("root", "admin"), ["a1", "cli-session"]) == {"a1", "cli-session"}


@pytest.mark.parametrize("kind", ["sqlite", "postgresql"])
def test_the_scope_migration_records_each_old_runs_requester_scope(tmp_path: Path, kind: str,
                                                                   request: pytest.FixtureRequest) -> None:
    """Runs from before scopes were stored get their requester's scope; a run of no known user stays NULL.
    On a real PostgreSQL server too (scripts/postgres.sh)."""
    from alembic import command
    from alembic.config import Config
    from conftest_server import new_pg_database

    url = f"sqlite:///{tmp_path / 'm.db'}" if kind == "sqlite" else \
        new_pg_database(request.getfixturevalue("pg_admin_url"))
    db = Database(url)
    cfg = Config()
    cfg.set_main_option("script_location", str(Path(__file__).parent.parent / "reign" / "migrations"))
    with db.engine.begin() as conn:
        cfg.attributes["connection"] = conn
        command.upgrade(cfg, "0002")
        conn.exec_driver_sql("INSERT INTO reign_users VALUES ('ann', 'operator', 'h', '{\"namespaces\": [\"a\"]}', "
                             "'2026-01-01', NULL)")
        for run_id, by in (("old", "ann"), ("orphan", "gone")):
            conn.exec_driver_sql(f"INSERT INTO reign_runs (id, goal, requested_by, status, steps, created, updated) "
                                 f"VALUES ('{run_id}', 'g', '{by}', 'completed', 1, '2026-01-01', '2026-01-01')")
    db.migrate()
    assert (db.run("old") or {})["scope"] == {"namespaces": ["a"]}
    assert (db.run("orphan") or {})["scope"] is None
    assert can_see(_user("vic", namespaces=["a"]), db.run("old") or {})
    assert not can_see(_user("vic"), db.run("orphan") or {})


def test_tokens_are_stored_hashed_and_revocable(tmp_path: Path) -> None:
    db = Database(f"sqlite:///{tmp_path / 's.db'}")
    db.migrate()
    token = add(db, "alice", "approver")
    assert token.startswith("rgn_") and len(token) > 40
    raw = db.engine.raw_connection()
    try:
        stored = raw.cursor().execute("SELECT token_hash FROM reign_users").fetchone()[0]
    finally:
        raw.close()
    assert token not in stored and len(stored) == 64
    user = authenticate(db, token)
    assert user is not None and user["name"] == "alice" and user["role"] == "approver"
    assert authenticate(db, token + "x") is None and authenticate(db, "") is None
    with pytest.raises(ReignError, match="exists"):
        add(db, "alice", "viewer")
    with pytest.raises(ReignError, match="bad role"):
        add(db, "bob", "root")
    with pytest.raises(ReignError, match="bad user name"):
        add(db, "bob smith", "viewer")
    revoke(db, "alice")
    assert authenticate(db, token) is None
    with pytest.raises(ReignError, match="no active user"):
        revoke(db, "alice")
    assert authenticate(db, add(db, "alice", "viewer")) is not None  # a new token after revoking


def test_slack_message_escapes_model_text_and_links_to_the_approval() -> None:
    cfg = ServerConfig(public_url="https://reign.example.com/")
    pending = {"digest": "d" * 64, "tool": "bash", "effect": "write", "rule": "r",
               "args": {"command": "echo '<!channel> <https://evil|click>' ```"}}
    message = slack_message(cfg, "run1", pending)
    link = f"https://reign.example.com/runs/run1?approve={'d' * 64}"
    assert link in message["text"] and message["blocks"][2]["elements"][0]["url"] == link
    body = message["blocks"][1]["text"]["text"]
    assert "<!channel>" not in body and "&lt;!channel&gt;" in body and body.count("```") == 2


def test_database_urls() -> None:
    assert sqlalchemy_url("postgres://u@h/db") == "postgresql+psycopg://u@h/db"
    assert sqlalchemy_url("postgresql://u@h/db") == "postgresql+psycopg://u@h/db"
    assert ServerConfig(database_url="postgresql://u@h/db").dbos_url == "postgresql://u@h/db"


def test_bad_databases_are_one_line_errors() -> None:
    with pytest.raises(ReignError, match="unsupported database URL mysql"):
        Database("mysql://user@host/db")
    with pytest.raises(ReignError, match=r"database postgresql\+psycopg://x@127.0.0.1:1/db: connection failed"):
        Database("postgresql://x@127.0.0.1:1/db").migrate()


def test_the_migrations_build_exactly_the_tables_the_code_uses(tmp_path: Path) -> None:
    from alembic.autogenerate import compare_metadata
    from alembic.migration import MigrationContext

    from reign.db.tables import metadata

    db = Database(f"sqlite:///{tmp_path / 'm.db'}")
    db.migrate()
    db.migrate()  # idempotent
    with db.engine.connect() as conn:
        diffs = compare_metadata(MigrationContext.configure(conn), metadata)
    assert [d for d in diffs if not (d[0] == "remove_table" and d[1].name == "reign_alembic_version")] == []


def test_an_earlier_server_database_is_pointed_at_not_dropped(tmp_path: Path) -> None:
    """Before sessions joined it, the server's default database was server.db in the state dir: a user who
    relies on the new default is told where the old one (its users) is, and it is left as it is."""
    import os
    import subprocess
    import sys

    home = tmp_path / "home"
    old = home / ".local" / "state" / "reign" / "server.db"
    Database(f"sqlite:///{old}").migrate()
    before = old.read_bytes()
    env = {k: v for k, v in os.environ.items() if not k.startswith("REIGN_") and k != "DATABASE_URL"}
    env.update(HOME=str(home), XDG_STATE_HOME=str(home / ".local" / "state"), XDG_CONFIG_HOME=str(home / ".config"))
    cli = [sys.executable, "-c", "from reign.cli import entry; entry()", "users", "list"]
    default = subprocess.run(cli, env=env, cwd=tmp_path, capture_output=True, text=True, timeout=120)
    assert default.returncode == 0, default.stderr
    assert f"an earlier `reign serve` database is at {old}" in default.stderr
    assert f"--database-url sqlite:///{old}" in default.stderr
    assert old.read_bytes() == before  # the default database is another file: the old one is untouched
    given = subprocess.run([*cli, "--database-url", f"sqlite:///{old}"], env=env, cwd=tmp_path,
                           capture_output=True, text=True, timeout=120)
    assert given.returncode == 0 and "earlier" not in given.stderr
