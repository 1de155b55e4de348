"""file_templates and file_generate: render a template into a directory of the workspace, as a diff.

Generation never writes silently: file_generate's approval preview is the multi-file diff against what is
on disk, and it writes exactly the approved files, refusing when any of them changed since the diff was shown.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from reign.errors import ToolError
from reign.managers.files import diff, templates
from reign.managers.files.paths import rel, resolve, writable
from reign.managers.files.write import changes_for_run, commit, current
from reign.toolcontext import ToolContext


def _target(path: str, ctx: ToolContext) -> tuple[Path, Path]:
    base, folder = resolve(path, ctx)
    if folder.exists() and not folder.is_dir():
        raise ToolError(f"{path}: not a directory")
    return base, folder


_SERVED = {"hpa_api_version": ("HorizontalPodAutoscaler", ("autoscaling/v2", "autoscaling/v2beta2")),
           "pdb_api_version": ("PodDisruptionBudget", ("policy/v1", "policy/v1beta1"))}


def served_api_versions(ctx: ToolContext) -> dict[str, str]:
    """The newest HPA and PDB API versions the session's cluster serves, when one answers (else nothing:
    the template's defaults, for current clusters, apply)."""
    from reign.managers.kubernetes import client as kube
    from reign.managers.kubernetes.discovery import _group_version

    if kube.available(ctx.settings) is not None:
        return {}
    out: dict[str, str] = {}
    try:
        sess = kube.api_session(ctx)
        for key, (kind, versions) in _SERVED.items():
            served = next((gv for gv in versions if any(r.kind == kind for r in _group_version(sess, gv))), None)
            if served:
                out[key] = served
    except ToolError:
        return {}
    return out


def facts_for(template: str, folder: Path, ctx: ToolContext) -> dict[str, Any]:
    facts = templates.detect(folder)
    if template == "kubernetes":
        facts.update(served_api_versions(ctx))
    return facts


def plan(template: str, path: str, params: dict[str, Any] | None, ctx: ToolContext) -> list[diff.Change]:
    """The changes generating `template` into `path` would make (files in template order)."""
    tpl = templates.load(template)
    base, folder = _target(path, ctx)
    facts = facts_for(template, folder, ctx)
    context = templates.values(tpl, facts, params or {})
    context["path"] = rel(folder, base)
    changes = []
    for dest, text in templates.render(tpl, context).items():
        _, real = writable(str(Path(rel(folder, base)) / dest), ctx)
        changes.append(diff.Change(rel(real, base), current(real), text))
    return changes


def templates_list(*, path: str = ".", ctx: ToolContext) -> dict[str, Any]:
    """Every template with its parameters, and what is detected in `path` (used as defaults)."""
    base, folder = _target(path, ctx)
    out = {}
    for name in templates.names():
        facts = facts_for(name, folder, ctx)
        tpl = templates.load(name)
        params = {}
        for key, spec in tpl.params.items():
            shown = facts.get(key, spec.get("default"))
            params[key] = {"default": shown, **({"enum": spec["enum"]} if "enum" in spec else {}),
                           **({"about": spec["description"]} if "description" in spec else {})}
        out[name] = {"description": tpl.description, "params": params}
    return {"path": rel(folder, base), "detected_stack": templates.detect_stack(folder), "templates": out}


def preview_generate(*, template: str, path: str = ".", params: dict[str, Any] | None = None,
                     ctx: ToolContext) -> str:
    return diff.preview(plan(template, path, params, ctx))


def generate(*, template: str, path: str = ".", params: dict[str, Any] | None = None,
             ctx: ToolContext) -> dict[str, Any]:
    """Write the template's files into `path`: exactly the files of the approved diff."""
    changes = changes_for_run(lambda: plan(template, path, params, ctx), ctx)
    written = [commit(c, ctx) for c in changes if not c.unchanged]
    return {"template": template, "written": written,
            "unchanged": [c.path for c in changes if c.unchanged],
            "next": "check the files with file_validate"}
