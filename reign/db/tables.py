"""Every table of Reign's database, in one metadata: sessions and the audit trail's head (every run, CLI or
server), and the server's users, runs, events, approvals and call attempts. Alembic's revisions in
reign/migrations build exactly these (a test compares them).

Names carry a `reign_` prefix: a team's PostgreSQL database may hold other applications' tables too.
"""

from __future__ import annotations

import sqlalchemy as sa

metadata = sa.MetaData()

# -- the server (reign serve) -------------------------------------------------------------------------------

users = sa.Table(
    "reign_users", metadata,
    sa.Column("name", sa.String(64), primary_key=True),
    sa.Column("role", sa.String(16), nullable=False),
    sa.Column("token_hash", sa.String(64), nullable=False, unique=True),
    sa.Column("scope", sa.Text, nullable=False, default="{}"),
    sa.Column("created", sa.String(32), nullable=False),
    sa.Column("revoked", sa.String(32)),
)
runs = sa.Table(
    "reign_runs", metadata,
    sa.Column("id", sa.String(32), primary_key=True),
    sa.Column("goal", sa.Text, nullable=False),
    sa.Column("requested_by", sa.String(64), nullable=False),
    sa.Column("status", sa.String(24), nullable=False),
    sa.Column("provider", sa.String(32)),
    sa.Column("model", sa.String(128)),
    sa.Column("max_steps", sa.Integer),
    sa.Column("cassette", sa.Text),
    sa.Column("steps", sa.Integer, nullable=False, default=0),
    sa.Column("stop_reason", sa.String(24)),
    sa.Column("final", sa.Text),
    sa.Column("error", sa.Text),
    sa.Column("worker", sa.String(128)),
    sa.Column("created", sa.String(32), nullable=False),
    sa.Column("updated", sa.String(32), nullable=False),
    sa.Column("scope", sa.Text),  # the requester's scope when the run started (JSON); NULL: not recorded
    sa.Index("reign_runs_created", "created"),
)
events = sa.Table(
    "reign_events", metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("run_id", sa.String(32), nullable=False),
    sa.Column("key", sa.String(200), nullable=False),
    sa.Column("kind", sa.String(32), nullable=False),
    sa.Column("data", sa.Text, nullable=False),
    sa.Column("created", sa.String(32), nullable=False),
    sa.UniqueConstraint("run_id", "key", name="reign_events_run_key"),
)
approvals = sa.Table(
    "reign_approvals", metadata,
    sa.Column("run_id", sa.String(32), primary_key=True),
    sa.Column("digest", sa.String(64), primary_key=True),
    sa.Column("round", sa.Integer, nullable=False, default=1),
    sa.Column("call_id", sa.String(128), nullable=False),
    sa.Column("tool", sa.String(128), nullable=False),
    sa.Column("args", sa.Text, nullable=False),
    sa.Column("effect", sa.String(16), nullable=False),
    sa.Column("rule", sa.String(128), nullable=False),
    sa.Column("reason", sa.Text, nullable=False),
    sa.Column("preview", sa.Text),
    sa.Column("status", sa.String(16), nullable=False),  # pending, approved, refused, expired, cancelled
    sa.Column("requested_at", sa.String(32), nullable=False),
    sa.Column("expires_at", sa.Float, nullable=False),  # unix time
    sa.Column("decided_by", sa.String(64)),
    sa.Column("decided_at", sa.String(32)),
    sa.Column("note", sa.Text),
)
attempts = sa.Table(
    "reign_call_attempts", metadata,
    sa.Column("run_id", sa.String(32), primary_key=True),
    sa.Column("key", sa.String(200), primary_key=True),
    sa.Column("started", sa.String(32), nullable=False),
)

# -- sessions (reign/sessions.py) ------------------------------------------------------------------------------
sessions = sa.Table(
    "reign_sessions", metadata,
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
    sa.Index("reign_sessions_started", "started"),
)
messages = sa.Table(
    "reign_messages", metadata,
    sa.Column("session", sa.String(64), sa.ForeignKey("reign_sessions.id"), primary_key=True),
    sa.Column("seq", sa.Integer, primary_key=True, autoincrement=False),
    sa.Column("role", sa.String(16), nullable=False),
    sa.Column("body", sa.Text, nullable=False),
    sa.Column("created", sa.String(32), nullable=False),
)
calls = sa.Table(
    "reign_calls", metadata,
    sa.Column("session", sa.String(64), sa.ForeignKey("reign_sessions.id"), primary_key=True),
    sa.Column("message", sa.Integer, primary_key=True, autoincrement=False),
    sa.Column("idx", sa.Integer, primary_key=True, autoincrement=False),
    sa.Column("step", sa.Integer, nullable=False),
    sa.Column("call_id", sa.Text, nullable=False),
    sa.Column("tool", sa.Text, nullable=False),
    sa.Column("args", sa.Text, nullable=False),
    sa.Column("state", sa.String(16), nullable=False),  # pending, started, finished, interrupted, not_run
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
session_approvals = sa.Table(  # "always for this session" approvals, by call digest
    "reign_session_approvals", metadata,
    sa.Column("session", sa.String(64), sa.ForeignKey("reign_sessions.id"), primary_key=True),
    sa.Column("digest", sa.String(64), primary_key=True),
    sa.Column("created", sa.String(32), nullable=False),
)
audit_head = sa.Table(  # the last seq and hash of each audit trail (reign/audit.py), to detect a cut tail
    "reign_audit_head", metadata,
    sa.Column("trail", sa.String(1024), primary_key=True),
    sa.Column("seq", sa.Integer, nullable=False),
    sa.Column("hash", sa.String(64), nullable=False),
    sa.Column("mac", sa.String(64)),
    sa.Column("updated", sa.String(32), nullable=False),
)
