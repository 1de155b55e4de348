"""Release tools: list, status, history, install/upgrade/rollback/uninstall with their previews."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from reign.errors import ToolError
from reign.managers.helm.charts import check_rendered, context_name, namespace_for
from reign.managers.helm.choice import engine_for
from reign.managers.helm.engine import CHANGED, Engine
from reign.managers.helm.values import chart_dir, manifest_diff, resources_of, user_values
from reign.toolcontext import ToolContext

# ------------------------------------------------------------------------------------------ release tools


def list_releases(*, namespace: str | None = None, all_namespaces: bool = False, all_states: bool = False,
                  filter: str | None = None, ctx: ToolContext) -> dict[str, Any]:
    """Releases (deployed by default; all_states adds failed, pending, uninstalled-with-history)."""
    ns = namespace_for(ctx, namespace, write=False, all_namespaces=all_namespaces)
    rows = engine_for(ctx).releases(ns, all_states, filter)
    return {"namespace": ns or "(all)", "total": len(rows), "releases": rows}


def _release_namespace(ctx: ToolContext, namespace: str | None, *, write: bool) -> str:
    """A release lives in one namespace (never "all namespaces")."""
    ns = namespace_for(ctx, namespace, write=write)
    if ns is None:
        raise ToolError("a Helm release lives in one namespace: name it")
    return ns


def status(*, release: str, namespace: str | None = None, revision: int | None = None,
           ctx: ToolContext) -> dict[str, Any]:
    """A release's state, the objects it owns and its notes."""
    ns = _release_namespace(ctx, namespace, write=False)
    current = engine_for(ctx).status(release, ns, revision)
    if current is None:
        raise ToolError(f"release {release!r} not found in namespace {ns}")
    manifest, notes = current.pop("manifest"), current.pop("notes")
    current["resources"] = resources_of(manifest, ns)
    if notes:
        current["notes"] = notes[:2000]
    return current


def history(*, release: str, namespace: str | None = None, max: int = 20, ctx: ToolContext) -> dict[str, Any]:
    """A release's revisions, newest first."""
    ns = _release_namespace(ctx, namespace, write=False)
    rows = sorted(engine_for(ctx).history(release, ns), key=lambda r: -int(r.get("revision", 0)))
    return {"release": release, "namespace": ns, "revisions": rows[:max]}


def _release_plan(verb: str, release: str, chart: str, namespace: str | None, values_files: list[str] | None,
                  set: dict[str, Any] | None, ctx: ToolContext, *, install_missing: bool = False,
                  reuse_values: bool = False, reset_values: bool = False) -> tuple[Engine, Path, dict[str, Any], str,
                                                                                    str]:
    ns = _release_namespace(ctx, namespace, write=True)
    engine = engine_for(ctx)
    path = chart_dir(chart, ctx)
    values = user_values(values_files, set, ctx)
    current = engine.status(release, ns)
    if verb == "install" and current is not None:
        raise ToolError(f"release {release!r} already exists in {ns} (revision {current.get('revision')}, "
                        f"{current.get('status')}): use helm_upgrade")
    if verb == "upgrade" and current is None and not install_missing:
        raise ToolError(f"release {release!r} not found in namespace {ns} (use helm_install, or install=true)")
    if current is None:
        rendered = engine.install(path, release, values, ns, dry_run=True, wait=False, timeout=60,
                                  create_namespace=True)
    else:
        rendered = engine.upgrade(path, release, values, ns, dry_run=True, wait=False, timeout=60,
                                  reuse_values=reuse_values, reset_values=reset_values)
    manifest = str(rendered.get("manifest") or "")
    check_rendered(manifest, ns, ctx)
    diff, counts = manifest_diff((current or {}).get("manifest"), manifest, ns)
    what = "new release" if current is None else f"release revision {current.get('revision')}"
    head = (f"# helm_{verb} {release} in {ns} (chart {rendered.get('chart', path.name)}) on context "
            f"{context_name(ctx)}: rendered manifest against the {what}\n"
            f"# {counts['create']} to create, {counts['change']} to change, {counts['delete']} to delete, "
            f"{counts['unchanged']} unchanged\n")
    return engine, path, values, ns, head + diff + ("\n" if diff else "")


def preview_install(*, release: str, chart: str, namespace: str | None = None, values_files: list[str] | None = None,
                    set: dict[str, Any] | None = None, create_namespace: bool = False, wait: bool = True,
                    timeout_seconds: int = 300, ctx: ToolContext) -> str:
    return _release_plan("install", release, chart, namespace, values_files, set, ctx)[4]


def install(*, release: str, chart: str, namespace: str | None = None, values_files: list[str] | None = None,
            set: dict[str, Any] | None = None, create_namespace: bool = False, wait: bool = True,
            timeout_seconds: int = 300, ctx: ToolContext) -> dict[str, Any]:
    """helm install of a local chart, after a server dry-run render; waits for the objects to be ready."""
    engine, path, values, ns, preview = _release_plan("install", release, chart, namespace, values_files, set, ctx)
    ctx.check_approved(preview, CHANGED)
    out = engine.install(path, release, values, ns, dry_run=False, wait=wait, timeout=timeout_seconds,
                         create_namespace=create_namespace)
    return _written(out, ns)


