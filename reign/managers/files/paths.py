"""Where the files tools may read and write: inside the workspace root, and never into Reign's own files.

The policy gate denies such paths by their spelling (reign/policy/defaults/files.yaml); this is the seatbelt
for what spelling cannot show: symlinks, and settings that put Reign's state inside the workspace.
"""

from __future__ import annotations

import os
from pathlib import Path

from reign.errors import ToolError
from reign.toolcontext import ToolContext
from reign.workspace import confine, root_of

# Path parts that are never written: git's own database, Reign's per-project folder (policy, saved plans).
PROTECTED_PARTS = frozenset({".git", ".reign"})
# File names never written: Reign reads the project's .env as configuration.
PROTECTED_NAMES = frozenset({".env"})
# Reign's config, state and cache folders, relative to a home directory.
_OWN_DIRS = (".config/reign", ".local/state/reign", ".local/share/reign", ".cache/reign")


def root(ctx: ToolContext) -> Path:
    return root_of(ctx.settings.workspace_root)


def resolve(path: str, ctx: ToolContext) -> tuple[Path, Path]:
    """(workspace root, real path) for `path` relative to the root; ToolError when it leaves the root."""
    if not path or "\x00" in path:
        raise ToolError("path must be a non-empty plain path")
    base = root(ctx)
    real = confine(path, base)
    if real is None:
        raise ToolError(f"{path!r} is outside the workspace root {base}")
    return base, real


def rel(real: Path, base: Path) -> str:
    return real.relative_to(base).as_posix() if real != base else "."


def own_dirs(ctx: ToolContext) -> list[Path]:
    """Reign's own folders wherever settings and the environment put them."""
    home = Path(os.path.expanduser("~"))
    out = [home / d for d in _OWN_DIRS]
    for var, sub in (("XDG_CONFIG_HOME", "reign"), ("XDG_STATE_HOME", "reign"), ("XDG_CACHE_HOME", "reign")):
        if os.environ.get(var):
            out.append(Path(os.environ[var]) / sub)
    settings = ctx.settings
    for attr in ("audit_dir", "sessions_db"):
        value = getattr(settings, attr, None)
        if value:
            p = Path(value).expanduser()
            out.append(p if attr == "audit_dir" else p.parent)
    resolved = []
    for p in out:
        try:
            resolved.append(p.resolve())
        except (OSError, RuntimeError):
            continue
    return resolved


def check_writable(real: Path, base: Path, ctx: ToolContext) -> None:
    """Refuse writes into .git/, .reign/, a .env file or Reign's own folders (after symlinks are resolved)."""
    parts = real.relative_to(base).parts if real != base else ()
    if PROTECTED_PARTS & set(parts):
        raise ToolError(f"{rel(real, base)}: writing inside .git/ or .reign/ is not allowed")
    if real.name in PROTECTED_NAMES:
        raise ToolError(f"{rel(real, base)}: Reign reads .env as its configuration; it is not written by a tool")
    for own in own_dirs(ctx):
        if real == own or real.is_relative_to(own):
            raise ToolError(f"{rel(real, base)}: this is one of Reign's own folders ({own}); not written by a tool")


def writable(path: str, ctx: ToolContext) -> tuple[Path, Path]:
    base, real = resolve(path, ctx)
    if real == base:
        raise ToolError("name a file, not the workspace root")
    check_writable(real, base, ctx)
    return base, real
