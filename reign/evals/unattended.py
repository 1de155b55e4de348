"""Unattended approval (`reign eval`, `reign-bench-agent --skip-permissions`) and a gate that remembers.

Unattended runs may approve only what the gate marks routine (`Decision.unattended == "run"`, the
shared contract). Until every gate sets that field, a call whose effect is `destructive` is refused
and other asks are approved, as `--yes` does: fail closed on what is known to be dangerous.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from reign.approval import Approval, ApprovalRequest
from reign.types import Decision, ToolCall

_EFFECTS = ("read", "write", "destructive")


@dataclass
class Unattended:
    refused: list[str] = field(default_factory=list)  # ids of the calls refused for want of a person

    def approve(self, request: ApprovalRequest) -> Approval:
        verdict = getattr(request.decision, "unattended", None)
        if verdict not in ("run", "refuse"):
            verdict = "refuse" if request.effect == "destructive" else "run"
        if verdict == "run":
            return Approval(True, "once", "approved unattended (a routine call)")
        self.refused.append(request.call.id)
        return Approval(False, "refused", "an unattended run cannot approve this call; it needs a person")


@dataclass
class RecordingGate:
    """Wraps the policy gate to keep, per call id, what the call really does (its effect)."""

    inner: Any
    effects: dict[str, str] = field(default_factory=dict)

    def decide(self, call: ToolCall, tool: Any) -> Decision:
        decision: Decision = self.inner.decide(call, tool)
        effect = getattr(decision, "effect", None)
        if effect not in _EFFECTS:
            effect = getattr(tool, "effect", None) if effect in (None, "unknown") else effect
        self.effects[call.id] = str(effect or "unknown")
        return decision