def _written(out: dict[str, Any], ns: str) -> dict[str, Any]:
    manifest, notes = out.pop("manifest", ""), out.pop("notes", "")
    out["resources"] = resources_of(manifest, ns)
    if notes:
        out["notes"] = notes[:1000]
    return out


def preview_upgrade(*, release: str, chart: str, namespace: str | None = None, values_files: list[str] | None = None,
                    set: dict[str, Any] | None = None, install: bool = False, reuse_values: bool = False,
                    reset_values: bool = False, wait: bool = True, timeout_seconds: int = 300,
                    ctx: ToolContext) -> str:
    return _release_plan("upgrade", release, chart, namespace, values_files, set, ctx, install_missing=install,
                         reuse_values=reuse_values, reset_values=reset_values)[4]


def upgrade(*, release: str, chart: str, namespace: str | None = None, values_files: list[str] | None = None,
            set: dict[str, Any] | None = None, install: bool = False, reuse_values: bool = False,
            reset_values: bool = False, wait: bool = True, timeout_seconds: int = 300,
            ctx: ToolContext) -> dict[str, Any]:
    """helm upgrade (install=true: install when missing), after a server dry-run render diffed against the release."""
    engine, path, values, ns, preview = _release_plan("upgrade", release, chart, namespace, values_files, set, ctx,
                                                      install_missing=install, reuse_values=reuse_values,
                                                      reset_values=reset_values)
    ctx.check_approved(preview, CHANGED)
    if engine.status(release, ns) is None:
        out = engine.install(path, release, values, ns, dry_run=False, wait=wait, timeout=timeout_seconds,
                             create_namespace=False)
    else:
        out = engine.upgrade(path, release, values, ns, dry_run=False, wait=wait, timeout=timeout_seconds,
                             reuse_values=reuse_values, reset_values=reset_values)
    return _written(out, ns)


def _rollback_plan(release: str, namespace: str | None, revision: int | None,
                   ctx: ToolContext) -> tuple[Engine, str, int, str]:
    ns = _release_namespace(ctx, namespace, write=True)
    engine = engine_for(ctx)
    current = engine.status(release, ns)
    if current is None:
        raise ToolError(f"release {release!r} not found in namespace {ns}")
    revisions = sorted(int(r.get("revision", 0)) for r in engine.history(release, ns))
    now = int(current.get("revision", 0))
    target = revision or max((r for r in revisions if r < now), default=0)
    if not target or target not in revisions:
        raise ToolError(f"release {release!r} has no revision {revision or 'before ' + str(now)} "
                        f"(revisions: {', '.join(map(str, revisions))})")
    old = engine.status(release, ns, target)
    diff, counts = manifest_diff(current.get("manifest"), (old or {}).get("manifest"), ns)
    head = (f"# helm_rollback {release} in {ns}: revision {now} -> a new revision with revision {target}'s manifest\n"
            f"# {counts['create']} to create, {counts['change']} to change, {counts['delete']} to delete, "
            f"{counts['unchanged']} unchanged\n")
    return engine, ns, target, head + diff + ("\n" if diff else "")


def preview_rollback(*, release: str, namespace: str | None = None, revision: int | None = None, wait: bool = True,
                     timeout_seconds: int = 300, ctx: ToolContext) -> str:
    return _rollback_plan(release, namespace, revision, ctx)[3]


def rollback(*, release: str, namespace: str | None = None, revision: int | None = None, wait: bool = True,
             timeout_seconds: int = 300, ctx: ToolContext) -> dict[str, Any]:
    """helm rollback to a revision (default: the previous one); creates a new revision."""
    engine, ns, target, preview = _rollback_plan(release, namespace, revision, ctx)
    ctx.check_approved(preview, CHANGED)
    engine.rollback(release, ns, target, wait=wait, timeout=timeout_seconds)
    after = engine.status(release, ns) or {}
    return {"release": release, "namespace": ns, "rolled_back_to": target, "revision": after.get("revision"),
            "status": after.get("status")}


def _uninstall_plan(release: str, namespace: str | None, ctx: ToolContext) -> tuple[Engine, str, str]:
    ns = _release_namespace(ctx, namespace, write=True)
    engine = engine_for(ctx)
    current = engine.status(release, ns)
    if current is None:
        raise ToolError(f"release {release!r} not found in namespace {ns}")
    resources = resources_of(str(current.get("manifest") or ""), ns)
    lines = [f"# helm_uninstall {release} in {ns} (revision {current.get('revision')}, chart "
             f"{current.get('chart', '?')}): deletes {len(resources)} objects", *(f"- {r}" for r in resources)]
    return engine, ns, "\n".join(lines) + "\n"


def preview_uninstall(*, release: str, namespace: str | None = None, keep_history: bool = False, wait: bool = True,
                      timeout_seconds: int = 300, ctx: ToolContext) -> str:
    return _uninstall_plan(release, namespace, ctx)[2]


def uninstall(*, release: str, namespace: str | None = None, keep_history: bool = False, wait: bool = True,
              timeout_seconds: int = 300, ctx: ToolContext) -> dict[str, Any]:
    """helm uninstall: deletes every object of the release (keep_history keeps its record)."""
    engine, ns, preview = _uninstall_plan(release, namespace, ctx)
    ctx.check_approved(preview, CHANGED)
    out = engine.uninstall(release, ns, keep_history=keep_history, wait=wait, timeout=timeout_seconds)
    return {"release": release, "namespace": ns, **out}
