"""Unified diffs of proposed file changes, and strict application of a unified patch to one file.

A Change is what a write, edit or generation would do to one file. Its preview (what a person approves)
names the sha256 of the file as it is now and as it will be, then the diff with secrets redacted; the
hashes bind the approval to exact bytes even where the diff shows a redaction marker.
"""

from __future__ import annotations

import difflib
import hashlib
import re
from dataclasses import dataclass

from reign.errors import ToolError
from reign.redact import redact

ABSENT = "(absent)"


@dataclass(frozen=True)
class Change:
    path: str  # relative to the workspace root
    before: str | None  # None: the file does not exist yet
    after: str

    @property
    def unchanged(self) -> bool:
        return self.before == self.after


def sha(text: str | None) -> str:
    return ABSENT if text is None else hashlib.sha256(text.encode()).hexdigest()


def unified(change: Change) -> str:
    old = [] if change.before is None else change.before.splitlines(keepends=True)
    new = change.after.splitlines(keepends=True)
    lines = list(difflib.unified_diff(old, new, "/dev/null" if change.before is None else f"a/{change.path}",
                                      f"b/{change.path}", n=3))
    return "".join(line if line.endswith("\n") else line + "\n\\ No newline at end of file\n" for line in lines)


def preview(changes: list[Change]) -> str:
    """The text an approval shows and is bound to: per file, its hashes now and after, then the diff."""
    parts = []
    for change in changes:
        verb = "create" if change.before is None else ("unchanged" if change.unchanged else "modify")
        parts.append(f"# {verb} {change.path}  sha256 before: {sha(change.before)}  after: {sha(change.after)}\n")
        if not change.unchanged:
            parts.append(redact(unified(change)))
    return "".join(parts)


def stats(change: Change) -> dict[str, int]:
    added = removed = 0
    for line in unified(change).splitlines():
        if line.startswith("+") and not line.startswith("+++"):
            added += 1
        elif line.startswith("-") and not line.startswith("---"):
            removed += 1
    return {"added": added, "removed": removed}


_HUNK = re.compile(r"^@@ -(\d+)(?:,(\d+))? \+(\d+)(?:,(\d+))? @@")


def apply_patch(original: str, patch: str) -> str:
    """Apply a unified diff (one file's hunks; `---`/`+++` headers optional) exactly: every context and
    removed line must match the file at the hunk's place, else ToolError naming the hunk."""
    old = original.splitlines(keepends=True)
    hunks = _hunks(patch)
    if not hunks:
        raise ToolError("the patch has no hunks (lines starting with @@ -a,b +c,d @@)")
    out: list[str] = []
    pos = 0
    for number, (start, body) in enumerate(hunks, 1):
        at = max(start - 1, 0) if body else start
        expected = [text for kind, text in body if kind in " -"]
        if at < pos or [_strip_eol(line) for line in old[at:at + len(expected)]] != expected:
            raise ToolError(f"hunk {number} (at line {start}) does not match the file: read it again and "
                            "make the patch from its current text")
        out += old[pos:at]
        for kind, text in body:
            if kind in " +":
                out.append(text + "\n")
        pos = at + len(expected)
    out += old[pos:]
    result = "".join(out)
    if original and not original.endswith("\n") and pos >= len(old) and result.endswith("\n"):
        result = result[:-1]
    return result


def _strip_eol(line: str) -> str:
    return line[:-1] if line.endswith("\n") else line


def _hunks(patch: str) -> list[tuple[int, list[tuple[str, str]]]]:
    hunks: list[tuple[int, list[tuple[str, str]]]] = []
    body: list[tuple[str, str]] | None = None
    for line in patch.splitlines():
        match = _HUNK.match(line)
        if match:
            body = []
            hunks.append((int(match.group(1)), body))
            continue
        if body is None or (line.startswith(("---", "+++", "diff ", "index ")) and not body):
            continue
        if line.startswith("\\"):
            continue  # "\ No newline at end of file"
        if line == "":
            body.append((" ", ""))
        elif line[0] in " +-":
            body.append((line[0], line[1:]))
        else:
            raise ToolError(f"not a unified diff line: {line[:80]!r}")
    return hunks
