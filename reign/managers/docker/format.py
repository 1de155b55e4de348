"""Compact output: short ids, sizes, times and labels, so the model's context stays small."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

# --------------------------------------------------------------------------- small helpers


def _short(ident: str | None) -> str:
    if not ident:
        return ""
    return ident.split(":", 1)[-1][:12]


def _size(n: float | None) -> str:
    value = float(n or 0)
    for unit in ("B", "KiB", "MiB", "GiB", "TiB"):
        if value < 1024 or unit == "TiB":
            return f"{value:.0f}{unit}" if unit == "B" else f"{value:.1f}{unit}"
        value /= 1024
    return f"{value:.1f}TiB"  # pragma: no cover


def _when(stamp: str | None) -> str:
    if not stamp or stamp.startswith("0001-"):
        return ""
    return stamp.split(".")[0].rstrip("Z") + "Z"


def _epoch(seconds: float | None) -> str:
    if not seconds:
        return ""
    return datetime.fromtimestamp(seconds, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _drop_empty(data: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in data.items() if v not in (None, "", [], {})}


def _decode(raw: bytes | str | None) -> str:
    if raw is None:
        return ""
    text = raw.decode("utf-8", errors="replace") if isinstance(raw, bytes) else raw
    return text.rstrip("\n")


def _labels_filter(label: list[str] | None) -> dict[str, Any]:
    return {"label": list(label)} if label else {}
