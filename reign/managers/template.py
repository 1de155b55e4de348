"""Command-template tools: a user's catalogue entry with `command: [argv...]` and no Python.

Each argv element is formatted with the validated arguments (`{name}`); an element whose
placeholders are all missing (optional args) is dropped. No shell is involved.
"""

from __future__ import annotations

import string
from typing import Any

from reign.errors import ToolError
from reign.process import run_argv
from reign.toolcontext import ToolContext


def render(template: tuple[str, ...], args: dict[str, Any]) -> list[str]:
    argv = []
    for part in template:
        names = [f for _, f, _, _ in string.Formatter().parse(part) if f]
        if names and all(args.get(n) in (None, "") for n in names):
            continue
        try:
            argv.append(part.format(**{k: v for k, v in args.items() if v is not None}))
        except (KeyError, IndexError, ValueError) as exc:
            raise ToolError(f"cannot fill command template {part!r}: {exc}") from exc
    return argv


def run(*, ctx: ToolContext, __template__: tuple[str, ...] = (), **args: Any) -> dict[str, Any]:
    argv = render(__template__, args)
    if not argv:
        raise ToolError("command template rendered to nothing")
    try:
        done = run_argv(argv, timeout=ctx.settings.tool_timeout, cap=ctx.settings.output_cap, cwd=ctx.cwd)
    except FileNotFoundError:
        raise ToolError(f"program not found: {argv[0]}") from None
    return done.as_dict()
