"""The server's first tables: users, runs, events, approvals, call attempts.

Revision ID: 0001
Revises:
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "reign_users",
        sa.Column("name", sa.String(64), primary_key=True),
        sa.Column("role", sa.String(16), nullable=False),
        sa.Column("token_hash", sa.String(64), nullable=False, unique=True),
        sa.Column("scope", sa.Text, nullable=False),
        sa.Column("created", sa.String(32), nullable=False),
        sa.Column("revoked", sa.String(32)),
    )
    op.create_table(
        "reign_runs",
        sa.Column("id", sa.String(32), primary_key=True),
        sa.Column("goal", sa.Text, nullable=False),
        sa.Column("requested_by", sa.String(64), nullable=False),
        sa.Column("status", sa.String(24), nullable=False),
        sa.Column("provider", sa.String(32)),
        sa.Column("model", sa.String(128)),
        sa.Column("max_steps", sa.Integer),
        sa.Column("cassette", sa.Text),
        sa.Column("steps", sa.Integer, nullable=False),
        sa.Column("stop_reason", sa.String(24)),
        sa.Column("final", sa.Text),
        sa.Column("error", sa.Text),
        sa.Column("worker", sa.String(128)),
        sa.Column("created", sa.String(32), nullable=False),
        sa.Column("updated", sa.String(32), nullable=False),
    )
    op.create_index("reign_runs_created", "reign_runs", ["created"])
    op.create_table(
        "reign_events",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("run_id", sa.String(32), nullable=False),
        sa.Column("key", sa.String(200), nullable=False),
        sa.Column("kind", sa.String(32), nullable=False),
        sa.Column("data", sa.Text, nullable=False),
        sa.Column("created", sa.String(32), nullable=False),
        sa.UniqueConstraint("run_id", "key", name="reign_events_run_key"),
    )
    op.create_table(
        "reign_approvals",
        sa.Column("run_id", sa.String(32), primary_key=True),
        sa.Column("digest", sa.String(64), primary_key=True),
        sa.Column("round", sa.Integer, nullable=False),
        sa.Column("call_id", sa.String(128), nullable=False),
        sa.Column("tool", sa.String(128), nullable=False),
        sa.Column("args", sa.Text, nullable=False),
        sa.Column("effect", sa.String(16), nullable=False),
        sa.Column("rule", sa.String(128), nullable=False),
        sa.Column("reason", sa.Text, nullable=False),
        sa.Column("preview", sa.Text),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("requested_at", sa.String(32), nullable=False),
        sa.Column("expires_at", sa.Float, nullable=False),
        sa.Column("decided_by", sa.String(64)),
        sa.Column("decided_at", sa.String(32)),
        sa.Column("note", sa.Text),
    )
    op.create_table(
        "reign_call_attempts",
        sa.Column("run_id", sa.String(32), primary_key=True),
        sa.Column("key", sa.String(200), primary_key=True),
        sa.Column("started", sa.String(32), nullable=False),
    )


def downgrade() -> None:
    for table in ("reign_call_attempts", "reign_approvals", "reign_events", "reign_runs", "reign_users"):
        op.drop_table(table)
