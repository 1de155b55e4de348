"""Chart paths and values: confined to the workspace, --set paths merged, rendered manifests diffed."""

from __future__ import annotations

import os
import re
from pathlib import Path
from typing import Any

from reign.errors import ToolError, one_line
from reign.managers.kubernetes import summary as ks
from reign.policy.classifiers.kubernetes import CLUSTER_SCOPED, canonical_kind
from reign.toolcontext import ToolContext
from reign.workspace import inside_workspace

# ------------------------------------------------------------------------------------------ paths, values


def confined(path: str, ctx: ToolContext, *, must_exist: bool = True) -> Path:
    """`path` (relative to the workspace root) resolved, symlinks followed; refused when it leaves the root."""
    real = inside_workspace(path, ctx.settings.workspace_root)
    if must_exist and not real.exists():
        raise ToolError(f"{path}: no such file or directory under the workspace root")
    return real


def chart_dir(chart: str, ctx: ToolContext) -> Path:
    real = confined(chart, ctx)
    root = Path(ctx.settings.workspace_root).expanduser().resolve()
    if real.is_dir():
        if not (real / "Chart.yaml").is_file():
            raise ToolError(f"{chart}: not a chart (no Chart.yaml)")
        for dirpath, dirnames, filenames in os.walk(real):
            for entry in [*dirnames, *filenames]:
                candidate = Path(dirpath) / entry
                if candidate.is_symlink() and not candidate.resolve().is_relative_to(root):
                    raise ToolError(f"{chart}: {candidate.relative_to(real)} links outside the workspace root")
    elif not real.name.endswith(".tgz"):
        raise ToolError(f"{chart}: a chart is a directory with Chart.yaml or a packaged .tgz")
    return real


def _set_path(target: dict[str, Any], dotted: str, value: Any) -> None:
    parts = [p.replace("\\.", ".") for p in re.split(r"(?<!\\)\.", dotted)]
    if not all(parts):
        raise ToolError(f"set: bad key {dotted!r}")
    cur = target
    for part in parts[:-1]:
        nxt = cur.get(part)
        if not isinstance(nxt, dict):
            nxt = cur[part] = {}
        cur = nxt
    cur[parts[-1]] = value


def merge(base: dict[str, Any], over: dict[str, Any]) -> dict[str, Any]:
    out = dict(base)
    for key, value in over.items():
        if isinstance(value, dict) and isinstance(out.get(key), dict):
            out[key] = merge(out[key], value)
        else:
            out[key] = value
    return out


def user_values(values_files: list[str] | None, set: dict[str, Any] | None, ctx: ToolContext) -> dict[str, Any]:
    """Values files in order, then `set` on top: what the user supplies over the chart's defaults."""
    import yaml

    values: dict[str, Any] = {}
    for name in values_files or []:
        path = confined(name, ctx)
        try:
            data = yaml.safe_load(path.read_text()) or {}
        except (OSError, yaml.YAMLError) as exc:
            raise ToolError(f"{name}: not a readable YAML values file: {one_line(exc, 200)}") from None
        if not isinstance(data, dict):
            raise ToolError(f"{name}: a values file is a mapping")
        values = merge(values, data)
    overrides: dict[str, Any] = {}
    for key, value in (set or {}).items():
        _set_path(overrides, key, value)
    return merge(values, overrides)


# ------------------------------------------------------------------------------------------ manifests


def split_sources(text: str) -> dict[str, str]:
    """`helm template` output -> {template path: manifest}."""
    out: dict[str, str] = {}
    current = "(unnamed)"
    for doc in re.split(r"(?m)^---\s*$", text):
        match = re.search(r"(?m)^# Source: (.+)$", doc)
        if match:
            current = match.group(1).strip()
        body = doc.strip()
        if body:
            out[current] = (out.get(current, "") + "\n---\n" + body).strip("-\n") if current in out else body
    return out


def objects(manifest: str) -> list[dict[str, Any]]:
    import yaml

    try:
        docs = list(yaml.safe_load_all(manifest))
    except yaml.YAMLError as exc:
        raise ToolError(f"rendered manifest is not YAML: {one_line(exc, 200)}") from None
    return [d for d in docs if isinstance(d, dict) and d.get("kind")]


def object_key(obj: dict[str, Any], namespace: str) -> str:
    meta = obj.get("metadata") or {}
    kind = canonical_kind(str(obj.get("kind")))
    ns = "" if kind in CLUSTER_SCOPED else f"{meta.get('namespace') or namespace}/"
    return f"{obj.get('kind')} {ns}{meta.get('name')}"


def manifest_diff(before: str | None, after: str | None, namespace: str) -> tuple[str, dict[str, int]]:
    """Per-object unified diff of two rendered manifests (Secret values fingerprinted, never shown)."""
    old = {object_key(o, namespace): o for o in objects(before or "")}
    new = {object_key(o, namespace): o for o in objects(after or "")}
    counts = {"create": 0, "change": 0, "delete": 0, "unchanged": 0}
    parts = []
    for key in sorted(set(old) | set(new)):
        a, b = ks.without_bookkeeping(old.get(key)), ks.without_bookkeeping(new.get(key))
        action = "create" if a is None else "delete" if b is None else "change" if a != b else "unchanged"
        counts[action] += 1
        parts.append(f"## {key}: {action}")
        diff = ks.object_diff(a, b, key.replace(" ", "/"), max_lines=40 if action == "delete" else 0)
        if diff:
            parts.append(diff.rstrip("\n").replace("live/", "release/").replace("dry-run/", "rendered/"))
    return "\n".join(parts), counts


def resources_of(manifest: str, namespace: str) -> list[str]:
    return [object_key(o, namespace) for o in objects(manifest)]
