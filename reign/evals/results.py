"""What an eval run produced: one record per attempt, per task and for the suite, with the metrics.

pass@k is the chance that at least one of k attempts passes, pass^k (tau-bench) that all k pass; with
n attempts of which c passed both use the unbiased estimators over the n (Chen et al. 2021), so
pass@1 is c/n. Costs are estimates from list prices per million tokens (see `PRICES`).
"""

from __future__ import annotations

from math import comb
from typing import Literal

from pydantic import BaseModel, Field

# USD per million input / output tokens, by model-name prefix (list prices; estimates only; first match wins).
PRICES: list[tuple[str, float, float]] = [
    ("claude-opus", 15.0, 75.0), ("claude-sonnet", 3.0, 15.0), ("claude-haiku", 0.8, 4.0),
    ("claude-3-5-haiku", 0.8, 4.0), ("claude-3-haiku", 0.25, 1.25), ("claude", 3.0, 15.0),
    ("gpt-4o-mini", 0.15, 0.6), ("gpt-4o", 2.5, 10.0), ("gpt-4.1-nano", 0.1, 0.4), ("gpt-4.1-mini", 0.4, 1.6),
    ("gpt-4.1", 2.0, 8.0), ("gpt-5-nano", 0.05, 0.4), ("gpt-5-mini", 0.25, 2.0), ("gpt-5", 1.25, 10.0),
    ("o4-mini", 1.1, 4.4), ("o3", 2.0, 8.0), ("gemini-2.5-flash", 0.3, 2.5), ("gemini-2.5-pro", 1.25, 10.0),
]


def estimate_cost(model: str, input_tokens: int, output_tokens: int,
                  price: tuple[float, float] | None = None) -> float | None:
    """Estimated USD, or None for a model with no known price (local models: give --price 0,0)."""
    if price is None:
        name = model.lower().rsplit("/", 1)[-1]
        price = next(((i, o) for prefix, i, o in PRICES if name.startswith(prefix)), None)
    if price is None:
        return None
    return round((input_tokens * price[0] + output_tokens * price[1]) / 1_000_000, 6)


def pass_at_k(n: int, c: int, k: int) -> float:
    """At least one of k attempts drawn from n (c of them passing) passes."""
    if n == 0 or k > n:
        return 0.0
    return 1.0 - comb(n - c, k) / comb(n, k)


def pass_hat_k(n: int, c: int, k: int) -> float:
    """All k attempts drawn from n (c of them passing) pass: the reliability a user feels."""
    if n == 0 or k > n:
        return 0.0
    return comb(c, k) / comb(n, k)


class CallStats(BaseModel):
    total: int = 0
    allow: int = 0
    ask: int = 0
    deny: int = 0
    approved: int = 0
    refused_unattended: int = 0  # asks an unattended run (like --yes) could not approve
    destructive_attempts: int = 0  # calls whose effect is destructive, whatever became of them

    def add(self, other: CallStats) -> None:
        for name in CallStats.model_fields:
            setattr(self, name, getattr(self, name) + getattr(other, name))


class Attempt(BaseModel):
    task: str
    attempt: int
    outcome: Literal["pass", "fail", "error"] = "fail"
    failures: list[str] = Field(default_factory=list)
    error: str = ""
    stop_reasons: list[str] = Field(default_factory=list)
    steps: int = 0
    input_tokens: int = 0
    output_tokens: int = 0
    cost_usd: float | None = None
    wall_s: float = 0.0
    agent_s: float = 0.0
    calls: CallStats = Field(default_factory=CallStats)
    commands: list[str] = Field(default_factory=list)  # what ran or was asked for, as command lines
    answer: str = ""

    @property
    def passed(self) -> bool:
        return self.outcome == "pass"


class TaskResult(BaseModel):
    task: str
    category: str = ""
    difficulty: str = ""
    backends: list[str] = Field(default_factory=list)
    skipped: str = ""  # why the task could not run here (a backend missing)
    attempts: list[Attempt] = Field(default_factory=list)
    k: int = 1

    @property
    def n(self) -> int:
        return len(self.attempts)

    @property
    def c(self) -> int:
        return sum(a.passed for a in self.attempts)

    def metrics(self) -> dict[str, float | int | None]:
        costs = [a.cost_usd for a in self.attempts]
        n = max(self.n, 1)
        return {
            "attempts": self.n, "passed": self.c,
            "pass@1": pass_at_k(self.n, self.c, 1), f"pass@{self.k}": pass_at_k(self.n, self.c, self.k),
            f"pass^{self.k}": pass_hat_k(self.n, self.c, self.k),
            "input_tokens": sum(a.input_tokens for a in self.attempts) / n,
            "output_tokens": sum(a.output_tokens for a in self.attempts) / n,
            "cost_usd": None if not costs or None in costs else sum(c or 0.0 for c in costs) / n,
            "wall_s": sum(a.wall_s for a in self.attempts) / n,
            "steps": sum(a.steps for a in self.attempts) / n,
        }


class SuiteResult(BaseModel):
    """The whole run: saved as JSON, rendered as Markdown and HTML, compared with `reign eval compare`."""

    reign_version: str = ""
    started: str = ""
    mode: str = "replay"
    provider: str = ""
    model: str = ""
    k: int = 1
    suites: list[str] = Field(default_factory=list)
    tasks: list[TaskResult] = Field(default_factory=list)

    def ran(self) -> list[TaskResult]:
        return [t for t in self.tasks if not t.skipped]

    def overall(self) -> dict[str, float | int | None]:
        ran = self.ran()
        n = max(len(ran), 1)
        per = [t.metrics() for t in ran]
        calls = self.calls()
        costs = [m["cost_usd"] for m in per]

        def total(key: str) -> float:
            return sum(float(m[key] or 0.0) for m in per)

        return {
            "tasks": len(ran), "skipped": len(self.tasks) - len(ran),
            "attempts": sum(t.n for t in ran), "passed": sum(t.c for t in ran),
            "pass@1": total("pass@1") / n, f"pass@{self.k}": total(f"pass@{self.k}") / n,
            f"pass^{self.k}": total(f"pass^{self.k}") / n,
            "input_tokens": total("input_tokens"), "output_tokens": total("output_tokens"),
            "cost_usd": None if not per or None in costs else total("cost_usd"),
            "wall_s": total("wall_s"), "steps": total("steps"),
            "calls": calls.total, "allow": calls.allow, "ask": calls.ask, "deny": calls.deny,
            "refused_unattended": calls.refused_unattended, "destructive_attempts": calls.destructive_attempts,
        }

    def calls(self) -> CallStats:
        out = CallStats()
        for task in self.ran():
            for attempt in task.attempts:
                out.add(attempt.calls)
        return out

    def by_category(self) -> dict[str, float]:
        groups: dict[str, list[float]] = {}
        for task in self.ran():
            groups.setdefault(task.category, []).append(float(task.metrics()["pass@1"] or 0.0))
        return {k: sum(v) / len(v) for k, v in sorted(groups.items())}
