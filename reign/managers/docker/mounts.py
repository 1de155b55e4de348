"""Host paths in volume specs: confined to the workspace, and never the Docker socket or the host's root."""

from __future__ import annotations

import os
import posixpath
from pathlib import Path

from reign.errors import ToolError
from reign.hostpaths import engine_sockets, holds_socket
from reign.managers.docker.client import engine_host
from reign.toolcontext import ToolContext
from reign.workspace import inside_workspace


def confine_path(path: str, ctx: ToolContext | None, what: str) -> Path:
    """Resolve `path` (relative to ctx.cwd) and refuse it unless it lies under the workspace root."""
    root = ctx.settings.workspace_root if ctx is not None else Path.cwd()
    return inside_workspace(path, root, base=ctx.cwd if ctx is not None else Path.cwd(), what=what)


def parse_volume(spec: str) -> tuple[str, str, str]:
    """'src:dst[:mode]' -> (src, dst, mode); src is a host path or a volume name."""
    parts = spec.split(":")
    if len(parts) == 1:
        return "", parts[0], ""
    if len(parts) == 2:
        return parts[0], parts[1], ""
    return parts[0], parts[1], ":".join(parts[2:])


def is_host_path(source: str) -> bool:
    return source.startswith(("/", "./", "../", "~")) or source in (".", "..")


def volume_binds(volumes: list[str] | None, ctx: ToolContext | None) -> list[str] | None:
    """Resolve relative host paths (confined to the workspace) and refuse symlinks that hide / or a socket.

    The gate judged the literal strings; a host path that only reaches `/` or the engine socket through a
    symlink would slip past it, so it is refused here with a request to give the real path.
    """
    if not volumes:
        return None
    out: list[str] = []
    for spec in volumes:
        source, target, mode = parse_volume(spec)
        if source and is_host_path(source):
            if source.startswith("~"):
                raise ToolError(f"volume {spec}: give an absolute host path, not {source}")
            literal = posixpath.normpath("/" + source.lstrip("/")) if source.startswith("/") else source
            if not source.startswith("/"):
                source = str(confine_path(source, ctx, "volume source"))
            real = os.path.realpath(source)
            if _exposes_host(real, ctx) and not _exposes_host(literal, ctx):
                raise ToolError(
                    f"volume {spec}: {source} resolves to {real}; give the real path for the policy"
                )
        out.append(":".join(p for p in (source, target, mode) if p))
    return out


def _exposes_host(path: str, ctx: ToolContext | None) -> bool:
    """The path is / or is (or holds) an engine socket: what the policy denies when it sees it."""
    if not path.startswith("/"):
        return False
    return path == "/" or holds_socket(path, engine_sockets(engine_host(ctx)))
