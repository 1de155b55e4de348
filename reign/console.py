"""Everything Reign shows a person on a terminal (rich), and the interactive approval prompt."""

from __future__ import annotations

import json
import sys
from typing import Any

from reign.approval import Approval, ApprovalRequest
from reign.terminal import inert
from reign.types import CallRecord, RunResult, ToolCall

_STYLE = {"allow": "green", "ask": "yellow", "deny": "red"}


def _short(args: dict[str, Any], limit: int = 160) -> str:
    text = inert(json.dumps(args, ensure_ascii=False))
    return text if len(text) <= limit else text[: limit - 3] + "..."


def _safe(text: object) -> str:
    """Untrusted text (from the model, a tool, a file) inside a rich markup string: inert, markup escaped."""
    from rich.markup import escape

    return escape(inert(str(text)))


class Console:
    def __init__(self) -> None:
        self._out: Any = None
        self._streaming = False

    @property
    def out(self) -> Any:
        """The rich console, made at the first output: importing rich need not delay the first request."""
        if self._out is None:
            from rich.console import Console as RichConsole

            self._out = RichConsole(highlight=False)
        return self._out

    def banner(self, provider: str, model: str, tools: int) -> None:
        self.out.print(f"[bold]reign[/bold] chat - {provider}/{model}, {tools} tools. /help for commands, "
                       "Ctrl-D to leave.")

    def prompt(self) -> str | None:
        try:
            line: str = self.out.input("[bold cyan]you>[/bold cyan] ")
            return line
        except (EOFError, KeyboardInterrupt):
            self.out.print()
            return None

    def note(self, text: str) -> None:
        self.out.print(f"[dim]{text}[/dim]", markup=True)

    def stream_text(self, text: str) -> None:
        if not self._streaming:
            self.out.print("[bold magenta]reign>[/bold magenta] ", end="")
            self._streaming = True
        self.out.print(inert(text), end="", markup=False)

    def show_calls(self, step: int, calls: list[ToolCall]) -> None:
        if self._streaming:
            self.out.print()
            self._streaming = False
        for call in calls:
            self.out.print(f"[dim]step {step}[/dim] [bold]{_safe(call.name)}[/bold] {_safe(_short(call.args))}",
                           markup=True,
                           highlight=False)

    def show_approval(self, request: ApprovalRequest, answer: Approval) -> None:
        """What --yes approved (or what was refused for want of it), with the plan or diff it covers."""
        from reign.redact import redact

        colour = "green" if answer.approved else "yellow"
        self.out.print(f"[{colour}]{'approved' if answer.approved else 'not approved'}[/]: "
                       f"[bold]{_safe(request.call.name)}[/bold] {_safe(_short(request.call.args))} - "
                       f"{_safe(answer.note)}", highlight=False)
        if request.preview:
            self.out.print(inert(redact(request.preview)), markup=False)

    def show_outcome(self, record: CallRecord, lines: int = 8) -> None:
        """A short, readable excerpt of what a call returned (the model sees the whole, capped)."""
        from reign.executor import parse_process

        text = inert(record.output)
        data = parse_process(record.output)
        if data is not None:  # bash and command templates
            text = inert(str(data.get("stdout") or "") + str(data.get("stderr") or "")).rstrip() or \
                f"(exit code {data.get('exit_code')})"
        shown = text.splitlines()
        more = f"\n... ({len(shown) - lines} more lines)" if len(shown) > lines else ""
        style = "dim" if record.ok else ("red" if record.decision == "deny" else "yellow")
        for line in shown[:lines]:
            self.out.print("  " + line, style=style, markup=False, highlight=False, no_wrap=True,
                           overflow="ellipsis")
        if more:
            self.out.print(more.strip(), style=style, markup=False)

    def end_turn(self, result: RunResult) -> None:
        if self._streaming:
            self.out.print()
            self._streaming = False
        elif result.final:
            self.out.print("[bold magenta]reign>[/bold magenta] ", end="")
            self.out.print(inert(result.final), markup=False)
        if result.stop_reason != "completed":
            self.out.print(f"[yellow]stopped: {result.stop_reason}[/yellow] {_safe(result.error)}")

    def show_result(self, result: RunResult) -> None:
        from rich.table import Table

        if result.tool_calls:
            table = Table(title="tool calls", show_lines=False)
            for col in ("tool", "args", "decision", "ok"):
                table.add_column(col)
            for c in result.tool_calls:
                table.add_row(_safe(c.tool), _safe(_short(c.args, 80)), f"[{_STYLE[c.decision]}]{c.decision}[/]"
                              + (" (approved)" if c.approved else ""), "yes" if c.ok else "no")
            self.out.print(table)
        if result.final:
            self.out.print(inert(result.final), markup=False)
        colour = "green" if result.stop_reason == "completed" else "yellow"
        self.out.print(f"[{colour}]{result.stop_reason}[/] after {result.steps} steps, "
                       f"{result.usage.input_tokens} in / {result.usage.output_tokens} out tokens"
                       + (f" - {_safe(result.error)}" if result.error else ""))

    def tools_table(self, rows: list[dict[str, Any]]) -> None:
        from rich.table import Table

        table = Table()
        for col in ("tool", "manager", "effect", "available"):
            table.add_column(col)
        for r in rows:
            table.add_row(r["tool"], r["manager"], r["effect"],
                          "yes" if r["available"] else f"[red]no[/red]: {r['reason']}")
        self.out.print(table)

    def policy_table(self, layers: list[str], rows: list[dict[str, Any]]) -> None:
        from rich.table import Table

        for layer in layers:
            self.out.print(f"layer {layer}", markup=False)
        table = Table()
        for col in ("rule", "decision", "layer", "reason"):
            table.add_column(col)
        for r in rows:
            state = f"[{_STYLE[r['decision']]}]{r['decision']}[/]"
            if r["disabled_by"]:
                state = f"[dim]disabled ({r['disabled_by']})[/dim]"
            table.add_row(r["id"], state, r["layer"], r["reason"])
        self.out.print(table)

    def audit_table(self, records: list[dict[str, Any]]) -> None:
        from rich.table import Table

        table = Table()
        for col in ("seq", "time", "session", "kind", "tool", "detail"):
            table.add_column(col)
        for r in records:
            detail = r.get("decision") or ("ok" if r.get("ok") else "error" if "ok" in r else "")
            if r.get("kind") == "approval":
                detail = ("approved" if r.get("approved") else "refused") + \
                    (f" by {r['approved_by']}" if r.get("approved_by") else "")
            table.add_row(*(_safe(v) for v in (r.get("seq", ""), str(r.get("ts", ""))[:19], r.get("session", ""),
                                              r.get("kind", ""), r.get("tool", ""), detail)))
        self.out.print(table)


