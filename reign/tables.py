"""The tables of `reign tools`, `reign policy explain` and `reign audit show` (rich)."""

from __future__ import annotations

from typing import Any

from rich.console import Console
from rich.markup import escape
from rich.table import Table

from reign.console import describe_call
from reign.terminal import inert

_STYLE = {"allow": "green", "ask": "yellow", "deny": "red"}


def tools_table(out: Console, rows: list[dict[str, Any]]) -> None:
    """The tools this machine can serve; then each unavailable manager once, with the reason."""
    table = Table()
    for col in ("tool", "manager", "effect"):
        table.add_column(col)
    missing: dict[str, tuple[str, int]] = {}
    for r in rows:
        if r["available"]:
            table.add_row(*(escape(inert(str(r[k]))) for k in ("tool", "manager", "effect")))
        else:
            reason, count = missing.get(r["manager"], (r["reason"], 0))
            missing[r["manager"]] = (reason, count + 1)
    out.print(table)
    for manager, (reason, count) in sorted(missing.items()):
        out.print(f"[red]unavailable[/red]: [bold]{escape(manager)}[/bold] ({count} tools): {escape(inert(reason))}")


def policy_table(out: Console, layers: list[str], rows: list[dict[str, Any]]) -> None:
    for layer in layers:
        out.print(f"layer {layer}", markup=False)
    table = Table()
    for col in ("rule", "decision", "layer", "reason"):
        table.add_column(col)
    for r in rows:
        state = f"[{_STYLE[r['decision']]}]{r['decision']}[/]"
        if r["disabled_by"]:
            state = f"[dim]disabled ({escape(r['disabled_by'])})[/dim]"
        table.add_row(escape(r["id"]), state, escape(r["layer"]), escape(r["reason"]))
    out.print(table)


def audit_table(out: Console, records: list[dict[str, Any]]) -> None:
    """One row per record; a decision shows the call (command or arguments), the rule and the verdict."""
    table = Table()
    for col in ("seq", "time", "session", "kind", "call", "detail"):
        table.add_column(col, no_wrap=col in ("seq", "kind", "detail"))  # the call column wraps instead
    for r in records:
        kind = str(r.get("kind", ""))
        call = describe_call(str(r.get("tool", "")), r["args"], 120) if isinstance(r.get("args"), dict) \
            else inert(str(r.get("tool", "")))  # a tool name is the model's text too
        if kind == "decision":
            detail = f"[{_STYLE.get(str(r.get('decision')), '')}]{escape(str(r.get('decision')))}[/] " \
                f"{escape(inert(str(r.get('rule', ''))))}"
        elif kind == "approval":
            detail = ("approved" if r.get("approved") else "refused") + \
                (f" by {escape(inert(str(r['approved_by'])))}" if r.get("approved_by") else "") + \
                f" ({escape(str(r.get('scope', '')))})"
        elif kind == "result":
            detail = ("ok" if r.get("ok") else "[red]error[/red]") + f", {r.get('duration_ms', 0)} ms"
        elif kind == "end":
            detail = escape(str(r.get("stop_reason", "")))
        else:
            detail = ""
        table.add_row(*(escape(inert(str(v))) for v in (r.get("seq", ""), str(r.get("ts", ""))[:19],
                                                         r.get("session", ""), kind)), escape(call), detail)
    out.print(table)
