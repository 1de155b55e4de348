"""The kubeconfig, read in one place: which files (`$KUBECONFIG`, os.pathsep-separated, else ~/.kube/config),
merged as kubectl merges them (first file wins per name), without credentials. Used by the Kubernetes and Helm
managers, the gate's context (is the current context production?) and a new session's pinned scope."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from reign.errors import ToolError, one_line


def files() -> list[str]:
    """The kubeconfig files that exist."""
    env = os.environ.get("KUBECONFIG")
    paths = [p for p in env.split(os.pathsep) if p.strip()] if env and env.strip() else \
        [str(Path.home() / ".kube" / "config")]
    return [os.path.expanduser(p) for p in paths if os.path.isfile(os.path.expanduser(p))]


def missing_reason() -> str:
    """Why there is no kubeconfig, in one line."""
    env = os.environ.get("KUBECONFIG")
    if env and env.strip():
        return f"no kubeconfig found (KUBECONFIG={env}: no such file)"
    return "no kubeconfig found (KUBECONFIG unset and ~/.kube/config missing)"


def load(paths: list[str], *, strict: bool = True) -> dict[str, Any]:
    """{"contexts": {name: context}, "clusters": {name: cluster}, "current-context": name or ""}.
    `strict`: a file that does not read is a ToolError; otherwise it is skipped."""
    merged: dict[str, Any] = {"contexts": {}, "clusters": {}, "current-context": ""}
    if not paths:
        return merged
    import yaml

    loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)  # libyaml when built with it: read at every start
    for path in paths:
        try:
            data = yaml.load(Path(path).read_text(), Loader=loader) or {}  # noqa: S506 (a safe loader)
        except (OSError, yaml.YAMLError) as exc:
            if strict:
                raise ToolError(f"cannot read kubeconfig {path}: {one_line(exc, 200)}") from exc
            continue
        if not isinstance(data, dict):
            if strict:
                raise ToolError(f"kubeconfig {path} is not a mapping")
            continue
        if not merged["current-context"] and data.get("current-context"):
            merged["current-context"] = str(data["current-context"])
        for section in ("contexts", "clusters"):
            for entry in data.get(section) or []:
                if isinstance(entry, dict) and entry.get("name") and entry["name"] not in merged[section]:
                    merged[section][str(entry["name"])] = entry.get(section[:-1]) or {}
    return merged


def current_context() -> str:
    """The current-context ("" when none): what an unpinned session talks to."""
    return str(load(files(), strict=False)["current-context"])
