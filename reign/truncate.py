"""Context is a budget: long outputs keep their head and tail and say what was cut.

What is cut from the middle is not thrown away blindly: lines that look like trouble (errors,
failures, CrashLoopBackOff, OOMKilled...) are kept, up to a share of the budget, with their line
numbers, because those are usually what the goal is about. Works on a stream of lines, so a
program's output of any size is cut in bounded memory. Whatever is cut is redacted first, line by line:
a secret cut in half would no longer look like one, and half a token is still half a secret.
"""

from __future__ import annotations

import re
from collections import deque
from collections.abc import Iterable

from reign.redact import redact

NOTABLE = re.compile(
    r"(?i)\b(error|fail(ed|ure)?|fatal|panic|exception|traceback|denied|refused|timed? ?out|"
    r"crashloopbackoff|oomkilled|imagepullbackoff|errimagepull|evicted|backoff|unhealthy|not ?ready|"
    r"pending|terminating|unknown|warn(ing)?|critical|killed|exit code [1-9])\b")
NOTABLE_SHARE = 0.25


def cut(text: str, limit: int) -> str:
    """Keep about `limit` characters: head (~30%), notable middle lines (up to 25%), tail (the rest)."""
    if limit <= 0 or len(text) <= limit:
        return text
    return cut_lines(text.splitlines(keepends=True), limit)


def cut_lines(lines: Iterable[str], limit: int) -> str:
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
    for number, line in enumerate(lines, 1):
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
    if not cut_chars and head_size + tail_size <= limit:
        return "".join(head) + "".join(line for _, line in tail)
    body = "".join(line for _, line in tail)
    if len(body) > tail_budget:  # one enormous line (minified JSON): fall back to characters
        cut_chars += len(body) - tail_budget
        body = body[-tail_budget:]
    marker = f"[... {cut_chars} characters ({cut_lines_count} of {number} lines) cut by reign"
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
