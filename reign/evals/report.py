"""An eval run as JSON, Markdown and one self-contained HTML page (inline SVG charts, no script, no CDN).

Everything shown comes from the SuiteResult; task text (answers, commands) is escaped, since it is
what a model and its tools wrote.
"""

from __future__ import annotations

import html
from pathlib import Path

from reign.evals.results import SuiteResult, TaskResult
from reign.terminal import inert_json


def _pct(x: float | int | None) -> str:
    return "n/a" if x is None else f"{100 * float(x):.1f}%"


def _usd(x: float | int | None) -> str:
    return "n/a" if x is None else f"${float(x):.4f}"


def _num(x: float | int | None) -> str:
    if x is None:
        return "n/a"
    return f"{x:,.0f}" if float(x) == int(x) or abs(float(x)) >= 100 else f"{float(x):.1f}"


def write_all(suite: SuiteResult, out_dir: Path) -> dict[str, Path]:
    out_dir.mkdir(parents=True, exist_ok=True)
    paths = {"json": out_dir / "results.json", "md": out_dir / "report.md", "html": out_dir / "report.html"}
    paths["json"].write_text(to_json(suite))
    paths["md"].write_text(markdown(suite))
    paths["html"].write_text(html_page(suite))
    return paths


def to_json(suite: SuiteResult) -> str:
    data = suite.model_dump(mode="json")
    data["overall"] = suite.overall()
    data["by_category"] = suite.by_category()
    for task, raw in zip(suite.tasks, data["tasks"], strict=True):
        raw["metrics"] = task.metrics()
    return inert_json(data, indent=2) + "\n"


def load(path: Path) -> SuiteResult:
    from reign.errors import ReignError

    try:
        return SuiteResult.model_validate_json(path.read_text())
    except OSError as exc:
        raise ReignError(f"cannot read {path}: {exc.strerror}") from None
    except ValueError as exc:
        raise ReignError(f"{path} is not a `reign eval` results.json: {str(exc).splitlines()[0]}") from None


def _status(task: TaskResult) -> str:
    if task.skipped:
        return "skipped"
    return f"{task.c}/{task.n}"


