"""Context is a budget: long outputs keep their head and tail and say what was cut."""

from __future__ import annotations


def cut(text: str, limit: int) -> str:
    """Keep about `limit` characters: 40% head, 60% tail (errors and summaries tend to come last)."""
    if limit <= 0 or len(text) <= limit:
        return text
    head_len = limit * 2 // 5
    tail_len = limit - head_len
    head, middle, tail = text[:head_len], text[head_len : len(text) - tail_len], text[len(text) - tail_len :]
    # End on line boundaries where we can, so the model does not read half a line as a whole one.
    if "\n" in head:
        trimmed = head[: head.rfind("\n") + 1]
        middle, head = head[len(trimmed) :] + middle, trimmed
    if "\n" in tail:
        start = tail.find("\n") + 1
        middle, tail = middle + tail[:start], tail[start:]
    marker = f"\n[... {len(middle)} characters ({middle.count(chr(10))} lines) cut by reign ...]\n"
    return head + marker + tail
