"""The engine of Reign's database (see reign/db/__init__.py): one per database and process, its migrations,
and transactions retried while the database is unreachable.

Alembic migrates the tables (reign/migrations); a process checks the revision once per database and imports
Alembic only when the database is behind. Each unit of work is one short transaction, retried while the
database is unreachable (a PostgreSQL restart, a busy SQLite file), so a run goes on once it is back.
"""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

import sqlalchemy as sa
from sqlalchemy.exc import DBAPIError, IntegrityError, SQLAlchemyError

from reign.db import APPLICATION_ID, SQLITE_VERSION, check_sqlite_file, check_url, location, sqlalchemy_url, sqlite_path
from reign.errors import ReignError

T = TypeVar("T")
HEAD = "0003"  # the newest revision in reign/migrations/versions (a test checks it is Alembic's head)
KNOWN = ("0001", "0002", "0003")
RETRY_SECONDS = 60.0
_OPEN: dict[tuple[int, str], Database] = {}
_LOCK = threading.Lock()


def shared(url: str) -> Database:
    """This process's one handle on a database (migrate it before use): every store shares its engine, since a
    second engine on one SQLite file would, on closing, drop the POSIX locks the first one holds."""
    key = (os.getpid(), sqlalchemy_url(url))
    with _LOCK:
        db = _OPEN.get(key)
        if db is None:
            db = _OPEN[key] = Database(url)
    return db


class Database:
    def __init__(self, url: str) -> None:
        self.url = check_url(url)
        self.sqlite = self.url.startswith("sqlite")
        self.path = sqlite_path(self.url)
        self.where = location(self.url)
        self._migrated = False
        self._migrate_lock = threading.Lock()
        kwargs: dict[str, Any] = {"pool_pre_ping": True}
        if self.sqlite:
            kwargs["connect_args"] = {"timeout": 30, "check_same_thread": False}
        else:
            kwargs.update(pool_size=10, max_overflow=20)
        try:
            self.engine = sa.create_engine(self.url, **kwargs)
        except ModuleNotFoundError as exc:
            raise ReignError(f"database {self.where} needs the {exc.name} package: pip install 'reign[server]'") \
                from None
        if self.sqlite:
            sa.event.listen(self.engine, "connect", _sqlite_connect)
            sa.event.listen(self.engine, "begin", _sqlite_begin)

    def migrate(self) -> None:
        """Bring the tables to HEAD, once per process; concurrent first openers serialise (SQLite's write lock,
        PostgreSQL's advisory lock)."""
        if self._migrated:
            return
        with self._migrate_lock:
            if self._migrated:
                return
            if self.path is not None:
                check_sqlite_file(self.path)
            try:
                if self._revision() != HEAD:
                    self._upgrade()
                if self.sqlite:
                    with self.engine.connect() as conn:  # outside any transaction: WAL cannot be set inside one
                        raw = conn.connection.dbapi_connection
                        assert raw is not None
                        raw.execute("PRAGMA journal_mode = WAL")
            except SQLAlchemyError as exc:
                raise self.error(exc) from None
            self._migrated = True

    def _revision(self) -> str | None:
        with self.engine.connect().execution_options(reign_read=True) as conn:
            if not sa.inspect(conn).has_table("reign_alembic_version"):
                return None
            version = conn.execute(sa.text("SELECT version_num FROM reign_alembic_version")).scalar()
        if version is not None and version not in KNOWN:
            raise ReignError(f"database {self.where} has schema revision {version}, written by a newer Reign "
                             f"(this one knows up to {HEAD}); upgrade Reign or use another database. "
                             "It was not modified.")
        return None if version is None else str(version)

    def _upgrade(self) -> None:
        from alembic import command
        from alembic.config import Config

        cfg = Config()
        cfg.set_main_option("script_location", str(Path(__file__).parent.parent / "migrations"))
        with self.engine.begin() as conn:  # SQLite: BEGIN IMMEDIATE, so a second opener waits here
            if conn.dialect.name == "postgresql":
                conn.execute(sa.text("SELECT pg_advisory_xact_lock(5245474)"))
            cfg.attributes["connection"] = conn
            command.upgrade(cfg, "head")
            if self.sqlite:
                conn.exec_driver_sql(f"PRAGMA application_id = {APPLICATION_ID}")
                conn.exec_driver_sql(f"PRAGMA user_version = {SQLITE_VERSION}")

    def error(self, exc: BaseException) -> ReignError:
        return ReignError(f"database {self.where}: {_reason(exc)}")

    def read(self, work: Callable[[sa.Connection], T]) -> T:
        return self._retry(work, read=True)

    def write(self, work: Callable[[sa.Connection], T]) -> T:
        """One write transaction (SQLite: BEGIN IMMEDIATE, taking the write lock up front: no upgrade deadlock);
        a constraint violation is a ReignError like any other failure."""
        try:
            return self._retry(work, read=False)
        except IntegrityError as exc:
            raise self.error(exc) from None

    def retry(self, work: Callable[[sa.Connection], T]) -> T:
        """`write`, except that IntegrityError reaches the caller (the server tells "already there" by it)."""
        return self._retry(work, read=False)

    def _retry(self, work: Callable[[sa.Connection], T], *, read: bool) -> T:
        """One transaction; while the database is unreachable or busy, wait and try again (RETRY_SECONDS)."""
        deadline = time.monotonic() + RETRY_SECONDS
        delay = 0.2
        while True:
            try:
                with self.engine.connect().execution_options(reign_read=read) as conn, conn.begin():
                    return work(conn)
            except IntegrityError:
                raise
            except DBAPIError as exc:
                if not _transient(exc) or time.monotonic() > deadline:
                    raise self.error(exc) from None
                time.sleep(delay)
                delay = min(delay * 2, 2.0)
            except SQLAlchemyError as exc:
                raise self.error(exc) from None

    def close(self) -> None:
        self.engine.dispose()


def _sqlite_connect(dbapi_conn: Any, _record: Any) -> None:
    dbapi_conn.isolation_level = None  # transactions are begun by _sqlite_begin, not by the driver
    dbapi_conn.execute("PRAGMA busy_timeout = 30000")
    dbapi_conn.execute("PRAGMA synchronous = FULL")  # a recorded step survives a power cut
    dbapi_conn.execute("PRAGMA foreign_keys = ON")


def _sqlite_begin(conn: sa.Connection) -> None:
    conn.exec_driver_sql("BEGIN" if conn.get_execution_options().get("reign_read") else "BEGIN IMMEDIATE")


def _reason(exc: BaseException) -> str:
    text = str(getattr(exc, "orig", None) or exc).strip()
    return text.splitlines()[0] if text else type(exc).__name__


def _transient(exc: DBAPIError) -> bool:
    """Connection-level failures (server restarting, connection dropped, SQLite busy) are worth a retry."""
    if exc.connection_invalidated:
        return True
    text = str(exc).lower()
    return any(s in text for s in ("connection", "server closed", "terminating", "shutting down", "database is locked",
                                   "could not connect", "starting up", "recovery mode", "ssl syscall"))
