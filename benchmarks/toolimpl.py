"""Implementations of the benchmark tools. Each one times itself, so the loop benchmark can take the
tool's own time out of the step time."""

from __future__ import annotations

import time
from typing import Any

from benchmarks.cluster import pods_output

CLOCK = {"tool_s": 0.0}
STATE: dict[str, Any] = {"placement": "tail", "lines": 3000, "outputs": {}}


def noop(*, n: int) -> str:
    started = time.perf_counter()
    out = f"ok {n}"
    CLOCK["tool_s"] += time.perf_counter() - started
    return out


def get_pods(*, step: int) -> str:
    started = time.perf_counter()
    out = pods_output(step=step, lines=int(STATE["lines"]), placement=str(STATE["placement"]))
    STATE["outputs"][step] = out
    CLOCK["tool_s"] += time.perf_counter() - started
    return out
