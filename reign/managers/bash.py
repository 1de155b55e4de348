"""The `bash` tool: the one tool that takes a raw shell string, and so the one the shell parser guards."""

from __future__ import annotations

from typing import Any

from reign.process import run_argv
from reign.toolcontext import ToolContext


def available() -> str | None:
    import shutil

    return None if shutil.which("bash") else "bash not found on PATH"


def run(*, command: str, timeout: float | None = None, ctx: ToolContext) -> dict[str, Any]:
    """Run in the current directory; the timeout is capped by the configured tool timeout."""
    limit = min(timeout or ctx.settings.tool_timeout, ctx.settings.tool_timeout)
    done = run_argv(["bash", "-c", command], timeout=limit, cap=ctx.settings.output_cap, cwd=ctx.cwd)
    out = done.as_dict()
    if done.timed_out:
        out["error"] = f"command timed out after {limit:g}s and was killed"
    return out
