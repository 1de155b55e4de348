"""`reign eval compare A.json B.json`: what changed between two runs, overall and task by task."""

from __future__ import annotations

from reign.evals.results import SuiteResult

_OVERALL = ("pass@1", "input_tokens", "output_tokens", "cost_usd", "wall_s", "steps", "deny",
            "refused_unattended", "destructive_attempts")


def _fmt(key: str, value: float | int | None) -> str:
    if value is None:
        return "n/a"
    if key.startswith("pass"):
        return f"{100 * float(value):.1f}%"
    if key == "cost_usd":
        return f"${float(value):.4f}"
    return f"{float(value):,.1f}" if isinstance(value, float) and not float(value).is_integer() else f"{value:,.0f}"


def _delta(key: str, a: float | int | None, b: float | int | None) -> str:
    if a is None or b is None:
        return ""
    d = float(b) - float(a)
    if abs(d) < 1e-12:
        return "="
    if key.startswith("pass"):
        return f"{100 * d:+.1f} pts"
    return f"{d:+,.4f}" if key == "cost_usd" else f"{d:+,.1f}"


def compare(a: SuiteResult, b: SuiteResult, names: tuple[str, str] = ("A", "B")) -> tuple[str, bool]:
    """Markdown describing the change, and whether B regressed (a task that passed in A fails in B)."""
    oa, ob = a.overall(), b.overall()
    lines = [f"# {names[0]} → {names[1]}", "",
             f"{names[0]}: {a.mode} · {a.model or 'per cassette'} · k={a.k} · {a.started}  ",
             f"{names[1]}: {b.mode} · {b.model or 'per cassette'} · k={b.k} · {b.started}", "",
             "| measure | A | B | change |", "|---|---|---|---|"]
    for key in _OVERALL:
        lines.append(f"| {key} | {_fmt(key, oa.get(key))} | {_fmt(key, ob.get(key))} | "
                     f"{_delta(key, oa.get(key), ob.get(key))} |")
    ta, tb = {t.task: t for t in a.tasks}, {t.task: t for t in b.tasks}
    regressed = False
    changed = ["", "| task | A | B | change |", "|---|---|---|---|"]
    for name in sorted(ta.keys() | tb.keys()):
        x, y = ta.get(name), tb.get(name)
        if x is None or y is None:
            changed.append(f"| {name} | {'—' if x is None else _short(x)} | {'—' if y is None else _short(y)} | "
                           f"{'added' if x is None else 'removed'} |")
            continue
        px, py = x.metrics()["pass@1"], y.metrics()["pass@1"]
        if x.skipped or y.skipped:
            if bool(x.skipped) != bool(y.skipped):
                changed.append(f"| {name} | {_short(x)} | {_short(y)} | {'now skipped' if y.skipped else 'now runs'} |")
            continue
        if px != py:
            worse = float(py or 0) < float(px or 0)
            regressed |= worse
            changed.append(f"| {name} | {_short(x)} | {_short(y)} | {'**worse**' if worse else 'better'} "
                           f"({_delta('pass@1', px, py)}) |")
    lines += changed if len(changed) > 3 else ["", "No task changed its pass rate."]
    return "\n".join(lines) + "\n", regressed


def _short(t: object) -> str:
    from reign.evals.results import TaskResult

    assert isinstance(t, TaskResult)
    return "skipped" if t.skipped else f"{t.c}/{t.n}"
