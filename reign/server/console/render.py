"""Run events turned into display cards and small charts, the same shape for the page and the live stream.

Everything here is text: the templates and the browser script insert it escaped (autoescape; textContent),
and terminal control sequences are made inert first, because tool output and model text are untrusted.
"""

from __future__ import annotations

import json
from typing import Any

from reign.terminal import inert

LONG_LINES, LONG_CHARS = 12, 1200


def clean(value: Any) -> Any:
    """Every string in `value` with control sequences shown as text (ESC, bells, carriage returns...)."""
    if isinstance(value, str):
        return inert(value)
    if isinstance(value, dict):
        return {str(k): clean(v) for k, v in value.items()}
    if isinstance(value, list):
        return [clean(v) for v in value]
    return value


def looks_like_diff(text: str) -> bool:
    lines = text.splitlines()
    return any(x.startswith(("@@", "--- ", "+++ ")) for x in lines) or \
        sum(x.startswith(("+", "-")) for x in lines) >= max(2, len(lines) // 2)


def block(label: str, text: str, *, diff: bool | None = None) -> dict[str, Any]:
    text = inert(text)
    is_diff = looks_like_diff(text) if diff is None else diff
    lines = [{"text": x, "cls": _line_class(x) if is_diff else ""} for x in text.splitlines()] or [{"text": "",
                                                                                                   "cls": ""}]
    return {"label": label, "text": text, "lines": lines, "diff": is_diff,
            "long": len(lines) > LONG_LINES or len(text) > LONG_CHARS}


def _line_class(line: str) -> str:
    if line.startswith(("+++", "---")):
        return "meta"
    if line.startswith("+"):
        return "add"
    if line.startswith("-"):
        return "del"
    return "hunk" if line.startswith("@@") else ""


def card(event_id: int, kind: str, data: dict[str, Any]) -> dict[str, Any]:
    """One event as a card: a title, labelled fields (short text) and blocks (long text, diffs)."""
    fields: list[tuple[str, str]] = []
    blocks: list[dict[str, Any]] = []
    title = kind
    if kind == "step":
        usage = data.get("usage") or {}
        title = f"Step {data.get('step')}"
        fields.append(("tokens", f"{usage.get('input_tokens', 0)} in / {usage.get('output_tokens', 0)} out"))
        if data.get("text"):
            blocks.append(block("narration", str(data["text"]), diff=False))
    elif kind == "call":
        title = f"Call {data.get('tool')}"
        blocks.append(block("arguments", json.dumps(data.get("args", {}), indent=2, ensure_ascii=False), diff=False))
    elif kind == "decision":
        title = f"Decision: {data.get('action')}"
        fields += [("tool", str(data.get("tool", ""))), ("rule", str(data.get("rule", ""))),
                   ("effect", str(data.get("effect", ""))), ("severity", str(data.get("severity", ""))),
                   ("reason", str(data.get("reason", "")))]
    elif kind == "approval_required":
        title = f"Approval needed: {data.get('tool')}"
        fields += [("rule", str(data.get("rule", ""))), ("effect", str(data.get("effect", ""))),
                   ("reason", str(data.get("reason", "")))]
        if data.get("preview"):
            blocks.append(block("preview", str(data["preview"])))
    elif kind == "approval":
        title = "Approved" if data.get("approved") else "Refused"
        fields += [("by", str(data.get("by", ""))), ("note", str(data.get("note", "")))]
    elif kind == "result":
        record = data.get("record") or {}
        title = f"Result of {record.get('tool')}: {'ok' if record.get('ok') else 'failed'}"
        fields += [("decision", str(record.get("decision", ""))), ("rule", str(record.get("rule", ""))),
                   ("time", f"{float(record.get('duration_ms') or 0):.0f} ms")]
        if record.get("preview"):
            blocks.append(block("preview", str(record["preview"])))
        blocks.append(block("output", str(record.get("output", ""))))
    elif kind == "final":
        title = f"Final ({data.get('stop_reason')})"
        if data.get("error"):
            fields.append(("error", str(data["error"])))
        if data.get("final"):
            blocks.append(block("answer", str(data["final"]), diff=False))
    elif kind == "end":
        title = f"Run ended: {data.get('status', '')}"
    else:
        blocks.append(block("data", json.dumps(data, indent=2, ensure_ascii=False), diff=False))
    return {"id": event_id, "kind": kind, "title": inert(title),
            "fields": [{"label": k, "text": inert(v)} for k, v in fields if v], "blocks": blocks}


def totals(events: list[dict[str, Any]]) -> dict[str, int]:
    tokens_in = tokens_out = 0
    for e in events:
        if e["kind"] == "step":
            usage = e["data"].get("usage") or {}
            tokens_in += int(usage.get("input_tokens") or 0)
            tokens_out += int(usage.get("output_tokens") or 0)
    return {"input_tokens": tokens_in, "output_tokens": tokens_out, "tokens": tokens_in + tokens_out}


def bars(title: str, unit: str, points: list[tuple[str, float]], width: int = 360, height: int = 120) -> dict[str, Any]:
    """A bar chart as numbers for an inline SVG template (labels stay text; nothing here is markup)."""
    top = max((v for _, v in points), default=0) or 1
    slot = width / max(len(points), 1)
    rects = [{"x": round(i * slot + 2, 1), "w": round(max(slot - 4, 1), 1), "h": round(v / top * (height - 20), 1),
              "y": round(height - 14 - v / top * (height - 20), 1), "label": inert(label),
              "value": f"{v:g} {unit}"} for i, (label, v) in enumerate(points)]
    return {"title": title, "width": width, "height": height, "rects": rects, "max": f"{top:g} {unit}"}


def charts(events: list[dict[str, Any]]) -> list[dict[str, Any]]:
    steps = [(f"step {e['data'].get('step')}", float(sum((e["data"].get("usage") or {}).values())))
             for e in events if e["kind"] == "step"]
    calls = [(str((e["data"].get("record") or {}).get("tool", "")),
              round(float((e["data"].get("record") or {}).get("duration_ms") or 0), 1))
             for e in events if e["kind"] == "result"]
    out = []
    if steps:
        out.append(bars("Tokens per step", "tokens", steps))
    if calls:
        out.append(bars("Time per call", "ms", calls))
    return out


def cost_text(tot: dict[str, int], model: str, prices: dict[str, tuple[float, float]]) -> str:
    """An estimate from the price table (reign/pricing.py, overridable in config), or `n/a` without a price."""
    from reign.pricing import cost
    from reign.types import Usage

    dollars = cost(Usage(input_tokens=tot["input_tokens"], output_tokens=tot["output_tokens"]), model, prices)
    return "n/a" if dollars is None else f"~${dollars:.4f}"
