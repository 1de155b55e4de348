"""Provider-neutral records shared by the loop, the providers, the gate and the audit trail.

Kept free of heavy imports so that `reign --help` and `reign policy check` stay fast.
"""

from __future__ import annotations

import hashlib
import json
from typing import Any, Literal

from pydantic import BaseModel, Field

Effect = Literal["read", "write", "destructive"]
Action = Literal["allow", "ask", "deny"]
RealEffect = Literal["read", "write", "destructive", "unknown"]  # what a call really does, from its facts
Severity = Literal["routine", "risky", "critical"]
Unattended = Literal["run", "refuse"]
StopReason = Literal["completed", "max_steps", "token_budget", "timeout", "error", "interrupted"]


class ToolCall(BaseModel):
    """One call the model asked for, as the provider reported it."""

    id: str
    name: str
    args: dict[str, Any] = Field(default_factory=dict)
    error: str = ""  # set when the model's call was malformed (arguments not JSON, not an object)

    def digest(self) -> str:
        """Hash of the exact call (name and canonical args): what an approval is bound to."""
        canon = json.dumps({"tool": self.name, "args": self.args}, sort_keys=True, separators=(",", ":"))
        return hashlib.sha256(canon.encode()).hexdigest()


class ToolResult(BaseModel):
    """Exactly one per ToolCall: output, error or denial."""

    call_id: str
    name: str
    content: str
    is_error: bool = False


class Usage(BaseModel):
    input_tokens: int = 0
    output_tokens: int = 0

    def __add__(self, other: Usage) -> Usage:
        return Usage(
            input_tokens=self.input_tokens + other.input_tokens,
            output_tokens=self.output_tokens + other.output_tokens,
        )

    @property
    def total(self) -> int:
        return self.input_tokens + self.output_tokens


class Message(BaseModel):
    """A conversation entry. `tool` messages carry results; `assistant` may carry calls."""

    role: Literal["user", "assistant", "tool"]
    text: str = ""
    tool_calls: list[ToolCall] = Field(default_factory=list)
    tool_results: list[ToolResult] = Field(default_factory=list)


class ModelTurn(BaseModel):
    """What a provider returns for one request."""

    text: str = ""
    tool_calls: list[ToolCall] = Field(default_factory=list)
    usage: Usage = Field(default_factory=Usage)
    finish: str = ""


class ToolSpec(BaseModel):
    """What the model is shown of a tool."""

    name: str
    description: str
    input_schema: dict[str, Any]


class Decision(BaseModel):
    """The gate's verdict on one call. `rule` is the id of the rule that decided.

    `effect` is what the call really does (from its facts, not only the tool's declared effect);
    `unattended` is what `--yes` or any other approver without a person may do: only "run" may be
    approved without a person (routine reads and writes)."""

    action: Action
    reason: str
    rule: str
    effect: RealEffect = "unknown"
    severity: Severity = "risky"
    unattended: Unattended = "refuse"


class CallRecord(BaseModel):
    """One tool call as the run saw it: feeds `--output json`, sessions and the audit."""

    tool: str
    args: dict[str, Any]
    decision: Action
    rule: str = ""
    reason: str = ""
    approved: bool | None = None
    approved_by: str = ""  # who approved or refused, when a person did (server runs: their user name)
    preview: str | None = None  # the plan or diff shown for approval (redacted)
    ok: bool = False
    output: str = ""
    duration_ms: float = 0.0


class RunResult(BaseModel):
    final: str = ""
    stop_reason: StopReason = "completed"
    error: str = ""
    steps: int = 0
    tool_calls: list[CallRecord] = Field(default_factory=list)
    usage: Usage = Field(default_factory=Usage)
    session: str = ""
