"""The interactive approver of `reign chat`: yes / no / always-for-this-session, for the exact call.

The prompt shows its choices, the call as it would run, what it does and which rule asked, and the
plan or diff it covers. An answer it does not know asks again; Ctrl-C or end of input refuses.
"""

from __future__ import annotations

import sys

from rich.markup import escape

from reign.approval import Approval, ApprovalRequest
from reign.console import Console, approval_line, describe_call, preview_text
from reign.signals import Stopped
from reign.terminal import inert

QUESTION = "run it? [y]es / [n]o / [a]lways for this session: "
_ANSWERS = {"y": "once", "yes": "once", "a": "session", "always": "session", "n": "refused", "no": "refused"}
MAX_TRIES = 5  # a stream of nonsense (a stuck key, piped input) ends as a refusal


class ConsoleApprover:
    def __init__(self, console: Console) -> None:
        self.console = console

    @property
    def attended(self) -> bool:
        """A person can answer here: processes may run unsandboxed where no sandbox exists (with a warning)."""
        return sys.stdin.isatty()

    def approve(self, request: ApprovalRequest) -> Approval:
        if not sys.stdin.isatty():
            return Approval(False, "refused", "needs approval, and there is no terminal to ask on")
        console = self.console
        console.idle()
        out = console.out
        out.print()
        out.print(f"[bold yellow]approval needed[/bold yellow]: {escape(approval_line(request))}")
        if request.call.name == "bash" and set(request.call.args) <= {"command"}:
            out.print(f"  {escape(describe_call('bash', request.call.args, 4000))}", style="bold")
        else:
            import json

            out.print(f"  {inert(request.call.name)}", style="bold", markup=False)
            out.print(inert(json.dumps(request.call.args, indent=2, ensure_ascii=False)), markup=False)
        if request.preview:
            out.print("[bold]preview[/bold]:")
            out.print(preview_text(request.preview))
        out.print(f"call hash {request.digest[:16]}", style="dim", markup=False)
        for _ in range(MAX_TRIES):
            try:
                answer = out.input(escape(QUESTION)).strip().lower()
            except Stopped:
                raise  # SIGTERM / SIGHUP: the run stops, it is not an answer
            except (EOFError, KeyboardInterrupt):
                out.print()
                return Approval(False, "refused", "not approved (interrupted at the prompt)")
            scope = _ANSWERS.get(answer)
            if scope == "once":
                return Approval(True, "once", "approved")
            if scope == "session":
                return Approval(True, "session", "approved for this session")
            if scope == "refused":
                return Approval(False, "refused", "the user declined")
            out.print(f"please answer y, n or a (not {answer!r})", style="yellow", markup=False)
        return Approval(False, "refused", "no recognisable answer")