class ConsoleApprover:
    """yes / no / always-for-this-session, bound to the exact call (and its preview)."""

    def __init__(self, console: Console) -> None:
        self.console = console

    @property
    def attended(self) -> bool:
        """A person can answer here: processes may run unsandboxed where no sandbox exists (with a warning)."""
        return sys.stdin.isatty()

    def approve(self, request: ApprovalRequest) -> Approval:
        out = self.console.out
        if not sys.stdin.isatty():
            return Approval(False, "refused", "needs approval, and there is no terminal to ask on")
        out.print(f"\n[yellow]approval needed[/yellow] ({_safe(request.decision.rule)}: "
                  f"{_safe(request.decision.reason)})")
        out.print(f"  [bold]{_safe(request.call.name)}[/bold] ({request.effect})", markup=True)
        out.print(inert(json.dumps(request.call.args, indent=2, ensure_ascii=False)), markup=False)
        if request.preview:
            out.print("[bold]preview[/bold]:")
            from reign.redact import redact

            out.print(inert(redact(request.preview)), markup=False)
        out.print(f"[dim]call hash {request.digest[:16]}[/dim]")
        try:
            answer = out.input("run it? [y]es / [n]o / [a]lways for this session: ").strip().lower()
        except (EOFError, KeyboardInterrupt):
            return Approval(False, "refused", "not approved")
        if answer in ("a", "always"):
            return Approval(True, "session", "approved for this session")
        if answer in ("y", "yes"):
            return Approval(True, "once", "approved")
        return Approval(False, "refused", "the user declined")
