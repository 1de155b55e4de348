"""Write tools and their previews: apply, patch, scale, rollout restart/undo, delete."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from reign.errors import ToolError
from reign.managers.kubernetes import summary as ks
from reign.managers.kubernetes.changes import (
    CHANGED,
    RESTARTED_AT,
    apply_changes,
    delete_changes,
    delete_preview,
    dry_run_all,
    dry_run_change,
    execute_changes,
    outcome,
    patch_change,
    render_changes,
    scale_change,
    undo_change,
)
from reign.managers.kubernetes.client import FIELD_MANAGER, api_request, api_session
from reign.managers.kubernetes.reads import rollout_target
from reign.managers.kubernetes.scope import object_ref
from reign.toolcontext import ToolContext


def rollout_restart(*, name: str, kind: str = "deployment", namespace: str | None = None,
                    ctx: ToolContext) -> dict[str, Any]:
    """kubectl rollout restart: stamps the pod template so that every pod is replaced."""
    sess = api_session(ctx)
    res, ns, _ = rollout_target(sess, ctx, kind, namespace, write=True)
    stamp = datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    body = {"spec": {"template": {"metadata": {"annotations": {RESTARTED_AT: stamp}}}}}
    obj = api_request(sess, "PATCH", res.path(ns, name), body=body,
                      content_type="application/strategic-merge-patch+json", query=[("fieldManager", FIELD_MANAGER)])
    return {"restarted": object_ref(res, ns, name), "at": stamp,
            "generation": (obj.get("metadata") or {}).get("generation"), "next": "follow with k8s_rollout_status"}


def preview_apply(*, manifest: str, namespace: str | None = None, force_conflicts: bool = False,
                  ctx: ToolContext) -> str:
    sess = api_session(ctx)
    changes = apply_changes(sess, ctx, manifest, namespace, force_conflicts)
    dry_run_all(sess, changes)
    return render_changes(sess, "k8s_apply", changes)


def apply(*, manifest: str, namespace: str | None = None, force_conflicts: bool = False,
          ctx: ToolContext) -> dict[str, Any]:
    """Server-side apply (field manager "reign") after a server-side dry-run of every object."""
    sess = api_session(ctx)
    changes = apply_changes(sess, ctx, manifest, namespace, force_conflicts)
    dry_run_all(sess, changes)
    ctx.check_approved(render_changes(sess, "k8s_apply", changes), CHANGED)
    return outcome(execute_changes(sess, changes), len(changes))


def preview_patch(*, kind: str, name: str, patch: Any, patch_type: str = "strategic", namespace: str | None = None,
                  api_version: str | None = None, ctx: ToolContext) -> str:
    sess = api_session(ctx)
    change = patch_change(sess, ctx, kind, name, patch, patch_type, namespace, api_version)
    dry_run_change(sess, change, set())
    if change.live is None:
        raise ToolError(f"{change.ref} not found")
    return render_changes(sess, "k8s_patch", [change])


def patch(*, kind: str, name: str, patch: Any, patch_type: str = "strategic", namespace: str | None = None,
          api_version: str | None = None, ctx: ToolContext) -> dict[str, Any]:
    """Patch one object (strategic merge, JSON merge or JSON patch), after a server-side dry-run."""
    sess = api_session(ctx)
    change = patch_change(sess, ctx, kind, name, patch, patch_type, namespace, api_version)
    dry_run_change(sess, change, set())
    if change.live is None:
        raise ToolError(f"{change.ref} not found")
    ctx.check_approved(render_changes(sess, "k8s_patch", [change]), CHANGED)
    return outcome(execute_changes(sess, [change]), 1)


def preview_scale(*, name: str, replicas: int, kind: str = "deployment", namespace: str | None = None,
                  ctx: ToolContext) -> str:
    sess = api_session(ctx)
    change = scale_change(sess, ctx, kind, name, replicas, namespace)
    dry_run_change(sess, change, set())
    if change.live is None:
        raise ToolError(f"{change.ref} not found")
    return render_changes(sess, "k8s_scale", [change])


def scale(*, name: str, replicas: int, kind: str = "deployment", namespace: str | None = None,
          ctx: ToolContext) -> dict[str, Any]:
    """Set the replica count through the scale subresource (deployments, statefulsets, replicasets, CRDs)."""
    sess = api_session(ctx)
    change = scale_change(sess, ctx, kind, name, replicas, namespace)
    dry_run_change(sess, change, set())
    if change.live is None:
        raise ToolError(f"{change.ref} not found")
    ctx.check_approved(render_changes(sess, "k8s_scale", [change]), CHANGED)
    before = int(((change.live or {}).get("spec") or {}).get("replicas", 0))
    out = outcome(execute_changes(sess, [change]), 1)
    out["replicas"] = {"from": before, "to": replicas}
    return out


def preview_rollout_undo(*, name: str, namespace: str | None = None, to_revision: int | None = None,
                         ctx: ToolContext) -> str:
    sess = api_session(ctx)
    change, revision = undo_change(sess, ctx, name, namespace, to_revision)
    dry_run_change(sess, change, set())
    return f"# roll back to revision {revision}\n" + render_changes(sess, "k8s_rollout_undo", [change])


def rollout_undo(*, name: str, namespace: str | None = None, to_revision: int | None = None,
                 ctx: ToolContext) -> dict[str, Any]:
    """kubectl rollout undo for a Deployment: its pod template back to a ReplicaSet revision (default: previous)."""
    sess = api_session(ctx)
    change, revision = undo_change(sess, ctx, name, namespace, to_revision)
    dry_run_change(sess, change, set())
    preview = f"# roll back to revision {revision}\n" + render_changes(sess, "k8s_rollout_undo", [change])
    ctx.check_approved(preview, CHANGED)
    if ks.without_bookkeeping(change.live) == ks.without_bookkeeping(change.dry):
        return {"object": change.ref, "result": f"skipped: the template already matches revision {revision}"}
    out = outcome(execute_changes(sess, [change]), 1)
    out["rolled_back_to"] = revision
    out["next"] = "follow with k8s_rollout_status"
    return out


def preview_delete(*, kind: str, name: str | None = None, namespace: str | None = None,
                   label_selector: str | None = None, all: bool = False, api_version: str | None = None,
                   grace_period_seconds: int | None = None, ctx: ToolContext) -> str:
    sess = api_session(ctx)
    changes = delete_changes(sess, ctx, kind, name, namespace, label_selector, all, api_version,
                              grace_period_seconds)
    return delete_preview(sess, changes)


def delete(*, kind: str, name: str | None = None, namespace: str | None = None, label_selector: str | None = None,
           all: bool = False, api_version: str | None = None, grace_period_seconds: int | None = None,
           ctx: ToolContext) -> dict[str, Any]:
    """Delete one object, or exactly the objects a selector (or all=true) matched in the approved preview."""
    sess = api_session(ctx)
    changes = delete_changes(sess, ctx, kind, name, namespace, label_selector, all, api_version,
                              grace_period_seconds)
    ctx.check_approved(delete_preview(sess, changes), CHANGED)
    return outcome(execute_changes(sess, changes), len(changes))
