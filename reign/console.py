"""What a person sees of a run on a terminal (rich): each call with what really happened to it.

A call shows as ok, failed (with its exit code), timed out, denied or refused; the model's narration
between steps is dimmed; while a step runs, a spinner says what is running and for how long. Text that
came from a tool or the model is untrusted: it is printed without markup and without control characters.
"""

from __future__ import annotations

import json
import os
import re
import sys
import time
from typing import Any

from reign.approval import Approval, ApprovalRequest
from reign.terminal import inert
from reign.types import CallRecord, RunResult, ToolCall


def describe_call(tool: str, args: dict[str, Any], limit: int = 200) -> str:
    """The call as a person would type it: a shell command as the command, anything else as its arguments."""
    if tool == "bash" and isinstance(args.get("command"), str):
        text = args["command"]
    else:
        text = json.dumps(args, ensure_ascii=False)
    text = inert(" ".join(text.split()) if "\n" in text else text)
    return f"{inert(tool)}: {text if len(text) <= limit else text[: limit - 3] + '...'}"  # the name is the model's too


def outcome(record: CallRecord) -> tuple[str, str]:
    """(what happened, style): ok, failed (exit N), timed out after N s, denied, not approved, error."""
    from reign.executor import parse_process

    if record.decision == "deny":
        return f"denied by rule {record.rule}: {record.reason}", "red"
    if record.approved is False:
        return "not run: needs approval", "yellow"
    if not record.ok:
        return "error", "red"
    data = parse_process(record.output)
    seconds = f"{record.duration_ms:.0f} ms" if record.duration_ms < 1000 else f"{record.duration_ms / 1000:.1f} s"
    if data is not None and data["timed_out"]:
        match = re.search(r"timed out after ([\d.]+) ?s", record.output)
        return f"timed out after {match.group(1) if match else seconds} s", "red"
    if data is not None and data["exit_code"] not in (0, None):
        return f"failed (exit {data['exit_code']}), {seconds}", "red"
    return f"ok, {seconds}", "green"


def shown_output(record: CallRecord) -> str:
    """What a person reads of a result: a process's stdout and stderr, else the result text."""
    from reign.executor import parse_process

    data = parse_process(record.output)
    if data is None:
        return record.output
    text = (str(data.get("stdout") or "") + str(data.get("stderr") or "")).rstrip()
    return text


def preview_text(preview: str) -> Any:
    """A diff or a plan, coloured line by line (+ green, - red, ~ yellow, @@ cyan), untrusted text inert."""
    from rich.text import Text

    from reign.redact import redact

    out = Text()
    for line in inert_lines(redact(preview)):
        head = line.lstrip()[:2]
        style = "green" if head.startswith("+") and head != "++" else \
            "red" if head.startswith("-") and head != "--" else \
            "yellow" if head.startswith("~") else "cyan" if head.startswith("@@") else ""
        out.append(line + "\n", style=style)
    return out


def _may_be_terminal() -> bool:
    """False where rich would find no terminal (stdout not a tty, neither TTY_COMPATIBLE nor FORCE_COLOR set),
    asked without importing rich: a run whose output is piped shows no spinner and need not load it."""
    isatty = getattr(sys.stdout, "isatty", None)
    try:
        tty = bool(isatty and isatty())
    except ValueError:  # closed
        tty = False
    return tty or "TTY_COMPATIBLE" in os.environ or "FORCE_COLOR" in os.environ


def inert_lines(text: str) -> list[str]:
    return [inert(line) for line in text.splitlines()]


