"""Compact output: short ids, sizes, times and labels, so the model's context stays small."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

# --------------------------------------------------------------------------- small helpers


def short_id(ident: str | None) -> str:
    if not ident:
        return ""
    return ident.split(":", 1)[-1][:12]


def human_size(n: float | None) -> str:
    value = float(n or 0)
    for unit in ("B", "KiB", "MiB", "GiB", "TiB"):
        if value < 1024 or unit == "TiB":
            return f"{value:.0f}{unit}" if unit == "B" else f"{value:.1f}{unit}"
        value /= 1024
    return f"{value:.1f}TiB"  # pragma: no cover


def local_time(stamp: str | None) -> str:
    if not stamp or stamp.startswith("0001-"):
        return ""
    return stamp.split(".")[0].rstrip("Z") + "Z"


def epoch(seconds: float | None) -> str:
    if not seconds:
        return ""
    return datetime.fromtimestamp(seconds, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def drop_empty(data: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in data.items() if v not in (None, "", [], {})}


def decode_output(raw: bytes | str | None) -> str:
    if raw is None:
        return ""
    text = raw.decode("utf-8", errors="replace") if isinstance(raw, bytes) else raw
    return text.rstrip("\n")


def labels_filter(label: list[str] | None) -> dict[str, Any]:
    return {"label": list(label)} if label else {}
