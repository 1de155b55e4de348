"""Context is a budget: long outputs keep their head and tail and say what was cut.

What is cut from the middle is not thrown away blindly: lines that look like trouble (errors,
failures, CrashLoopBackOff, OOMKilled...) are kept, up to a share of the budget, with their line
numbers, because those are usually what the goal is about. Works on a stream of lines, so a
program's output of any size is cut in bounded memory. Whatever is cut is redacted first, line by line:
a secret cut in half would no longer look like one, and half a token is still half a secret.

When something is cut, the whole output (secrets redacted) is kept in a file under the state folder
(`outputs/`, the newest KEEP_OUTPUTS files) and the marker names it, so a person can read what the
model could not.
"""

from __future__ import annotations

import contextlib
import os
import re
import time
from collections import deque
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from reign.redact import redact

NOTABLE = re.compile(
    r"(?i)\b(error|fail(ed|ure)?|fatal|panic|exception|traceback|denied|refused|timed? ?out|"
    r"crashloopbackoff|oomkilled|imagepullbackoff|errimagepull|evicted|backoff|unhealthy|not ?ready|"
    r"pending|terminating|unknown|warn(ing)?|critical|killed|exit code [1-9])\b")
NOTABLE_SHARE = 0.25
KEEP_OUTPUTS = 50  # whole outputs kept under <state>/outputs; older ones are removed
_CHUNK = 64 * 1024


class _Spool:
    """The whole output, written once it is known to be too long; redacted chunk by chunk."""

    def __init__(self) -> None:
        self.pending: list[str] = []
        self.size = 0
        self.fh: Any = None
        self.path: Path | None = None
        self.failed = False

    def add(self, line: str) -> None:
        if self.failed:
            return
        self.pending.append(line)
        self.size += len(line)
        if self.fh is not None and self.size >= _CHUNK:
            self._flush()

    def start(self) -> None:
        """Called once the output turns out to be longer than its budget."""
        if self.fh is not None or self.failed:
            return
        from reign.config import state_dir

        folder = state_dir() / "outputs"
        try:
            folder.mkdir(parents=True, exist_ok=True, mode=0o700)
            self.path = folder / f"{time.strftime('%Y%m%d-%H%M%S')}-{os.getpid()}-{time.monotonic_ns() % 10**9}.txt"
            fd = os.open(self.path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
            self.fh = os.fdopen(fd, "w", encoding="utf-8", errors="replace")
        except OSError:
            self.failed, self.pending = True, []

    def _flush(self) -> None:
        from reign.redact import secret_env_values

        try:
            self.fh.write(redact("".join(self.pending), secret_env_values()))
        except OSError:
            self.failed = True
        self.pending, self.size = [], 0

    def finish(self) -> Path | None:
        if self.fh is None:
            return None
        self._flush()
        self.fh.close()
        _prune(self.path.parent if self.path else None)
        return None if self.failed else self.path


def _prune(folder: Path | None) -> None:
    if folder is None:
        return
    with contextlib.suppress(OSError):
        files = sorted(folder.glob("*.txt"), key=lambda p: p.stat().st_mtime)
        for old in files[:-KEEP_OUTPUTS]:
            old.unlink(missing_ok=True)


def cut(text: str, limit: int, *, keep_whole: bool = False) -> str:
    """Keep about `limit` characters: head (~30%), notable middle lines (up to 25%), tail (the rest).
    With `keep_whole`, the whole text is kept in a file that the marker names."""
    if limit <= 0 or len(text) <= limit:
        return text
    return cut_lines(text.splitlines(keepends=True), limit, keep_whole=keep_whole)


def cut_lines(lines: Iterable[str], limit: int, *, keep_whole: bool = True) -> str:
    lines = (redact(line) for line in lines)
    notable_budget = int(limit * NOTABLE_SHARE)
    head_budget = (limit - notable_budget) * 2 // 5
    tail_budget = limit - notable_budget - head_budget
    head: list[str] = []
    head_size = 0
    tail: deque[tuple[int, str]] = deque()
    tail_size = 0
    kept: list[str] = []
    kept_size = cut_chars = cut_lines_count = 0
    number = 0
    seen = 0
    spool = _Spool() if keep_whole else None
    for number, line in enumerate(lines, 1):
        if spool is not None:
            spool.add(line)
            seen += len(line)
            if seen > limit:
                spool.start()
        if not tail and head_size + len(line) <= head_budget:
            head.append(line)
            head_size += len(line)
            continue
        tail.append((number, line))
        tail_size += len(line)
        while tail_size > tail_budget and len(tail) > 1:
            old_number, old = tail.popleft()
            tail_size -= len(old)
            cut_chars += len(old)
            cut_lines_count += 1
            if NOTABLE.search(old):
                entry = f"{old_number}: {old.rstrip()[:300]}"
                if kept_size + len(entry) < notable_budget:
                    kept.append(entry)
                    kept_size += len(entry) + 1
    whole = spool.finish() if spool is not None else None
    if not cut_chars and head_size + tail_size <= limit:
        if whole is not None:
            whole.unlink(missing_ok=True)
        return "".join(head) + "".join(line for _, line in tail)
    body = "".join(line for _, line in tail)
    if len(body) > tail_budget:  # one enormous line (minified JSON): fall back to characters
        cut_chars += len(body) - tail_budget
        body = body[-tail_budget:]
    marker = f"[... {cut_chars} characters ({cut_lines_count} of {number} lines) cut by reign"
    if whole is not None:
        marker += f"; whole output: {whole}"
    if kept:
        marker += f"; {len(kept)} notable lines kept, with their line numbers:]\n" + "\n".join(kept) + \
            "\n[... end of notable lines ...]"
    else:
        marker += " ...]"
    joined_head = "".join(head)
    if joined_head and not joined_head.endswith("\n"):
        joined_head += "\n"
    return joined_head + marker + "\n" + body


def stub(text: str, keep: int = 3) -> str:
    """A result from long ago: its size and its first notable lines, so context stays bounded."""
    if text.startswith("[stub by reign") or len(text) <= 400:
        return text
    notable = [line.strip()[:200] for line in text.splitlines()
               if NOTABLE.search(line) and "cut by reign" not in line][:keep]
    first = text.lstrip().removeprefix("[compacted by reign] ").split("\n", 1)[0][:120]
    body = f"[stub by reign: an older result of {len(text)} characters; it began: {first}"
    return body + ("; notable: " + " | ".join(notable) if notable else "") + "]"


def compact(text: str, limit: int) -> str:
    """An older tool result, shrunk further once the loop has moved on (see Agent.keep_recent)."""
    if len(text) <= limit or text.startswith(("[compacted by reign]", "[stub by reign")):
        return text
    return "[compacted by reign] " + cut(text, limit)
