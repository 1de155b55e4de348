"""Reign's one database: sessions and the audit trail's head for every run, and the server's tables.

SQLite under the state directory by default (the file `sessions_db`, no setup); PostgreSQL for a team
(`REIGN_DATABASE_URL` or `DATABASE_URL`), so several servers and people share sessions. The engine, retries
and Alembic migrations are in reign/db/engine.py, the tables in reign/db/tables.py.

This module stays free of SQLAlchemy (about 0.2 s to import): a run checks its SQLite file here, at once, and
opens the engine only when it first records something, after its first request has gone out.
"""

from __future__ import annotations

import importlib.util
import os
import re
import sqlite3
from pathlib import Path

from reign.errors import ReignError

APPLICATION_ID = 0x5245474E  # "REGN", in an SQLite file's header
SQLITE_VERSION = 2  # PRAGMA user_version: 1 was the session file before Alembic; an older Reign refuses 2
_MAGIC = b"SQLite format 3\x00"
# Files checked by this process. Opening and closing a database file outside SQLite's own connections (as the
# check does) drops every POSIX lock this process holds on it; another process may then think it is the last
# user, checkpoint and delete the WAL under live connections, and their later writes are lost. So a file is
# checked once per process, before its engine opens it.
_CHECKED: set[tuple[int, str]] = set()


def sqlalchemy_url(url: str) -> str:
    """PostgreSQL through psycopg 3 whatever the scheme says; SQLite files get their folder made."""
    for prefix in ("postgres://", "postgresql://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix):]
    if url.startswith("sqlite:///"):
        Path(url.removeprefix("sqlite:///")).expanduser().parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    return url


def check_url(url: str) -> str:
    """The SQLAlchemy URL of a database Reign can use, or a one-line error, before anything runs (a CLI run
    opens its database only after the model's first answer)."""
    full = sqlalchemy_url(url)
    if not full.startswith(("sqlite:///", "postgresql+psycopg://")):
        raise ReignError(f"unsupported database URL {url.split('://')[0]}://...: use sqlite:///PATH or "
                         "postgresql://USER@HOST:PORT/DB (REIGN_DATABASE_URL)")
    if full.startswith("postgresql") and importlib.util.find_spec("psycopg") is None:
        raise ReignError("a PostgreSQL database needs the psycopg package: pip install 'reign[server]'")
    return full


def location(url: str) -> str:
    """How messages name a database: an SQLite file by its path, any other by its URL without the password."""
    path = sqlite_path(url)
    return str(path) if path is not None else re.sub(r"://([^:/@]*):[^@/]*@", r"://\1:***@", url)


def sqlite_path(url: str) -> Path | None:
    """The file of an SQLite URL (None for any other database)."""
    return Path(url.removeprefix("sqlite:///")).expanduser() if url.startswith("sqlite:///") else None


def dbos_file(path: Path) -> Path:
    """Where `reign serve` keeps DBOS's system tables beside an SQLite database: a file of their own (SQLite has
    one writer at a time, and DBOS's transactions must not hold up a run's session writes)."""
    return path.with_name(f"{path.stem}-dbos{path.suffix}")


def check_sqlite_file(path: Path, *, create: bool = True) -> None:
    """Refuse, without writing a byte, a file that is not an SQLite database, another program's database, or
    one written by a newer Reign; make an empty one (mode 0600) when it is missing and `create` is set."""
    key = (os.getpid(), str(path.resolve()))
    if key in _CHECKED:
        return
    _check(path, create)
    if path.exists():
        _CHECKED.add(key)


def _check(path: Path, create: bool) -> None:
    try:
        with path.open("rb") as fh:
            head = fh.read(len(_MAGIC))
    except FileNotFoundError:
        if create:
            path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
            os.close(os.open(path, os.O_CREAT | os.O_WRONLY, 0o600))
        return
    except OSError as exc:
        raise ReignError(f"database {path}: cannot read it: {exc}") from None
    if not head:
        return
    if head != _MAGIC:
        raise ReignError(f"database {path} is not an SQLite database (corrupt, or another kind of file); it was "
                         "left as it is: move it away, or set REIGN_SESSIONS_DB to another file")
    try:
        db = sqlite3.connect(f"file:{path}?mode=ro", uri=True, timeout=30.0)
        try:
            version = int(db.execute("PRAGMA user_version").fetchone()[0])
            app = int(db.execute("PRAGMA application_id").fetchone()[0])
            tables = {row[0] for row in db.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
        finally:
            db.close()
    except sqlite3.Error as exc:
        raise ReignError(f"database {path} cannot be read ({exc}); it was left as it is: move it away, or set "
                         "REIGN_SESSIONS_DB to another file") from None
    if version > SQLITE_VERSION:
        raise ReignError(f"database {path} has schema version {version}, written by a newer Reign (this one knows "
                         f"up to {SQLITE_VERSION}); upgrade Reign or set REIGN_SESSIONS_DB to another file. "
                         "The file was not modified.")
    if tables and app != APPLICATION_ID and "reign_alembic_version" not in tables:
        raise ReignError(f"database {path} is an SQLite file but not a Reign database; it was left as it is "
                         "(set REIGN_SESSIONS_DB to another file)")