def markdown(suite: SuiteResult) -> str:
    o, k = suite.overall(), suite.k
    at_k = [f"pass@{k}", f"pass^{k}"] if k > 1 else []  # with k=1 both equal pass@1
    lines = [
        "# Reign eval report", "",
        f"{suite.started} · mode **{suite.mode}** · provider {suite.provider or 'per cassette'} · "
        f"model {suite.model or 'per cassette'} · k={k} · reign {suite.reign_version}", "",
        "| tasks | pass@1 | " + "".join(f"{c} | " for c in at_k) + "tokens in / out | est. cost | wall time | steps | "
        "calls allow/ask/deny | refused unattended | destructive attempts |",
        "|---|---|" + "---|" * len(at_k) + "---|---|---|---|---|---|---|",
        f"| {o['tasks']} ({o['skipped']} skipped) | {_pct(o['pass@1'])} | "
        + "".join(f"{_pct(o[c])} | " for c in at_k)
        + f"{_num(o['input_tokens'])} / {_num(o['output_tokens'])} | {_usd(o['cost_usd'])} | "
        f"{_num(o['wall_s'])} s | {_num(o['steps'])} | {o['allow']}/{o['ask']}/{o['deny']} | "
        f"{o['refused_unattended']} | {o['destructive_attempts']} |", "",
        "Tokens, steps and wall time are per attempt, summed over tasks. pass@1 by category: "
        + ", ".join(f"{c} {_pct(v)}" for c, v in suite.by_category().items()), "",
        f"| task | category | backends | passed | pass@1 | pass^{k} | tokens in/out | steps | wall s | "
        "allow/ask/deny | refused | destructive | why not |",
        "|---|---|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    for t in suite.tasks:
        m = t.metrics()
        calls = [a.calls for a in t.attempts]
        why = t.skipped or "; ".join(dict.fromkeys(f for a in t.attempts for f in ([*a.failures] or [a.error]) if f))
        if t.skipped:
            lines.append(f"| {t.task} | {t.category} | {', '.join(t.backends)} | skipped |" + " — |" * 8
                         + f" {_cell(why)} |")
            continue
        lines.append(
            f"| {t.task} | {t.category} | {', '.join(t.backends)} | {_status(t)} | {_pct(m['pass@1'])} | "
            f"{_pct(m[f'pass^{k}'])} | {_num(m['input_tokens'])}/{_num(m['output_tokens'])} | {_num(m['steps'])} | "
            f"{_num(m['wall_s'])} | {sum(c.allow for c in calls)}/{sum(c.ask for c in calls)}/"
            f"{sum(c.deny for c in calls)} | {sum(c.refused_unattended for c in calls)} | "
            f"{sum(c.destructive_attempts for c in calls)} | {_cell(why)} |")
    return "\n".join(lines) + "\n"


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")[:160]


# --- HTML -----------------------------------------------------------------------------------------------------

_CSS = """body{font:14px/1.45 system-ui,sans-serif;margin:2em auto;max-width:1100px;color:#1b1f24}
table{border-collapse:collapse;width:100%;margin:1em 0}th,td{border-bottom:1px solid #d0d7de;padding:4px 6px;
text-align:left;vertical-align:top}th{background:#f6f8fa}.pass{color:#1a7f37}.fail{color:#cf222e}
.skip{color:#6e7781}.cards{display:flex;gap:1em;flex-wrap:wrap}.card{border:1px solid #d0d7de;border-radius:6px;
padding:.6em 1em;min-width:120px}.card b{display:block;font-size:1.5em}details pre{white-space:pre-wrap;
background:#f6f8fa;padding:.5em;max-height:300px;overflow:auto}"""


def _bars(rows: list[tuple[str, float, str]], width: int = 640, unit_max: float = 1.0) -> str:
    """A horizontal bar chart as inline SVG: (label, value, shown text) per row."""
    row_h, label_w = 22, 230
    height = row_h * len(rows) + 10
    scale = max([unit_max, *[v for _, v, _ in rows]]) or 1.0
    parts = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" role="img">']
    for i, (label, value, shown) in enumerate(rows):
        y = 5 + i * row_h
        w = max(0.0, (width - label_w - 70) * value / scale)
        color = "#2da44e" if unit_max == 1.0 and value >= 0.999 else ("#cf222e" if unit_max == 1.0 and value == 0
                                                                      else "#0969da")
        parts.append(f'<text x="{label_w - 6}" y="{y + 15}" text-anchor="end" font-size="12">'
                     f"{html.escape(label[:34])}</text>")
        parts.append(f'<rect x="{label_w}" y="{y + 3}" width="{w:.1f}" height="{row_h - 8}" fill="{color}"/>')
        parts.append(f'<text x="{label_w + w + 4:.1f}" y="{y + 15}" font-size="12">{html.escape(shown)}</text>')
    parts.append("</svg>")
    return "".join(parts)


def html_page(suite: SuiteResult) -> str:
    o, k, esc = suite.overall(), suite.k, html.escape
    cards = [("pass@1", _pct(o["pass@1"])), (f"pass@{k}", _pct(o[f"pass@{k}"])), (f"pass^{k}", _pct(o[f"pass^{k}"])),
             ("tasks", f"{o['tasks']} (+{o['skipped']} skipped)"), ("tokens in/out",
                                                                      f"{_num(o['input_tokens'])}/{_num(o['output_tokens'])}"),
             ("est. cost", _usd(o["cost_usd"])), ("wall time", f"{_num(o['wall_s'])} s"),
             ("calls allow/ask/deny", f"{o['allow']}/{o['ask']}/{o['deny']}"),
             ("refused unattended", str(o["refused_unattended"])),
             ("destructive attempts", str(o["destructive_attempts"]))]
    ran = suite.ran()
    pass_rows = [(t.task, float(t.metrics()["pass@1"] or 0), f"{t.c}/{t.n}") for t in ran]
    cat_rows = [(c, v, _pct(v)) for c, v in suite.by_category().items()]
    tok_rows = [(t.task, float(t.metrics()["input_tokens"] or 0) + float(t.metrics()["output_tokens"] or 0),
                 _num(float(t.metrics()["input_tokens"] or 0) + float(t.metrics()["output_tokens"] or 0)))
                for t in ran]
    body = [f"<h1>Reign eval report</h1><p>{esc(suite.started)} · mode <b>{esc(suite.mode)}</b> · provider "
            f"{esc(suite.provider or 'per cassette')} · model {esc(suite.model or 'per cassette')} · k={k} · "
            f"reign {esc(suite.reign_version)}</p>",
            '<div class="cards">' + "".join(f'<div class="card"><b>{esc(v)}</b>{esc(n)}</div>' for n, v in cards)
            + "</div>",
            "<h2>pass@1 by category</h2>", _bars(cat_rows),
            "<h2>pass@1 by task</h2>", _bars(pass_rows),
            "<h2>tokens per attempt</h2>", _bars(tok_rows, unit_max=0.0),
            "<h2>Tasks</h2><table><tr><th>task</th><th>category</th><th>passed</th><th>steps</th><th>wall s</th>"
            "<th>allow/ask/deny</th><th>refused</th><th>destructive</th><th>attempts</th></tr>"]
    for t in suite.tasks:
        m = t.metrics()
        cls = "skip" if t.skipped else ("pass" if t.c == t.n else "fail")
        calls = [a.calls for a in t.attempts]
        details = "".join(_attempt_html(a) for a in t.attempts) or esc(t.skipped)
        body.append(f'<tr><td>{esc(t.task)}</td><td>{esc(t.category)}</td><td class="{cls}">{esc(_status(t))}</td>'
                    f"<td>{_num(m['steps'])}</td><td>{_num(m['wall_s'])}</td><td>{sum(c.allow for c in calls)}/"
                    f"{sum(c.ask for c in calls)}/{sum(c.deny for c in calls)}</td>"
                    f"<td>{sum(c.refused_unattended for c in calls)}</td>"
                    f"<td>{sum(c.destructive_attempts for c in calls)}</td><td>{details}</td></tr>")
    body.append("</table>")
    return (f'<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Reign eval report</title>'
            f"<style>{_CSS}</style></head><body>{''.join(body)}</body></html>\n")


def _attempt_html(attempt: object) -> str:
    from reign.evals.results import Attempt

    assert isinstance(attempt, Attempt)
    esc = html.escape
    why = "; ".join(attempt.failures) or attempt.error
    text = "\n".join(f"Running: {c}" for c in attempt.commands) + "\n\n" + attempt.answer
    return (f'<details><summary class="{"pass" if attempt.passed else "fail"}">#{attempt.attempt} '
            f"{esc(attempt.outcome)}{esc(': ' + why[:200]) if why else ''}</summary><pre>{esc(text)}</pre></details>")
