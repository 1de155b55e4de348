"""Per-user scope: what a run may touch and who may see it.

A run works within what both the server's settings and its requester's scope allow (`scoped_settings`).
The requester's scope is recorded with the run when it starts, and it decides who else may see the run
(`can_see`): every endpoint and console page that shows, follows, decides on or cancels a run asks it.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

from reign.config import Settings
from reign.errors import ReignError
from reign.server.users import UserScope

if TYPE_CHECKING:
    from reign.server.db import Database

PAGE = 500  # runs read per query while looking for the ones a user may see


def scoped_settings(base: Settings, run: dict[str, Any], scope_data: dict[str, Any]) -> Settings:
    """The settings of one run: the request's provider, model and steps; the user's namespaces, kube
    contexts, workspaces and Kubernetes impersonation. Narrowing only: a scope never widens the server's."""
    scope = UserScope.model_validate(scope_data or {})
    update: dict[str, Any] = {}
    for name in ("provider", "model", "max_steps"):
        if run.get(name):
            update[name] = run[name]
    if scope.namespaces:
        if base.kube_namespaces:
            both = [n for n in base.kube_namespaces if n in scope.namespaces]
            if not both:
                raise ReignError("no Kubernetes namespace is allowed both by the server and for this user")
            update["kube_namespaces"] = both
        else:
            update["kube_namespaces"] = list(scope.namespaces)
    if scope.kube_contexts:
        if base.kube_context is not None and base.kube_context not in scope.kube_contexts:
            raise ReignError(f"kube context {base.kube_context} is not allowed for this user")
        update["kube_context"] = base.kube_context or scope.kube_contexts[0]
    if scope.workspaces:
        allowed = [Path(w).expanduser().resolve() for w in scope.workspaces]
        current = Path(base.workspace_root).resolve()
        update["workspace_root"] = current if current in allowed else allowed[0]
    if scope.impersonate_user:
        update["kube_impersonate_user"] = scope.impersonate_user
        update["kube_impersonate_group"] = None  # the user's groups replace the server's own
        update["kube_impersonate_groups"] = list(scope.impersonate_groups)
    return base.model_copy(update=update)


def can_see(user: dict[str, Any], run: dict[str, Any]) -> bool:
    """Whether `user` may see `run` at all (read it, follow its events, decide its calls, cancel it).

    An admin sees every run and everyone sees the runs they started. Anyone else sees a run only when the
    scope recorded with it lies within their own scope: all it could reach, they could reach too. A run
    recorded without a scope (before scopes were stored with runs) is seen by its starter and admins only.
    """
    if user["role"] == "admin" or run["requested_by"] == user["name"]:
        return True
    if run.get("scope") is None:
        return False
    return within(UserScope.model_validate(run["scope"]), UserScope.model_validate(user.get("scope") or {}))


def within(inner: UserScope, outer: UserScope) -> bool:
    """Everything `inner` may reach, `outer` may reach too. An empty list is no limit; impersonating a
    cluster user is a limit (a run on the server's own credentials is wider than any impersonated one)."""
    for mine, theirs in ((inner.namespaces, outer.namespaces), (inner.kube_contexts, outer.kube_contexts)):
        if theirs and not (mine and set(mine) <= set(theirs)):
            return False
    if outer.workspaces:
        roots = [_path(w) for w in outer.workspaces]
        if not inner.workspaces or not all(any(_path(w).is_relative_to(r) for r in roots) for w in inner.workspaces):
            return False
    if outer.impersonate_user:
        if inner.impersonate_user != outer.impersonate_user:
            return False
        if not set(inner.impersonate_groups) <= set(outer.impersonate_groups):
            return False
    return True


def visible_runs(db: Database, user: dict[str, Any], limit: int = 100) -> list[dict[str, Any]]:
    """The latest `limit` runs `user` may see, newest first (reading further back while others' are skipped)."""
    found: list[dict[str, Any]] = []
    offset = 0
    while len(found) < limit:
        page = db.list_runs(limit=PAGE, offset=offset)
        found.extend(row for row in page if can_see(user, row))
        if len(page) < PAGE:
            break
        offset += PAGE
    return found[:limit]


def visible_sessions(db: Database, user: dict[str, Any], session_ids: list[str]) -> set[str]:
    """Which of these session ids `user` may see: a server run's session follows `can_see`; a session with no
    run behind it (the CLI's) is for admins only."""
    if user["role"] == "admin":
        return set(session_ids)
    return {row["id"] for row in db.runs_by_ids(session_ids) if can_see(user, row)}


def _path(text: str) -> Path:
    return Path(text).expanduser().resolve()
