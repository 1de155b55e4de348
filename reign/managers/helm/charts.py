"""Chart tools: create, lint, template, show, package."""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import Any

from reign import kubeconfig
from reign.errors import ToolError
from reign.managers.helm.choice import engine_for
from reign.managers.helm.values import chart_dir, confined, object_key, objects, user_values
from reign.policy.classifiers.kubernetes import CLUSTER_SCOPED, canonical_kind
from reign.toolcontext import ToolContext

# ------------------------------------------------------------------------------------------ scope


def namespace_for(ctx: ToolContext, namespace: str | None, *, write: bool, all_namespaces: bool = False) -> str | None:
    from reign.managers.kubernetes.scope import scoped_namespace

    def context_default() -> str:
        files = kubeconfig.files()
        if not files:
            return "default"
        kc = kubeconfig.load(files)
        entry = kc["contexts"].get(ctx.settings.kube_context or kc["current-context"]) or {}
        return str(entry.get("namespace") or "default")

    return scoped_namespace(ctx, namespace, context_default, write=write, all_namespaces=all_namespaces)


def context_name(ctx: ToolContext) -> str:

    if ctx.settings.kube_context:
        return ctx.settings.kube_context
    files = kubeconfig.files()
    return str(kubeconfig.load(files)["current-context"] or "?") if files else "?"


def check_rendered(manifest: str, namespace: str, ctx: ToolContext) -> None:
    """Objects a chart puts outside the release namespace must be in scope and not protected."""
    allowed = [str(n) for n in getattr(ctx.settings, "kube_namespaces", None) or []]
    protected = [str(n) for n in getattr(ctx.settings, "protected_namespaces", None) or []]
    for obj in objects(manifest):
        kind = canonical_kind(str(obj.get("kind")))
        meta = obj.get("metadata") or {}
        if kind in CLUSTER_SCOPED:
            if allowed:
                raise ToolError(f"the chart renders a cluster-scoped {obj.get('kind')} ({meta.get('name')}): outside "
                                f"this session's namespaces ({', '.join(allowed)})")
            continue
        ns = meta.get("namespace")
        if not ns or ns == namespace:
            continue
        if allowed and ns not in allowed:
            raise ToolError(f"the chart renders {obj.get('kind')} {meta.get('name')} into namespace {ns!r}, outside "
                            f"this session's namespaces ({', '.join(allowed)})")
        if ns in protected:
            raise ToolError(f"the chart renders {obj.get('kind')} {meta.get('name')} into protected namespace {ns!r}")


# ------------------------------------------------------------------------------------------ chart tools


def _create_plan(name: str, dir: str, ctx: ToolContext) -> tuple[str, list[Any]]:
    """The chart Helm would scaffold at dir/name, as file changes (made in a scratch folder, nothing written)."""
    from reign.managers.files.diff import Change

    parent = confined(dir, ctx)
    if not parent.is_dir():
        raise ToolError(f"{dir}: not a directory")
    if (parent / name).exists():
        raise ToolError(f"{parent / name} already exists")
    root = Path(ctx.settings.workspace_root).expanduser().resolve()
    chart = (parent / name).relative_to(root).as_posix()
    with tempfile.TemporaryDirectory(prefix="reign-helm-create-") as tmp:
        made = engine_for(ctx).create(name, Path(tmp))
        files = sorted(p for p in made.rglob("*") if p.is_file())
        return chart, [Change(f"{chart}/{p.relative_to(made).as_posix()}", None, p.read_text()) for p in files]


def preview_create(*, name: str, dir: str = ".", ctx: ToolContext) -> str:
    """Catalogue `preview` of helm_create: the diff of every file the new chart adds."""
    from reign.managers.files.diff import preview

    return preview(_create_plan(name, dir, ctx)[1])


def create(*, name: str, dir: str = ".", ctx: ToolContext) -> dict[str, Any]:
    """Scaffold a new chart (Chart.yaml, values.yaml, templates/) at dir/name: exactly the files of the approved
    diff, refused when the folder appeared or changed since that diff was shown."""
    from reign.managers.files.write import changes_for_run, commit

    plan: list[str] = []

    def make() -> list[Any]:
        chart, changes = _create_plan(name, dir, ctx)
        plan.append(chart)
        return changes

    changes = changes_for_run(make, ctx)
    for change in changes:
        commit(change, ctx)
    return {"chart": plan[0], "files": sorted(c.path.removeprefix(plan[0] + "/") for c in changes)}


def lint(*, chart: str, values_files: list[str] | None = None, set: dict[str, Any] | None = None,
         strict: bool = False, ctx: ToolContext) -> dict[str, Any]:
    """helm lint: findings by severity; ok is false when there is an error (or a warning, with strict)."""
    path = chart_dir(chart, ctx)
    messages = engine_for(ctx).lint(path, user_values(values_files, set, ctx), strict)
    errors = sum(1 for m in messages if m["severity"] == "ERROR")
    warnings = sum(1 for m in messages if m["severity"] == "WARNING")
    return {"chart": chart, "ok": errors == 0 and not (strict and warnings), "errors": errors, "warnings": warnings,
            "messages": messages}


def template(*, chart: str, release: str = "release-name", namespace: str = "default",
             values_files: list[str] | None = None, set: dict[str, Any] | None = None,
             show_only: list[str] | None = None, ctx: ToolContext) -> str:
    """helm template: the rendered manifests (offline), each under `# Source: <template>`."""
    path = chart_dir(chart, ctx)
    rendered = engine_for(ctx).render(path, user_values(values_files, set, ctx), release, namespace)
    docs = []
    for source in sorted(rendered):
        body = rendered[source].strip()
        if not body or source.endswith("NOTES.txt"):
            continue
        if show_only and not any(source.endswith(s) for s in show_only):
            continue
        docs.append(f"---\n# Source: {source}\n{body}\n")
    if show_only and not docs:
        raise ToolError(f"no template matches {show_only}; templates: {', '.join(sorted(rendered))}")
    listing = [object_key(o, namespace) for o in objects("".join(docs))]
    return f"# {len(listing)} objects: {', '.join(listing)}\n" + "".join(docs)


def show(*, chart: str, what: str = "values", ctx: ToolContext) -> str:
    """helm show: the chart's values (default), Chart.yaml, README or all."""
    return engine_for(ctx).show(chart_dir(chart, ctx), what)


def package(*, chart: str, destination: str = ".", version: str | None = None, app_version: str | None = None,
            ctx: ToolContext) -> dict[str, Any]:
    """helm package: a versioned .tgz of the chart in destination."""
    path = chart_dir(chart, ctx)
    dest = confined(destination, ctx)
    if not dest.is_dir():
        raise ToolError(f"{destination}: not a directory")
    archive = engine_for(ctx).package(path, dest, version, app_version)
    confined(archive, ctx)
    return {"archive": archive}
