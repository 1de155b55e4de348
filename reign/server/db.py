"""The server's tables (users, runs, events, approvals, call attempts) through SQLAlchemy; Alembic migrates them.

Every write is one short transaction, retried while the database is unreachable (a PostgreSQL restart), so a
run goes on once the database is back. Writes made from inside a durable run are idempotent: a recovered run
replays its code, and the same event or approval must not be written twice.
"""

from __future__ import annotations

import contextlib
import json
import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, TypeVar

import sqlalchemy as sa
from sqlalchemy.exc import DBAPIError, IntegrityError, OperationalError

from reign.errors import ReignError

metadata = sa.MetaData()

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

T = TypeVar("T")
RETRY_SECONDS = 60.0


def now() -> str:
    return datetime.now(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


class Database:
    def __init__(self, url: str) -> None:
        from reign.server.config import sqlalchemy_url

        self.url = sqlalchemy_url(url)
        if not self.url.startswith(("sqlite:///", "postgresql+psycopg://")):
            raise ReignError(f"unsupported database URL {url.split('://')[0]}://...: use sqlite:///PATH or "
                             "postgresql://USER@HOST:PORT/DB")
        sqlite = self.url.startswith("sqlite")
        kwargs: dict[str, Any] = {"pool_pre_ping": True}
        if sqlite:
            kwargs["connect_args"] = {"timeout": 30, "check_same_thread": False}
        else:
            kwargs.update(pool_size=10, max_overflow=20)
        self.engine = sa.create_engine(self.url, **kwargs)
        if sqlite:
            @sa.event.listens_for(self.engine, "connect")
            def _pragmas(conn: Any, _record: Any) -> None:
                conn.execute("PRAGMA journal_mode=WAL")
                conn.execute("PRAGMA busy_timeout=30000")

    def migrate(self) -> None:
        """Bring the tables to the newest Alembic revision (concurrent servers serialise on a lock)."""
        from alembic import command
        from alembic.config import Config

        cfg = Config()
        cfg.set_main_option("script_location", str(Path(__file__).parent / "migrations"))
        try:
            with self.engine.begin() as conn:
                if conn.dialect.name == "postgresql":
                    conn.execute(sa.text("SELECT pg_advisory_xact_lock(5245474)"))
                cfg.attributes["connection"] = conn
                command.upgrade(cfg, "head")
        except sa.exc.SQLAlchemyError as exc:
            where = self.engine.url.render_as_string(hide_password=True)
            raise ReignError(f"database {where}: {str(getattr(exc, 'orig', None) or exc).splitlines()[0]}") from None

    def retry(self, work: Callable[[sa.Connection], T]) -> T:
        """One transaction; while the database is unreachable, wait and try again (up to RETRY_SECONDS)."""
        deadline = time.monotonic() + RETRY_SECONDS
        delay = 0.2
        while True:
            try:
                with self.engine.begin() as conn:
                    return work(conn)
            except IntegrityError:
                raise
            except (OperationalError, DBAPIError) as exc:
                if not _transient(exc) or time.monotonic() > deadline:
                    raise ReignError(f"database error: {str(exc).splitlines()[0]}") from None
                time.sleep(delay)
                delay = min(delay * 2, 2.0)

    # -- users ---------------------------------------------------------------------------------------------
    def add_user(self, name: str, role: str, token_hash: str, scope: dict[str, Any]) -> None:
        def work(conn: sa.Connection) -> None:
            row = conn.execute(sa.select(users.c.revoked).where(users.c.name == name)).first()
            if row is not None and row.revoked is None:
                raise ReignError(f"user {name!r} exists (revoke it first to issue a new token)")
            conn.execute(sa.delete(users).where(users.c.name == name))
            conn.execute(sa.insert(users).values(name=name, role=role, token_hash=token_hash,
                                                 scope=json.dumps(scope), created=now()))
        self.retry(work)

    def user_by_hash(self, token_hash: str) -> dict[str, Any] | None:
        def work(conn: sa.Connection) -> Any:
            return conn.execute(sa.select(users).where(users.c.token_hash == token_hash,
                                                       users.c.revoked.is_(None))).mappings().first()
        row = self.retry(work)
        return None if row is None else {**row, "scope": json.loads(row["scope"] or "{}")}

    def user(self, name: str) -> dict[str, Any] | None:
        row = self.retry(lambda c: c.execute(sa.select(users).where(users.c.name == name)).mappings().first())
        return None if row is None else {**row, "scope": json.loads(row["scope"] or "{}")}

    def list_users(self) -> list[dict[str, Any]]:
        rows = self.retry(lambda c: c.execute(sa.select(users).order_by(users.c.name)).mappings().all())
        return [{k: v for k, v in r.items() if k != "token_hash"} | {"scope": json.loads(r["scope"] or "{}")}
                for r in rows]

    def revoke_user(self, name: str) -> bool:
        result = self.retry(lambda c: c.execute(sa.update(users).where(users.c.name == name,
                                                                        users.c.revoked.is_(None))
                                                .values(revoked=now())))
        return bool(result.rowcount)

    # -- runs ----------------------------------------------------------------------------------------------
    def create_run(self, run_id: str, goal: str, requested_by: str, *, provider: str | None, model: str | None,
                   max_steps: int | None, cassette: str | None, scope: dict[str, Any] | None = None) -> None:
        stamp = now()
        self.retry(lambda c: c.execute(sa.insert(runs).values(
            id=run_id, goal=goal, requested_by=requested_by, status="queued", provider=provider, model=model,
            max_steps=max_steps, cassette=cassette, steps=0, created=stamp, updated=stamp,
            scope=None if scope is None else json.dumps(scope))))

    def run(self, run_id: str) -> dict[str, Any] | None:
        row = self.retry(lambda c: c.execute(sa.select(runs).where(runs.c.id == run_id)).mappings().first())
        return None if row is None else _run_row(row)

    def list_runs(self, limit: int = 100, offset: int = 0) -> list[dict[str, Any]]:
        rows = self.retry(lambda c: c.execute(sa.select(runs).order_by(runs.c.created.desc(), runs.c.id)
                                              .limit(limit).offset(offset)).mappings().all())
        return [_run_row(r) for r in rows]

    def runs_by_ids(self, run_ids: list[str]) -> list[dict[str, Any]]:
        def work(conn: sa.Connection) -> list[dict[str, Any]]:
            found: list[dict[str, Any]] = []
            for start in range(0, len(run_ids), 500):
                chunk = run_ids[start:start + 500]
                found.extend(_run_row(r) for r in conn.execute(sa.select(runs).where(runs.c.id.in_(chunk)))
                             .mappings().all())
            return found
        return self.retry(work)

    def update_run(self, run_id: str, *, unless_final: bool = True, **values: Any) -> None:
        query = sa.update(runs).where(runs.c.id == run_id)
        if unless_final:
            query = query.where(runs.c.status.not_in(("completed", "failed", "cancelled", "interrupted")))
        self.retry(lambda c: c.execute(query.values(updated=now(), **values)))

    # -- events --------------------------------------------------------------------------------------------
    def add_event(self, run_id: str, key: str, kind: str, data: dict[str, Any]) -> None:
        """Written once per key: a recovered run replays its events and they are ignored here."""
        body = json.dumps(data, default=str, ensure_ascii=False)

        def work(conn: sa.Connection) -> None:
            exists = conn.execute(sa.select(events.c.id).where(events.c.run_id == run_id, events.c.key == key)).first()
            if exists is None:
                conn.execute(sa.insert(events).values(run_id=run_id, key=key, kind=kind, data=body, created=now()))
        with contextlib.suppress(IntegrityError):  # written meanwhile by another replay of the same run
            self.retry(work)

    def events_after(self, run_id: str, after: int, limit: int = 500) -> list[dict[str, Any]]:
        rows = self.retry(lambda c: c.execute(
            sa.select(events).where(events.c.run_id == run_id, events.c.id > after).order_by(events.c.id)
            .limit(limit)).mappings().all())
        return [{**r, "data": json.loads(r["data"])} for r in rows]

    def tool_calls(self, run_id: str) -> list[dict[str, Any]]:
        rows = self.retry(lambda c: c.execute(
            sa.select(events.c.data).where(events.c.run_id == run_id, events.c.kind == "result")
            .order_by(events.c.id)).all())
        return [json.loads(r.data)["record"] for r in rows]

    # -- approvals -----------------------------------------------------------------------------------------
    def open_approval(self, run_id: str, digest: str, ttl: float, **fields: Any) -> tuple[int, float]:
        """A pending approval for this call (a new round when the same call was asked before): (round, expiry)."""
        expires = time.time() + ttl

        def work(conn: sa.Connection) -> tuple[int, float]:
            row = conn.execute(sa.select(approvals.c.round).where(approvals.c.run_id == run_id,
                                                                  approvals.c.digest == digest)).first()
            values = dict(fields, status="pending", requested_at=now(), expires_at=expires, decided_by=None,
                          decided_at=None, note=None)
            if row is None:
                conn.execute(sa.insert(approvals).values(run_id=run_id, digest=digest, round=1, **values))
                return 1, expires
            conn.execute(sa.update(approvals).where(approvals.c.run_id == run_id, approvals.c.digest == digest)
                         .values(round=row.round + 1, **values))
            return row.round + 1, expires
        return self.retry(work)

    def approval(self, run_id: str, digest: str) -> dict[str, Any] | None:
        row = self.retry(lambda c: c.execute(sa.select(approvals).where(
            approvals.c.run_id == run_id, approvals.c.digest == digest)).mappings().first())
        return None if row is None else dict(row)

    def pending(self, run_id: str) -> list[dict[str, Any]]:
        rows = self.retry(lambda c: c.execute(sa.select(approvals).where(
            approvals.c.run_id == run_id, approvals.c.status == "pending")).mappings().all())
        return [dict(r) for r in rows]

    def approvals_of(self, run_id: str) -> list[dict[str, Any]]:
        rows = self.retry(lambda c: c.execute(sa.select(approvals).where(approvals.c.run_id == run_id))
                          .mappings().all())
        return [dict(r) for r in rows]

    def decide(self, run_id: str, digest: str, *, approve: bool, by: str, note: str) -> int | None:
        """Record a person's decision if the approval is still pending and unexpired: its round, else None."""
        def work(conn: sa.Connection) -> int | None:
            result = conn.execute(sa.update(approvals).where(
                approvals.c.run_id == run_id, approvals.c.digest == digest, approvals.c.status == "pending",
                approvals.c.expires_at > time.time()).values(
                status="approved" if approve else "refused", decided_by=by, decided_at=now(), note=note))
            if not result.rowcount:
                return None
            row = conn.execute(sa.select(approvals.c.round).where(approvals.c.run_id == run_id,
                                                                  approvals.c.digest == digest)).first()
            return None if row is None else int(row.round)
        return self.retry(work)

    def settle_expired(self, run_id: str, digest: str) -> dict[str, Any]:
        """The wait ended without a message: expire it, unless a decision was stored meanwhile (then use that)."""
        def work(conn: sa.Connection) -> dict[str, Any]:
            conn.execute(sa.update(approvals).where(approvals.c.run_id == run_id, approvals.c.digest == digest,
                                                    approvals.c.status == "pending")
                         .values(status="expired", decided_at=now()))
            row = conn.execute(sa.select(approvals).where(approvals.c.run_id == run_id,
                                                          approvals.c.digest == digest)).mappings().first()
            return dict(row) if row is not None else {"status": "expired"}
        return self.retry(work)

    def cancel_pending(self, run_id: str) -> None:
        self.retry(lambda c: c.execute(sa.update(approvals).where(
            approvals.c.run_id == run_id, approvals.c.status == "pending").values(status="cancelled",
                                                                                  decided_at=now())))

    # -- call attempts -------------------------------------------------------------------------------------
    def claim_attempt(self, run_id: str, key: str) -> bool:
        """True the first time a call is about to run; False if an earlier attempt started it (and died)."""
        try:
            self.retry(lambda c: c.execute(sa.insert(attempts).values(run_id=run_id, key=key, started=now())))
        except IntegrityError:
            return False
        return True


def _run_row(row: Any) -> dict[str, Any]:
    return {**row, "scope": None if row["scope"] is None else json.loads(row["scope"])}


def _transient(exc: DBAPIError) -> bool:
    """Connection-level failures (server restarting, connection dropped, SQLite busy) are worth a retry."""
    if exc.connection_invalidated:
        return True
    text = str(exc).lower()
    return any(s in text for s in ("connection", "server closed", "terminating", "shutting down", "database is locked",
                                   "could not connect", "starting up", "recovery mode", "ssl syscall"))
