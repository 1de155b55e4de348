"""Write tools and their previews: apply, patch, scale, rollout restart/undo, delete."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from reign.errors import ToolError
from reign.managers.kubernetes import summary as ks
from reign.managers.kubernetes.changes import (
    CHANGED,
    RESTARTED_AT,
    _apply_changes,
    _delete_changes,
    _delete_preview,
    _dry_run,
    _dry_run_all,
    _execute,
    _outcome,
    _patch_change,
    _render,
    _scale_change,
    _undo_change,
)
from reign.managers.kubernetes.client import FIELD_MANAGER, _request, _session
from reign.managers.kubernetes.reads import _rollout_target
from reign.managers.kubernetes.scope import _ref
from reign.toolcontext import ToolContext


def rollout_restart(*, name: str, kind: str = "deployment", namespace: str | None = None,
                    ctx: ToolContext) -> dict[str, Any]:
    """kubectl rollout restart: stamps the pod template so that every pod is replaced."""
    sess = _session(ctx)
    res, ns, _ = _rollout_target(sess, ctx, kind, namespace, write=True)
    stamp = datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    body = {"spec": {"template": {"metadata": {"annotations": {RESTARTED_AT: stamp}}}}}
    obj = _request(sess, "PATCH", res.path(ns, name), body=body, content_type="application/strategic-merge-patch+json",
                   query=[("fieldManager", FIELD_MANAGER)])
    return {"restarted": _ref(res, ns, name), "at": stamp, "generation": (obj.get("metadata") or {}).get("generation"),
            "next": "follow with k8s_rollout_status"}


def preview_apply(*, manifest: str, namespace: str | None = None, force_conflicts: bool = False,
                  ctx: ToolContext) -> str:
    sess = _session(ctx)
    changes = _apply_changes(sess, ctx, manifest, namespace, force_conflicts)
    _dry_run_all(sess, changes)
    return _render(sess, "k8s_apply", changes)


def apply(*, manifest: str, namespace: str | None = None, force_conflicts: bool = False,
          ctx: ToolContext) -> dict[str, Any]:
    """Server-side apply (field manager "reign") after a server-side dry-run of every object."""
    sess = _session(ctx)
    changes = _apply_changes(sess, ctx, manifest, namespace, force_conflicts)
    _dry_run_all(sess, changes)
    ctx.check_approved(_render(sess, "k8s_apply", changes), CHANGED)
    return _outcome(_execute(sess, changes), len(changes))


def preview_patch(*, kind: str, name: str, patch: Any, patch_type: str = "strategic", namespace: str | None = None,
                  api_version: str | None = None, ctx: ToolContext) -> str:
    sess = _session(ctx)
    change = _patch_change(sess, ctx, kind, name, patch, patch_type, namespace, api_version)
    _dry_run(sess, change, set())
    if change.live is None:
        raise ToolError(f"{change.ref} not found")
    return _render(sess, "k8s_patch", [change])


def patch(*, kind: str, name: str, patch: Any, patch_type: str = "strategic", namespace: str | None = None,
          api_version: str | None = None, ctx: ToolContext) -> dict[str, Any]:
    """Patch one object (strategic merge, JSON merge or JSON patch), after a server-side dry-run."""
    sess = _session(ctx)
    change = _patch_change(sess, ctx, kind, name, patch, patch_type, namespace, api_version)
    _dry_run(sess, change, set())
    if change.live is None:
        raise ToolError(f"{change.ref} not found")
    ctx.check_approved(_render(sess, "k8s_patch", [change]), CHANGED)
    return _outcome(_execute(sess, [change]), 1)


def preview_scale(*, name: str, replicas: int, kind: str = "deployment", namespace: str | None = None,
                  ctx: ToolContext) -> str:
    sess = _session(ctx)
    change = _scale_change(sess, ctx, kind, name, replicas, namespace)
    _dry_run(sess, change, set())
    if change.live is None:
        raise ToolError(f"{change.ref} not found")
    return _render(sess, "k8s_scale", [change])


def scale(*, name: str, replicas: int, kind: str = "deployment", namespace: str | None = None,
          ctx: ToolContext) -> dict[str, Any]:
    """Set the replica count through the scale subresource (deployments, statefulsets, replicasets, CRDs)."""
    sess = _session(ctx)
    change = _scale_change(sess, ctx, kind, name, replicas, namespace)
    _dry_run(sess, change, set())
    if change.live is None:
        raise ToolError(f"{change.ref} not found")
    ctx.check_approved(_render(sess, "k8s_scale", [change]), CHANGED)
    before = int(((change.live or {}).get("spec") or {}).get("replicas", 0))
    out = _outcome(_execute(sess, [change]), 1)
    out["replicas"] = {"from": before, "to": replicas}
    return out


def preview_rollout_undo(*, name: str, namespace: str | None = None, to_revision: int | None = None,
                         ctx: ToolContext) -> str:
    sess = _session(ctx)
    change, revision = _undo_change(sess, ctx, name, namespace, to_revision)
    _dry_run(sess, change, set())
    return f"# roll back to revision {revision}\n" + _render(sess, "k8s_rollout_undo", [change])


def rollout_undo(*, name: str, namespace: str | None = None, to_revision: int | None = None,
                 ctx: ToolContext) -> dict[str, Any]:
    """kubectl rollout undo for a Deployment: its pod template back to a ReplicaSet revision (default: previous)."""
    sess = _session(ctx)
    change, revision = _undo_change(sess, ctx, name, namespace, to_revision)
    _dry_run(sess, change, set())
    ctx.check_approved(f"# roll back to revision {revision}\n" + _render(sess, "k8s_rollout_undo", [change]), CHANGED)
    if ks.without_bookkeeping(change.live) == ks.without_bookkeeping(change.dry):
        return {"object": change.ref, "result": f"skipped: the template already matches revision {revision}"}
    out = _outcome(_execute(sess, [change]), 1)
    out["rolled_back_to"] = revision
    out["next"] = "follow with k8s_rollout_status"
    return out


def preview_delete(*, kind: str, name: str | None = None, namespace: str | None = None,
                   label_selector: str | None = None, all: bool = False, api_version: str | None = None,
                   grace_period_seconds: int | None = None, ctx: ToolContext) -> str:
    sess = _session(ctx)
    changes = _delete_changes(sess, ctx, kind, name, namespace, label_selector, all, api_version,
                              grace_period_seconds)
    return _delete_preview(sess, changes)


def delete(*, kind: str, name: str | None = None, namespace: str | None = None, label_selector: str | None = None,
           all: bool = False, api_version: str | None = None, grace_period_seconds: int | None = None,
           ctx: ToolContext) -> dict[str, Any]:
    """Delete one object, or exactly the objects a selector (or all=true) matched in the approved preview."""
    sess = _session(ctx)
    changes = _delete_changes(sess, ctx, kind, name, namespace, label_selector, all, api_version,
                              grace_period_seconds)
    ctx.check_approved(_delete_preview(sess, changes), CHANGED)
    return _outcome(_execute(sess, changes), len(changes))
