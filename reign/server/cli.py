"""`reign serve` and `reign users`: registered on the main command group by reign/cli.py.

Only click is imported here; the server's own imports (FastAPI, SQLAlchemy, DBOS) wait for the command.
"""

from __future__ import annotations

import sys
from pathlib import Path

import click

from reign.errors import ReignError

ROLES = ("viewer", "operator", "approver", "admin")


def _fail(message: str) -> None:
    click.echo(f"reign: {message}", err=True)
    sys.exit(1)


@click.command()
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to listen on.")
@click.option("--port", default=8700, show_default=True, type=click.IntRange(1, 65535))
@click.option("--database-url", help="Default: REIGN_DATABASE_URL, DATABASE_URL, or SQLite in the state dir.")
@click.option("--replay", is_flag=True, help="Accept `cassette` in POST /api/runs (tests and demos only).")
@click.option("--workers", default=8, show_default=True, type=click.IntRange(1, 256),
              help="Runs this process works on at once.")
@click.option("--worker-id", help="Durable-run executor id (default HOST-PORT): a restart recovers its runs.")
@click.option("--approval-ttl", type=click.FloatRange(1), help="Seconds an ask waits (default 3600).")
@click.option("--webhook-url", help="Post pending approvals here (Slack incoming-webhook JSON).")
@click.option("--public-url", help="Base URL in approval links (default http://HOST:PORT).")
def serve(host: str, port: int, database_url: str | None, replay: bool, workers: int, worker_id: str | None,
          approval_ttl: float | None, webhook_url: str | None, public_url: str | None) -> None:
    """Serve the HTTP API (runs, approvals, events) with durable runs."""
    from reign.server.app import serve as run_server
    from reign.server.config import ServerConfig, note_earlier_server_db

    cfg = ServerConfig(host=host, port=port, replay=replay, workers=workers, worker_id=worker_id or "",
                       public_url=public_url or "")
    if database_url:
        cfg.database_url = database_url
    else:
        note_earlier_server_db()
    if approval_ttl:
        cfg.approval_ttl = approval_ttl
    if webhook_url:
        cfg.webhook_url = webhook_url
    try:
        run_server(cfg)
    except ReignError as exc:
        _fail(str(exc))


@click.group()
def users() -> None:
    """People who may use `reign serve`, with their roles and scopes."""


def _db(url: str | None) -> object:
    from reign.server.config import default_database_url, note_earlier_server_db
    from reign.server.db import Database

    if not url:
        note_earlier_server_db()
    db = Database(url or default_database_url())
    db.migrate()
    return db


_DB_OPTION = click.option("--database-url", help="Default: REIGN_DATABASE_URL, DATABASE_URL, or SQLite.")


@users.command("add")
@click.argument("name")
@click.option("--role", type=click.Choice(ROLES), required=True)
@click.option("--namespace", "namespaces", multiple=True, help="Limit runs to this Kubernetes namespace (repeatable).")
@click.option("--kube-context", "contexts", multiple=True, help="Limit runs to this kube context (repeatable).")
@click.option("--workspace", "workspaces", multiple=True, type=click.Path(file_okay=False, path_type=Path),
              help="Limit runs to this workspace folder (repeatable).")
@click.option("--impersonate-user", help="Kubernetes calls of this user's runs impersonate this cluster user.")
@click.option("--impersonate-group", "groups", multiple=True,
              help="... and this cluster group (repeatable; needs --impersonate-user).")
@_DB_OPTION
def users_add(name: str, role: str, namespaces: tuple[str, ...], contexts: tuple[str, ...],
              workspaces: tuple[Path, ...], impersonate_user: str | None, groups: tuple[str, ...],
              database_url: str | None) -> None:
    """Add NAME and print its bearer token (shown once; only its hash is stored)."""
    from reign.server import users as people

    if groups and not impersonate_user:
        _fail("--impersonate-group needs --impersonate-user")
    if any(not g.strip() for g in groups):
        _fail("--impersonate-group needs a group name")
    try:
        scope = people.UserScope(namespaces=list(namespaces), kube_contexts=list(contexts),
                                 workspaces=[str(w.expanduser().resolve()) for w in workspaces],
                                 impersonate_user=impersonate_user, impersonate_groups=list(dict.fromkeys(groups)))
        token = people.add(_db(database_url), name, role, scope)  # type: ignore[arg-type]
    except ReignError as exc:
        _fail(str(exc))
        return
    click.echo(token)
    click.echo(f"user {name} ({role}) added; the token above is shown only now", err=True)


@users.command("list")
@_DB_OPTION
def users_list(database_url: str | None) -> None:
    """The users, their roles and scopes (never their tokens)."""
    from reign.server import users as people

    try:
        click.echo(people.list_text(_db(database_url).list_users()))  # type: ignore[attr-defined]
    except ReignError as exc:
        _fail(str(exc))


@users.command("revoke")
@click.argument("name")
@_DB_OPTION
def users_revoke(name: str, database_url: str | None) -> None:
    """Revoke NAME's token at once (its runs and records stay)."""
    from reign.server import users as people

    try:
        people.revoke(_db(database_url), name)  # type: ignore[arg-type]
    except ReignError as exc:
        _fail(str(exc))
        return
    click.echo(f"user {name} revoked")
