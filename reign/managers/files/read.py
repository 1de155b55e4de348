"""file_read: a line range of one text file, capped, with secrets redacted before the model sees them."""

from __future__ import annotations

import re
from typing import Any

from reign.errors import ToolError
from reign.managers.files.paths import rel, resolve
from reign.redact import redact
from reign.toolcontext import ToolContext

MAX_FILE_BYTES = 5_000_000  # larger files are refused: read them with a narrower tool (grep, head)
MAX_LINES = 2000
MAX_CHARS = 200_000


def load_text(path: str, ctx: ToolContext) -> tuple[str, str]:
    """(relative name, text) of a text file under the root; ToolError for a directory, binary or huge file."""
    base, real = resolve(path, ctx)
    if not real.exists():
        raise ToolError(f"{path}: no such file under the workspace root")
    if not real.is_file():
        raise ToolError(f"{path}: not a regular file")
    size = real.stat().st_size
    if size > MAX_FILE_BYTES:
        raise ToolError(f"{path}: {size} bytes is more than file_read reads ({MAX_FILE_BYTES})")
    data = real.read_bytes()
    if b"\x00" in data[:8192]:
        raise ToolError(f"{path}: a binary file")
    return rel(real, base), data.decode("utf-8", errors="replace")


def read(*, path: str, start_line: int = 1, end_line: int | None = None, ctx: ToolContext) -> dict[str, Any]:
    """Lines start_line..end_line (1-based, inclusive) of a text file, numbered; secrets redacted."""
    name, text = load_text(path, ctx)
    lines = redacted_lines(text)
    total = len(lines)
    last = min(total, end_line if end_line is not None else start_line + MAX_LINES - 1,
               start_line + MAX_LINES - 1)
    if start_line > max(total, 1):
        raise ToolError(f"{name} has {total} lines; start_line {start_line} is past the end")
    width = len(str(last))
    out, size, cut_at = [], 0, None
    for number in range(start_line, last + 1):
        line = f"{number:>{width}}| {lines[number - 1]}"
        if size + len(line) > MAX_CHARS:
            cut_at = number
            break
        out.append(line)
        size += len(line) + 1
    shown_end = (cut_at - 1) if cut_at else last
    result: dict[str, Any] = {"path": name, "lines": f"{start_line}-{shown_end}", "total_lines": total,
                              "content": "\n".join(out)}
    if shown_end < total:
        result["more"] = f"lines {shown_end + 1}-{total} not shown: read them with start_line={shown_end + 1}"
    return result


_PEM = re.compile(r"^-----BEGIN [A-Z0-9 ]*PRIVATE KEY-----$.*?^-----END [A-Z0-9 ]*PRIVATE KEY-----$", re.M | re.S)


def redacted_lines(text: str) -> list[str]:
    """The file's lines with secrets redacted, keeping the line count (so line numbers stay true)."""
    lines = text.splitlines()
    whole = redact(text).splitlines()
    if len(whole) == len(lines):
        return whole
    blanked = _PEM.sub(lambda m: "\n".join(["[REDACTED:private_key]"] * (m.group(0).count("\n") + 1)), text)
    return [redact(line) for line in blanked.splitlines()]
