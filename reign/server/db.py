"""The server's queries on its tables (users, runs, events, approvals, call attempts; reign/db/tables.py).

Every write is one short transaction, retried while the database is unreachable (a PostgreSQL restart), so a
run goes on once the database is back. Writes made from inside a durable run are idempotent: a recovered run
replays its code, and the same event or approval must not be written twice.
"""

from __future__ import annotations

import contextlib
import json
import time
from datetime import UTC, datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError

from reign.db.engine import shared
from reign.db.tables import approvals, attempts, events, runs, users
from reign.errors import ReignError


def now() -> str:
    return datetime.now(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


class Database:
    """The server's queries, over Reign's one database (reign.db: engine, migrations, retries)."""

    def __init__(self, url: str) -> None:
        self.base = shared(url)
        self.engine = self.base.engine
        self.url = self.base.url
        self.retry = self.base.retry

    def migrate(self) -> None:
        self.base.migrate()

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
