"""Context is a budget: long outputs keep their head and tail and say what was cut.

What is cut from the middle is not thrown away blindly: lines that look like trouble (errors,
failures, CrashLoopBackOff, OOMKilled...) are kept, up to a share of the budget, with their line
numbers, because those are usually what the goal is about.
"""

from __future__ import annotations

import re

NOTABLE = re.compile(
    r"(?i)\b(error|fail(ed|ure)?|fatal|panic|exception|traceback|denied|refused|timed? ?out|"
    r"crashloopbackoff|oomkilled|imagepullbackoff|errimagepull|evicted|backoff|unhealthy|not ?ready|"
    r"pending|terminating|unknown|warn(ing)?|critical|killed|exit code [1-9])\b")


def cut(text: str, limit: int, notable_share: float = 0.25) -> str:
    """Keep about `limit` characters: head (~30%), notable middle lines (up to 25%), tail (the rest)."""
    if limit <= 0 or len(text) <= limit:
        return text
    notable_budget = int(limit * notable_share)
    head_len = (limit - notable_budget) * 2 // 5
    tail_len = limit - notable_budget - head_len
    head_end = text.rfind("\n", 0, head_len) + 1 or head_len
    tail_start = text.find("\n", len(text) - tail_len) + 1 or len(text) - tail_len
    head, middle, tail = text[:head_end], text[head_end:tail_start], text[tail_start:]
    first_line = head.count("\n") + 1
    kept: list[str] = []
    used = 0
    for offset, line in enumerate(middle.splitlines()):
        if NOTABLE.search(line):
            entry = f"{first_line + offset}: {line[:300]}"
            if used + len(entry) + 1 > notable_budget:
                break
            kept.append(entry)
            used += len(entry) + 1
    lines = middle.count("\n")
    marker = f"[... {len(middle)} characters ({lines} lines) cut by reign"
    if kept:
        marker += f"; {len(kept)} notable lines kept, with their line numbers:]\n" + "\n".join(kept) + \
            "\n[... end of notable lines ...]"
    else:
        marker += " ...]"
    return head + marker + "\n" + tail


def compact(text: str, limit: int) -> str:
    """An older tool result, shrunk further once the loop has moved on (see Agent.keep_recent)."""
    if len(text) <= limit or "[compacted by reign]" in text:
        return text
    return "[compacted by reign] " + cut(text, limit)
