"""Sessions and the audit trail's head join the server's tables: every run, CLI or server, records here.

A session file written before Alembic (SQLite, application id "REGN", tables without the `reign_` prefix) is
adopted in place: its tables are renamed and keep every row.

Revision ID: 0002
Revises: 0001
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None

LEGACY = {"sessions": "reign_sessions", "messages": "reign_messages", "calls": "reign_calls",
          "approvals": "reign_session_approvals", "audit_head": "reign_audit_head"}


def upgrade() -> None:
    bind = op.get_bind()
    if bind.dialect.name == "sqlite" and _legacy_session_file(bind):
        _adopt_legacy(bind)
    else:
        _create()
    op.create_index("reign_sessions_started", "reign_sessions", ["started"])


def _legacy_session_file(bind: sa.Connection) -> bool:
    app = bind.exec_driver_sql("PRAGMA application_id").scalar()
    return app == 0x5245474E and sa.inspect(bind).has_table("sessions")


def _adopt_legacy(bind: sa.Connection) -> None:
    have = set(sa.inspect(bind).get_table_names())
    op.execute("DROP INDEX IF EXISTS sessions_started")
    for old, new in LEGACY.items():
        if old in have:
            op.rename_table(old, new)
    if "approved_by" not in {c["name"] for c in sa.inspect(bind).get_columns("reign_calls")}:
        op.add_column("reign_calls", sa.Column("approved_by", sa.String(64)))
    if "audit_head" not in have:
        _create_audit_head()
    if "meta" in have:
        op.drop_table("meta")


def _create() -> None:
    op.create_table(
        "reign_sessions",
        sa.Column("id", sa.String(64), primary_key=True),
        sa.Column("goal", sa.Text, nullable=False),
        sa.Column("started", sa.String(32), nullable=False),
        sa.Column("updated", sa.String(32), nullable=False),
        sa.Column("ended", sa.String(32)),
        sa.Column("status", sa.String(24), nullable=False),
        sa.Column("error", sa.Text, nullable=False, server_default=""),
        sa.Column("steps", sa.Integer, nullable=False, server_default="0"),
        sa.Column("input_tokens", sa.Integer, nullable=False, server_default="0"),
        sa.Column("output_tokens", sa.Integer, nullable=False, server_default="0"),
        sa.Column("scope", sa.Text, nullable=False),
        sa.Column("pid", sa.Integer),
        sa.Column("host", sa.String(255)),
    )
    op.create_table(
        "reign_messages",
        sa.Column("session", sa.String(64), sa.ForeignKey("reign_sessions.id"), primary_key=True),
        sa.Column("seq", sa.Integer, primary_key=True, autoincrement=False),
        sa.Column("role", sa.String(16), nullable=False),
        sa.Column("body", sa.Text, nullable=False),
        sa.Column("created", sa.String(32), nullable=False),
    )
    op.create_table(
        "reign_calls",
        sa.Column("session", sa.String(64), sa.ForeignKey("reign_sessions.id"), primary_key=True),
        sa.Column("message", sa.Integer, primary_key=True, autoincrement=False),
        sa.Column("idx", sa.Integer, primary_key=True, autoincrement=False),
        sa.Column("step", sa.Integer, nullable=False),
        sa.Column("call_id", sa.Text, nullable=False),
        sa.Column("tool", sa.Text, nullable=False),
        sa.Column("args", sa.Text, nullable=False),
        sa.Column("state", sa.String(16), nullable=False),
        sa.Column("decision", sa.String(8)),
        sa.Column("rule", sa.Text),
        sa.Column("reason", sa.Text),
        sa.Column("approved", sa.Integer),
        sa.Column("approved_by", sa.String(64)),
        sa.Column("ok", sa.Integer),
        sa.Column("output", sa.Text),
        sa.Column("duration_ms", sa.Float),
        sa.Column("started", sa.String(32)),
        sa.Column("finished", sa.String(32)),
    )
    op.create_table(
        "reign_session_approvals",
        sa.Column("session", sa.String(64), sa.ForeignKey("reign_sessions.id"), primary_key=True),
        sa.Column("digest", sa.String(64), primary_key=True),
        sa.Column("created", sa.String(32), nullable=False),
    )
    _create_audit_head()


def _create_audit_head() -> None:
    op.create_table(
        "reign_audit_head",
        sa.Column("trail", sa.String(1024), primary_key=True),
        sa.Column("seq", sa.Integer, nullable=False),
        sa.Column("hash", sa.String(64), nullable=False),
        sa.Column("mac", sa.String(64)),
        sa.Column("updated", sa.String(32), nullable=False),
    )


def downgrade() -> None:
    op.drop_index("reign_sessions_started", "reign_sessions")
    for table in ("reign_audit_head", "reign_session_approvals", "reign_calls", "reign_messages", "reign_sessions"):
        op.drop_table(table)
