"""Approvals for `ask` decisions. Each approval is bound to the hash of the exact call (and preview)."""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Literal, Protocol

from reign.types import Decision, ToolCall


@dataclass(frozen=True)
class ApprovalRequest:
    call: ToolCall
    effect: str
    decision: Decision
    preview: str | None = None  # the plan or diff the user approves, when the tool has one

    @property
    def digest(self) -> str:
        """The call hash, extended by the preview so that approving a diff approves only that diff."""
        if self.preview is None:
            return self.call.digest()
        return hashlib.sha256((self.call.digest() + "\n" + self.preview).encode()).hexdigest()


@dataclass(frozen=True)
class Approval:
    approved: bool
    scope: Literal["once", "session", "refused", "remembered"] = "once"
    note: str = ""
    by: str = ""  # who approved or refused (a person's name, for server runs); recorded in the audit


class Approver(Protocol):
    def approve(self, request: ApprovalRequest) -> Approval: ...


@dataclass
class NonInteractive:
    """`reign run`: asks are refused unless --yes, and --yes approves only what the gate marks
    `unattended: run` (routine reads and writes): never a destructive, unknown or risky call, never a deny."""

    yes: bool = False
    notify: Callable[[ApprovalRequest, Approval], None] | None = None  # shows what was approved or refused

    def approve(self, request: ApprovalRequest) -> Approval:
        decision = request.decision
        if self.yes and decision.unattended == "run":
            answer = Approval(True, "once", "approved by --yes")
        elif self.yes:
            answer = Approval(False, "refused", f"--yes approves only routine reads and writes; this call is "
                              f"{decision.effect} and {decision.severity} ({decision.reason}). A person must "
                              "approve it: run it in `reign chat`, or allow this one action by name in your user "
                              "policy (~/.config/reign/policy.yaml)")
        else:
            answer = Approval(False, "refused", "needs approval: re-run with --yes (routine calls only), or use "
                              "`reign chat` to approve it")
        if self.notify:
            self.notify(request, answer)
        return answer


@dataclass
class SessionMemory:
    """"Always for this session": remembered by exact call hash, nothing broader."""

    digests: set[str] = field(default_factory=set)

    def recall(self, request: ApprovalRequest) -> Approval | None:
        return Approval(True, "remembered", "approved earlier in this session") \
            if request.digest in self.digests else None

    def remember(self, request: ApprovalRequest) -> None:
        self.digests.add(request.digest)
