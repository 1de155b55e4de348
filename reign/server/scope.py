"""Per-user scope: a run works within what both the server's settings and its requester's scope allow."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from reign.config import Settings
from reign.errors import ReignError
from reign.server.users import UserScope


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
        update["kube_impersonate_group"] = scope.impersonate_group
    return base.model_copy(update=update)
