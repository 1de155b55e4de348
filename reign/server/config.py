"""What `reign serve` and `reign users` need: where the database is, who may do what, how long asks wait.

The database is SQLite under Reign's state directory unless `REIGN_DATABASE_URL` (or `DATABASE_URL`) names
another one (PostgreSQL for a team: several servers on one database share the work).
"""

from __future__ import annotations

import os
import socket
from dataclasses import dataclass, field
from pathlib import Path

from reign.config import state_dir

ROLES = ("viewer", "operator", "approver", "admin")


def default_database_url() -> str:
    url = os.environ.get("REIGN_DATABASE_URL") or os.environ.get("DATABASE_URL")
    if url:
        return url
    return f"sqlite:///{state_dir() / 'server.db'}"


def _flag(name: str, default: bool) -> bool:
    value = os.environ.get(name)
    return default if value in (None, "") else value.strip().lower() in ("1", "true", "yes", "on")


@dataclass
class ServerConfig:
    host: str = "127.0.0.1"
    port: int = 8700
    database_url: str = field(default_factory=default_database_url)
    replay: bool = False  # accept `cassette` in POST /api/runs (tests, demos): never in production
    # Four eyes: whoever started a run may not approve its destructive (or unclassified) calls.
    four_eyes: bool = field(default_factory=lambda: _flag("REIGN_FOUR_EYES", True))
    approval_ttl: float = field(default_factory=lambda: float(os.environ.get("REIGN_APPROVAL_TTL") or 3600))
    webhook_url: str | None = field(default_factory=lambda: os.environ.get("REIGN_WEBHOOK_URL") or None)
    public_url: str = field(default_factory=lambda: os.environ.get("REIGN_PUBLIC_URL") or "")
    worker_id: str = ""  # DBOS executor id: a restarted server recovers the runs of its own id
    workers: int = 8  # runs one server process works on at once
    max_body: int = 64 * 1024

    def __post_init__(self) -> None:
        if not self.worker_id:
            self.worker_id = os.environ.get("REIGN_WORKER_ID") or f"{socket.gethostname()}-{self.port}"
        if not self.public_url:
            self.public_url = f"http://{self.host}:{self.port}"

    @property
    def sqlalchemy_url(self) -> str:
        return sqlalchemy_url(self.database_url)

    @property
    def dbos_url(self) -> str:
        url = self.sqlalchemy_url
        return url.replace("postgresql+psycopg://", "postgresql://", 1)


def sqlalchemy_url(url: str) -> str:
    """PostgreSQL through psycopg 3 whatever the scheme says; SQLite files get their folder made."""
    for prefix in ("postgres://", "postgresql://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix):]
    if url.startswith("sqlite:///"):
        Path(url.removeprefix("sqlite:///")).expanduser().parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    return url
