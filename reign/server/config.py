"""What `reign serve` and `reign users` need: where the database is, who may do what, how long asks wait.

The database is Reign's one database (reign.db): the SQLite file of sessions under the state directory unless
`REIGN_DATABASE_URL` (or `DATABASE_URL`) names another one (PostgreSQL for a team: several servers on one
database share the work and the sessions).
"""

from __future__ import annotations

import os
import socket
from dataclasses import dataclass, field

from reign.db import dbos_file, sqlalchemy_url, sqlite_path

ROLES = ("viewer", "operator", "approver", "admin")


def default_database_url() -> str:
    """Reign's database, as the CLI's sessions use it (so `reign sessions` shows the server's runs)."""
    from reign.config import Settings

    return Settings().database


def note_earlier_server_db() -> None:
    """Servers before sessions joined their database kept it in server.db under the state dir: say where it is
    (it is left as it is) when the default is used now."""
    from reign.config import Settings, state_dir, warn_once

    old = state_dir() / "server.db"
    settings = Settings()
    if old.exists() and settings.database_url is None:
        warn_once(f"an earlier `reign serve` database is at {old} (users, runs); the default is now "
                  f"{settings.sessions_db} with the sessions. Keep using the old one with --database-url "
                  f"sqlite:///{old}, or add the users again")


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
        """DBOS's system tables: beside Reign's in PostgreSQL, in a file of their own with SQLite (dbos_file)."""
        url = self.sqlalchemy_url
        path = sqlite_path(url)
        if path is not None:
            return f"sqlite:///{dbos_file(path)}"
        return url.replace("postgresql+psycopg://", "postgresql://", 1)

