"""Paths the model names are confined to the workspace root: one check for every manager."""

from __future__ import annotations

from pathlib import Path

from reign.errors import ToolError


def root_of(workspace_root: Path | str) -> Path:
    """The workspace root, real (symlinks resolved); ToolError if it does not exist."""
    try:
        return Path(workspace_root).expanduser().resolve(strict=True)
    except (OSError, RuntimeError) as exc:
        raise ToolError(f"workspace root {workspace_root} does not exist") from exc


def confine(path: str | Path, root: Path, *, base: Path | None = None) -> Path | None:
    """`path` (relative to `base`, default the root; or absolute) resolved with symlinks followed,
    or None when the result lies outside `root`. Callers word the refusal for their own tool."""
    raw = Path(path).expanduser()
    real = (raw if raw.is_absolute() else (base or root) / raw).resolve()
    return real if real == root or real.is_relative_to(root) else None


def inside_workspace(path: str | Path, workspace_root: Path | str, *, base: Path | None = None,
                     what: str = "path") -> Path:
    """`path` resolved under the workspace root, or a ToolError naming `what` when it leaves it: the check
    every manager makes on a path the model names."""
    root = root_of(workspace_root)
    target = confine(path, root, base=base)
    if target is None:
        raise ToolError(f"{what} {path} is outside the workspace root {root}")
    return target
