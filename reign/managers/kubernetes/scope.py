"""The namespace scope from settings: which namespaces a call may touch, and whether Secret values may be shown."""

from __future__ import annotations

from collections.abc import Callable

from reign.errors import ToolError
from reign.managers.kubernetes.client import ApiSession, Resource
from reign.toolcontext import ToolContext

# ------------------------------------------------------------------------------------------ scope


def settings_list(ctx: ToolContext, name: str) -> list[str]:
    return [str(v) for v in getattr(ctx.settings, name, None) or []]


def namespace_for(sess: ApiSession, ctx: ToolContext, res: Resource | None, namespace: str | None, *,
               write: bool, name: str | None = None, all_namespaces: bool = False) -> str | None:
    """The namespace a call acts in (None: cluster-scoped or all namespaces), refusing what is out of scope."""
    allowed = settings_list(ctx, "kube_namespaces")
    scope = ", ".join(allowed)
    if res is not None and res.is_core("Namespace") and name:
        if allowed and name not in allowed:
            raise ToolError(f"namespace {name!r} is outside this session's namespaces ({scope})")
        return None
    if res is not None and not res.namespaced:
        if write and allowed:
            raise ToolError(f"{res.kind} is cluster-scoped: writes are outside this session's namespaces ({scope})")
        return None
    return scoped_namespace(ctx, namespace, lambda: sess.namespace, write=write, all_namespaces=all_namespaces)


def scoped_namespace(ctx: ToolContext, namespace: str | None, default: Callable[[], str], *, write: bool,
                     all_namespaces: bool = False) -> str | None:
    """The session's namespace scope, for Kubernetes and Helm alike: None means all namespaces. The
    context's default namespace is looked up (`default`) only when the call names none."""
    allowed = settings_list(ctx, "kube_namespaces")
    protected = settings_list(ctx, "protected_namespaces")
    scope = ", ".join(allowed)
    if all_namespaces:
        if allowed:
            raise ToolError(f"all-namespaces requests are outside this session's namespaces ({scope})")
        return None
    ns = namespace or (allowed[0] if allowed else default())
    if allowed and ns not in allowed:
        raise ToolError(f"namespace {ns!r} is outside this session's namespaces ({scope})")
    if write and not namespace and ns in protected:
        raise ToolError(f"namespace {ns!r} (the context's default) is protected: name the namespace explicitly")
    return ns


def secret_values_allowed(ctx: ToolContext) -> bool:
    return bool(getattr(ctx.settings, "kube_secret_values", False))


def object_ref(res: Resource, ns: str | None, name: str) -> str:
    return f"{res.kind} {ns + '/' if ns else ''}{name}"
