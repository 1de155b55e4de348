"""file_write and file_edit: changes shown as a unified diff, and bound to it.

The catalogue `preview` of each tool computes the Change from the file as it is and the call's arguments,
and renders it (reign.managers.files.diff.preview): that text is what a person approves. At run time the
tool computes the same preview again; if it differs from the approved one (the file changed since the diff
was shown) the tool refuses. The bytes are written atomically (a temporary file renamed over the target)
after one more hash check.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

from reign.errors import ToolError
from reign.managers.files import diff
from reign.managers.files.paths import rel, writable
from reign.toolcontext import ToolContext

MAX_CONTENT = 1_000_000
_REDACTED = "[REDACTED"
CHANGED = ("{path} changed since the diff was approved (or the change is not the one shown); nothing written. "
           "Read the file again and propose the change anew.")


def current(real: Path) -> str | None:
    if not real.exists():
        return None
    if not real.is_file():
        raise ToolError(f"{real.name}: not a regular file")
    data = real.read_bytes()
    if b"\x00" in data[:8192]:
        raise ToolError(f"{real.name}: a binary file; the files tools change text files only")
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        raise ToolError(f"{real.name}: not UTF-8 text; the files tools change text files only") from None


def _no_markers(text: str, before: str | None) -> None:
    """A redaction marker from file_read must not be written back over the secret it hides."""
    if _REDACTED in text and (before is None or text.count(_REDACTED) > before.count(_REDACTED)):
        raise ToolError("the new text contains a redaction marker ([REDACTED...]) from file_read: writing it would "
                        "replace a secret with the marker. Change the lines around the secret with file_edit instead")


def _write_change(path: str, content: str, ctx: ToolContext) -> diff.Change:
    base, real = writable(path, ctx)
    if len(content) > MAX_CONTENT:
        raise ToolError(f"content is {len(content)} characters; file_write takes at most {MAX_CONTENT}")
    before = current(real)
    _no_markers(content, before)
    return diff.Change(rel(real, base), before, content)


def _edit_change(path: str, old_text: str | None, new_text: str | None, patch: str | None, replace_all: bool,
                 ctx: ToolContext) -> diff.Change:
    base, real = writable(path, ctx)
    before = current(real)
    if before is None:
        raise ToolError(f"{path}: no such file (create it with file_write)")
    if patch is not None:
        if old_text is not None or new_text is not None:
            raise ToolError("give either old_text and new_text, or patch, not both")
        after = diff.apply_patch(before, patch)
    else:
        if old_text is None or new_text is None:
            raise ToolError("file_edit needs old_text and new_text (exact text to replace), or a unified patch")
        count = before.count(old_text) if old_text else 0
        if count == 0:
            raise ToolError(f"old_text was not found in {path}: it must match the file exactly, "
                            "whitespace included (read the file again)")
        if count > 1 and not replace_all:
            raise ToolError(f"old_text occurs {count} times in {path}: add surrounding lines to make it unique, "
                            "or set replace_all=true")
        after = before.replace(old_text, new_text) if replace_all else before.replace(old_text, new_text, 1)
    _no_markers(after, before)
    if after == before:
        raise ToolError("the edit changes nothing")
    return diff.Change(rel(real, base), before, after)


def changes_for_run(make: Callable[[], list[diff.Change]], ctx: ToolContext) -> list[diff.Change]:
    """The changes a run would make, refused unless they are exactly the approved diff (when one was shown)."""
    try:
        changes = make()
    except ToolError as exc:
        if ctx.approved_preview is not None and ctx.approved_preview.startswith("# "):
            raise ToolError(CHANGED.format(path="the file") + f" ({exc})") from None
        raise
    check_bound(changes, ctx)
    return changes


def check_bound(changes: list[diff.Change], ctx: ToolContext) -> None:
    """Refuse unless these changes are exactly the ones whose preview a person approved (when one was)."""
    ctx.check_approved(diff.preview(changes), CHANGED.format(path=", ".join(c.path for c in changes)))


def commit(change: diff.Change, ctx: ToolContext) -> dict[str, Any]:
    """Write one change atomically, if the file still holds the bytes the change was made from."""
    _, real = writable(change.path, ctx)
    if current(real) != change.before:
        raise ToolError(CHANGED.format(path=change.path))
    real.parent.mkdir(parents=True, exist_ok=True)
    mode = real.stat().st_mode & 0o7777 if real.exists() else 0o644
    fd, tmp = tempfile.mkstemp(prefix=".reign-write-", dir=real.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="") as fh:
            fh.write(change.after)
        os.chmod(tmp, mode)
        os.replace(tmp, real)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return {"path": change.path, "created": change.before is None, "sha256": diff.sha(change.after),
            **diff.stats(change)}


# ------------------------------------------------------------------------------------------ tools


def preview_write(*, path: str, content: str, ctx: ToolContext) -> str:
    return diff.preview([_write_change(path, content, ctx)])


def write(*, path: str, content: str, ctx: ToolContext) -> dict[str, Any]:
    """Create or replace a text file with `content`; bound to the approved diff."""
    [change] = changes_for_run(lambda: [_write_change(path, content, ctx)], ctx)
    if change.unchanged:
        return {"path": change.path, "unchanged": True}
    return commit(change, ctx)


def preview_edit(*, path: str, old_text: str | None = None, new_text: str | None = None, patch: str | None = None,
                 replace_all: bool = False, ctx: ToolContext) -> str:
    return diff.preview([_edit_change(path, old_text, new_text, patch, replace_all, ctx)])


def edit(*, path: str, old_text: str | None = None, new_text: str | None = None, patch: str | None = None,
         replace_all: bool = False, ctx: ToolContext) -> dict[str, Any]:
    """Replace exact text (old_text -> new_text) or apply a unified patch to one file; bound to the approved diff."""
    [change] = changes_for_run(lambda: [_edit_change(path, old_text, new_text, patch, replace_all, ctx)], ctx)
    return commit(change, ctx)
