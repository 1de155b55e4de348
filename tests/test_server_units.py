"""Pieces of `reign serve` that need no server process: scope narrowing, tokens, the Slack message."""

from __future__ import annotations

from pathlib import Path

import pytest

from reign.config import Settings
from reign.errors import ReignError
from reign.server.config import ServerConfig, sqlalchemy_url
from reign.server.db import Database
from reign.server.scope import scoped_settings
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
    jane = scoped_settings(base, run, {"impersonate_user": "jane", "impersonate_group": "devs"})
    assert (jane.kube_impersonate_user, jane.kube_impersonate_group) == ("jane", "devs")


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
