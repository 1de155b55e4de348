"""One tool call through every seam: catalogue -> validation -> gate -> approval -> manager -> result.

Every call gets exactly one result (output, error or denial), and every decision and result is in
the audit trail before the loop goes on. The decision is written (and flushed) before the call runs.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

from reign import sandbox
from reign.approval import Approval, ApprovalRequest, Approver, SessionMemory
from reign.catalogue import Catalogue, Tool, resolve
from reign.config import Settings
from reign.errors import ReignError, ToolError, one_line
from reign.redact import redact, secret_env_values
from reign.toolcontext import ToolContext
from reign.truncate import cut
from reign.types import CallRecord, Decision, ToolCall, ToolResult

if TYPE_CHECKING:
    from reign.toolset import Toolset


class Gate(Protocol):
    def decide(self, call: ToolCall, tool: Tool | None) -> Decision: ...


class Audit(Protocol):
    def record(self, kind: str, **fields: Any) -> dict[str, Any]: ...


class NoAudit:
    def record(self, kind: str, **fields: Any) -> dict[str, Any]:
        return {}


@dataclass
class Executor:
    catalogue: Catalogue
    gate: Gate
    approver: Approver
    settings: Settings
    audit: Audit = field(default_factory=NoAudit)
    memory: SessionMemory = field(default_factory=SessionMemory)
    cwd: Path = field(default_factory=Path.cwd)
    session: str = ""
    toolset: Toolset | None = None  # the session's tool loading, for `use_tools` (reign.wiring builds it in)
    on_event: Callable[[str, dict[str, Any]], None] | None = None  # call, decision, approval..., result (reign.api)
    _secrets: list[str] = field(default_factory=secret_env_values)

    def execute(self, call: ToolCall, step: int) -> tuple[ToolResult, CallRecord]:
        tool = self.catalogue.get(call.name)
        self._emit("call", step=step, call_id=call.id, tool=call.name, args=call.args)
        problem = self._precheck(call, tool)
        decision = self.gate.decide(call, tool) if problem is None else Decision(
            action="deny", reason=problem, rule="catalogue")
        record = CallRecord(tool=call.name, args=call.args, decision=decision.action,
                            rule=decision.rule, reason=decision.reason)
        self.audit.record("decision", step=step, call_id=call.id, tool=call.name, args=call.args,
                          call_digest=call.digest(), decision=decision.action, rule=decision.rule,
                          reason=decision.reason, effect=decision.effect, severity=decision.severity,
                          unattended=decision.unattended)
        self._emit("decision", step=step, call_id=call.id, tool=call.name, action=decision.action,
                   rule=decision.rule, reason=decision.reason, effect=decision.effect, severity=decision.severity,
                   unattended=decision.unattended)
        if tool is None or problem is not None:
            return self._finish(call, record, step, problem or "", error=True)
        if decision.action == "deny":
            return self._finish(call, record, step, f"denied by policy rule {decision.rule}: {decision.reason}",
                                error=True)
        with sandbox.confined(self._sandbox(call, tool)):  # every process of this call, preview included
            request = None
            if decision.action == "ask":
                approval, request = self._ask(call, tool, decision, step)
                record.approved, record.approved_by = approval.approved, approval.by
                record.preview = None if request.preview is None else redact(request.preview, self._secrets)
                if not approval.approved:
                    return self._finish(call, record, step, f"not run: {approval.note}", error=True)
            return self._run(call, tool, record, step, request)

    def _sandbox(self, call: ToolCall, tool: Tool) -> Callable[[], sandbox.Profile]:
        """Built when the call starts its first process. Unattended unless the approver says a person is at
        the terminal (fail closed)."""
        attended = bool(getattr(self.approver, "attended", False))
        return lambda: sandbox.profile_for(self.settings, tool.sandbox, unattended=not attended,
                                           offline_rule=sandbox.offline_rule(self.gate, call, tool))

    def _precheck(self, call: ToolCall, tool: Tool | None) -> str | None:
        if tool is None:
            names = ", ".join(sorted(t.name for t in self.catalogue.offered(read_only=self.settings.read_only)))
            return f"unknown tool {call.name!r}; the tools are: {names}"
        if call.error:
            return f"malformed call to {call.name}: {call.error}"
        reason = self.catalogue.unavailable_reason(tool)
        if reason:
            return f"{call.name} is unavailable on this machine: {reason}"
        invalid = self.catalogue.validate(tool, call.args)
        return f"invalid arguments for {call.name}: {invalid}" if invalid else None

    def _ask(self, call: ToolCall, tool: Tool, decision: Decision, step: int) -> tuple[Approval, ApprovalRequest]:
        preview = None
        if tool.preview:
            try:
                preview = str(resolve(tool.preview)(**call.args, ctx=self._ctx(None)))
            except ToolError as exc:
                preview = f"(no preview: {exc})"
        request = ApprovalRequest(call=call, effect=tool.effect, decision=decision, preview=preview)
        approval = self.memory.recall(request)
        if approval is None:
            self._emit("approval_required", step=step, call_id=call.id, tool=call.name, args=call.args,
                       digest=request.digest, effect=decision.effect,
                       rule=decision.rule, reason=decision.reason, preview=request.preview)
            approval = self.approver.approve(request)
        self._emit("approval", step=step, call_id=call.id, tool=call.name, digest=request.digest,
                   approved=approval.approved, scope=approval.scope, note=approval.note, by=approval.by)
        if approval.approved and approval.scope == "session":
            self.memory.remember(request)
        self.audit.record("approval", step=step, call_id=call.id, tool=call.name, digest=request.digest,
                          approved=approval.approved, scope=approval.scope, note=approval.note,
                          **({"approved_by": approval.by} if approval.by else {}),
                          preview_digest=None if preview is None else _sha(preview))
        return approval, request

    def _ctx(self, request: ApprovalRequest | None) -> ToolContext:
        return ToolContext(settings=self.settings, cwd=self.cwd, session=self.session, toolset=self.toolset,
                           approved_digest=request.digest if request else None,
                           approved_preview=request.preview if request else None)

    def _run(self, call: ToolCall, tool: Tool, record: CallRecord, step: int,
             request: ApprovalRequest | None) -> tuple[ToolResult, CallRecord]:
        output, error, record.duration_ms = self._invoke(call, tool, request)
        return self._finish(call, record, step, output, error=error)

    def _invoke(self, call: ToolCall, tool: Tool, request: ApprovalRequest | None) -> tuple[str, bool, float]:
        """The one place a tool really runs: (output, is_error, duration in ms). Durable runs wrap it."""
        started = time.monotonic()
        error = False
        try:
            func = tool.resolve()
            kwargs = {**call.args, **dict(tool.bound)}
            if tool.wants_ctx():
                kwargs["ctx"] = self._ctx(request)
            output = _render(func(**kwargs))
        except ToolError as exc:
            output, error = f"error: {exc}", True
        except ReignError as exc:
            output, error = f"error: {exc}", True
        except Exception as exc:  # a tool bug must not end the run: the model gets one line, the log the traceback
            self._log_crash(call, exc)
            output, error = f"error: {type(exc).__name__}: {one_line(exc)}", True
        return output, error, round((time.monotonic() - started) * 1000, 1)

    def _log_crash(self, call: ToolCall, exc: Exception) -> None:
        """An unexpected exception is a bug to debug: its traceback (redacted) goes to the log on stderr."""
        import traceback

        import structlog

        trace = redact("".join(traceback.format_exception(exc)), self._secrets)
        structlog.get_logger("reign").error("tool_crashed", tool=call.name, call_id=call.id, session=self.session,
                                            error=f"{type(exc).__name__}: {one_line(redact(str(exc), self._secrets))}",
                                            traceback=trace)

    def _finish(self, call: ToolCall, record: CallRecord, step: int, output: str,
                *, error: bool) -> tuple[ToolResult, CallRecord]:
        safe = cut(redact(output, self._secrets), self.settings.output_cap, keep_whole=True)
        record.ok, record.output = not error, safe
        self.audit.record("result", step=step, call_id=call.id, tool=call.name, ok=record.ok,
                          duration_ms=record.duration_ms, output_digest=_sha(safe), output_chars=len(safe))
        self._emit("result", step=step, call_id=call.id, record=record.model_dump())
        return ToolResult(call_id=call.id, name=call.name, content=safe, is_error=error), record


    def _emit(self, kind: str, **data: Any) -> None:
        if self.on_event is not None:
            self.on_event(kind, data)


_PROCESS_KEYS = {"exit_code", "stdout", "stderr", "timed_out", "error"}


def _render(value: Any) -> str:
    """What the model reads. A process result is plain text (no escaped newlines: fewer tokens, and
    cutting and compaction work line by line); anything else is compact JSON."""
    if isinstance(value, str):
        return value
    if isinstance(value, dict) and {"exit_code", "stdout"} <= value.keys() and value.keys() <= _PROCESS_KEYS:
        return render_process(value)
    return json.dumps(value, indent=None, default=str, ensure_ascii=False)


def render_process(value: dict[str, Any]) -> str:
    parts = [f"exit_code: {value.get('exit_code')}"]
    if value.get("timed_out"):
        parts.append(f"timed_out: true ({value.get('error') or 'killed'})")
    parts.append("stdout:\n" + str(value.get("stdout") or ""))
    if value.get("stderr"):
        parts.append("stderr:\n" + str(value["stderr"]))
    return "\n".join(parts)


def parse_process(text: str) -> dict[str, Any] | None:
    """The inverse of render_process, for people and tests reading a result back."""
    if not text.startswith("exit_code: ") or "\nstdout:\n" not in text:
        return None
    head, _, rest = text.partition("\nstdout:\n")
    stdout, _, stderr = rest.partition("\nstderr:\n")
    code = head.splitlines()[0].removeprefix("exit_code: ")
    return {"exit_code": None if code == "None" else int(code), "stdout": stdout, "stderr": stderr,
            "timed_out": "\ntimed_out: true" in head}


def _sha(text: str) -> str:
    import hashlib

    return hashlib.sha256(text.encode()).hexdigest()