class Console:
    def __init__(self, *, quiet: bool = False, model: str = "",
                 prices: dict[str, tuple[float, float]] | None = None) -> None:
        self._out: Any = None
        self.quiet = quiet
        self.model = model
        self.prices = prices or {}
        self._streaming = False
        self._queue: list[ToolCall] = []
        self._requests: dict[str, tuple[ApprovalRequest, Approval]] = {}
        self._live: Any = None
        self._spinner: Any = None
        self._label = ""
        self._since = 0.0

    @property
    def out(self) -> Any:
        """The rich console, made at the first output: importing rich need not delay the first request."""
        if self._out is None:
            from rich.console import Console as RichConsole

            self._out = RichConsole(highlight=False)
        return self._out

    # -- the live indicator ------------------------------------------------------------------------------
    def busy(self, label: str) -> None:
        """Show (or retitle) the spinner: what runs now and for how long. Only on a terminal."""
        if self.quiet or not _may_be_terminal() or not self.out.is_terminal:
            return
        self._label, self._since = label, time.monotonic()
        if self._live is None:
            from rich.live import Live
            from rich.spinner import Spinner

            self._spinner = Spinner("dots", style="cyan")
            self._live = Live(get_renderable=self._status, console=self.out, transient=True,
                              refresh_per_second=8)
            self._live.start()

    def _status(self) -> Any:
        from rich.text import Text

        self._spinner.update(text=Text(f"{self._label}  {time.monotonic() - self._since:.0f} s", style="dim"))
        return self._spinner

    def idle(self) -> None:
        if self._live is not None:
            self._live.stop()
            self._live = None

    # -- a run as it happens ----------------------------------------------------------------------------
    def note(self, text: str) -> None:
        if not self.quiet:
            self.out.print(text, style="dim", markup=False)

    def stream_text(self, text: str) -> None:
        self.idle()
        if not self._streaming:
            self.out.print("reign> ", style="bold magenta", end="")
            self._streaming = True
        self.out.print(inert(text), end="", markup=False)

    def show_step(self, step: int, narration: str, calls: list[ToolCall]) -> None:
        """The start of a step's calls: the model's narration (unless it was streamed), dimmed."""
        self.idle()
        if self._streaming:
            self.out.print()
            self._streaming = False
        elif narration.strip() and not self.quiet:
            self.out.print(f"[step {step}] {inert(narration.strip())}", style="dim italic", markup=False)
        self._queue = list(calls)
        if self._queue:
            first = self._queue[0]
            self.busy(describe_call(first.name, first.args, 80))

    def remember_request(self, request: ApprovalRequest, answer: Approval) -> None:
        """NonInteractive.notify: kept so the call's line can say what the refused or approved call would do."""
        self._requests[request.call.digest()] = (request, answer)

    def show_outcome(self, record: CallRecord, lines: int = 8) -> None:
        """One labelled block per call: the call, what happened, and a short excerpt of its output."""
        self.idle()
        if self._queue:
            self._queue.pop(0)
        if not self.quiet:
            self._print_outcome(record, lines)
        self.busy(describe_call(self._queue[0].name, self._queue[0].args, 80) if self._queue
                  else "waiting for the model")

    def _print_outcome(self, record: CallRecord, lines: int) -> None:
        status, style = outcome(record)
        asked = self._requests.pop(ToolCall(id="", name=record.tool, args=record.args).digest(), None)
        self.out.print(f"  {describe_call(record.tool, record.args)}", style="bold", markup=False)
        if record.decision == "ask" and asked is not None:
            request, answer = asked
            self.out.print("    " + approval_line(request, record), style=style, markup=False)
            if record.approved is False:  # what the approver says to do about it (--yes, reign chat)
                self.out.print(f"    {answer.note.removeprefix('needs approval: ')}", style="dim", markup=False)
            if record.preview:
                self.out.print(preview_text(record.preview))
            if record.approved is False:
                return
        self.out.print(f"    {status}", style=style, markup=False)
        if record.decision == "deny" or record.approved is False:
            return
        shown = inert_lines(shown_output(record))
        for line in shown[:lines]:
            self.out.print("    " + line, style="dim", markup=False, highlight=False, no_wrap=True,
                           overflow="ellipsis")
        if len(shown) > lines:
            self.out.print(f"    ... ({len(shown) - lines} more lines)", style="dim", markup=False)

    def _show_interrupted(self, result: RunResult) -> None:
        """The call that was running when the run was stopped has no result of its own: say what became of it."""
        if result.stop_reason == "interrupted" and self._queue and not self.quiet:
            self.out.print(f"  {describe_call(self._queue[0].name, self._queue[0].args)}", style="bold", markup=False)
            self.out.print("    interrupted while running (its processes were killed)", style="red", markup=False)
        self._queue = []

    def end_turn(self, result: RunResult) -> None:
        """The end of a chat turn: the answer (unless streamed) and why the turn stopped, when not done."""
        self.idle()
        self._show_interrupted(result)
        if self._streaming:
            self.out.print()
            self._streaming = False
        elif result.final:
            self.out.print("reign> ", style="bold magenta", end="")
            self.out.print(inert(result.final), markup=False)
        if result.stop_reason != "completed":
            self.out.print(f"stopped: {result.stop_reason} {result.error}".rstrip(), style="yellow", markup=False)

    def show_result(self, result: RunResult, stopped_by: str = "") -> None:
        """The end of `reign run`: the answer, then one line saying how it ended and what it cost."""
        from reign.pricing import describe

        self.idle()
        self._show_interrupted(result)
        if stopped_by:
            result = result.model_copy(update={"error": f"stopped by {stopped_by}"})
        if result.final:
            self.out.print(inert(result.final), markup=False)
        if self.quiet:
            if result.stop_reason != "completed":
                import sys

                print(f"reign: stopped: {result.stop_reason} {stopped_by or result.error}".rstrip(), file=sys.stderr)
            return
        calls = result.tool_calls
        counts = {"ok": sum(1 for c in calls if outcome(c)[0].startswith("ok")),
                  "failed": sum(1 for c in calls if outcome(c)[1] == "red" and c.decision != "deny"),
                  "denied": sum(1 for c in calls if c.decision == "deny"),
                  "not approved": sum(1 for c in calls if c.approved is False)}
        tally = ", ".join(f"{n} {k}" for k, n in counts.items() if n)
        colour = "green" if result.stop_reason == "completed" else "yellow"
        self.out.print(f"{result.stop_reason} after {_plural(result.steps, 'step')}, {_plural(len(calls), 'call')}"
                       + (f" ({tally})" if tally else "") + f"; {describe(result.usage, self.model, self.prices)}"
                       + (f" - {result.error}" if result.error else ""), style=colour, markup=False)


def _plural(n: int, word: str) -> str:
    return f"{n} {word}" if n == 1 else f"{n} {word}s"


def approval_line(request: ApprovalRequest, record: CallRecord | None = None) -> str:
    """What the call does and which rule asked: the same words at the prompt and in `run`'s refusal."""
    decision = request.decision
    effect = decision.effect if decision.effect != "unknown" else request.effect
    verdict = ""
    if record is not None and record.approved is not None:
        verdict = "approved" if record.approved else "not approved"
        verdict += ": "
    return f"{verdict}{effect}, asked by rule {decision.rule} ({decision.reason})"
