"""The bounded reason-act loop: ask the model, run the calls it asks for, feed the results back.

Bounded by steps, tokens and wall-clock time; always returns a RunResult saying why it stopped.
On the last allowed step the model is offered no tools, so it must answer (as HolmesGPT does).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Protocol

from reign.errors import ReignError
from reign.executor import Executor
from reign.providers.base import Provider
from reign.truncate import compact, stub
from reign.types import CallRecord, Message, RunResult, StopReason, ToolCall, ToolResult, ToolSpec, Usage


@dataclass
class Limits:
    max_steps: int = 20
    token_budget: int = 400_000
    time_limit: float = 900.0
    keep_recent: int = 3  # tool results of the last N steps stay as they came; older ones are compacted
    old_result_cap: int = 1000  # characters an older tool result keeps (head, notable lines, tail)
    stub_after: int = 10  # results older than N steps become a one-line stub, so context stays bounded


class Journal(Protocol):
    """Where a run is kept as it happens (sessions): each method is one durable, atomic write."""

    def turn(self, step: int, message: Message, usage: Usage) -> None: ...
    def call_started(self, step: int, call: ToolCall) -> None: ...
    def call_finished(self, step: int, result: ToolResult, record: CallRecord) -> None: ...
    def end(self, result: RunResult, messages: list[Message]) -> None: ...


class _Stop(Exception):
    def __init__(self, reason: StopReason, error: str = "") -> None:
        super().__init__(reason)
        self.reason, self.error = reason, error


@dataclass
class Agent:
    provider: Provider
    executor: Executor
    system: str
    tools: list[ToolSpec] | Callable[[], list[ToolSpec]]  # a callable is asked before every request
    limits: Limits = field(default_factory=Limits)
    log: Any = None
    on_text: Callable[[str], None] | None = None  # streams model text (chat)
    on_step: Callable[[int, list[ToolCall]], None] | None = None
    on_result: Callable[[CallRecord], None] | None = None  # shows each call's outcome (text mode, chat)
    messages: list[Message] = field(default_factory=list)
    journal: Journal | None = None
    on_event: Callable[[str, dict[str, Any]], None] | None = None  # step and final (reign.api); calls: executor

    def _emit(self, kind: str, **data: Any) -> None:
        if self.on_event is not None:
            self.on_event(kind, data)

    def run(self, goal: str) -> RunResult:
        result = RunResult(session=self.executor.session)
        self.messages.append(Message(role="user", text=goal))
        started = time.monotonic()
        try:
            while True:
                self._step(result, started)
        except _Stop as stop:
            result.stop_reason, result.error = stop.reason, stop.error
        except KeyboardInterrupt:
            result.stop_reason, result.error = "interrupted", "interrupted by the user"
        except ReignError as exc:
            result.stop_reason, result.error = "error", str(exc)
        self._close_dangling(result.error or result.stop_reason)
        if self.journal:
            self.journal.end(result, self.messages)
        self._emit("final", stop_reason=result.stop_reason, final=result.final, error=result.error,
                   steps=result.steps, session=result.session)
        return result

    def _step(self, result: RunResult, started: float) -> None:
        if result.steps >= self.limits.max_steps:
            raise _Stop("max_steps")
        if time.monotonic() - started >= self.limits.time_limit:
            raise _Stop("timeout")
        if result.usage.total >= self.limits.token_budget:
            raise _Stop("token_budget")
        result.steps += 1
        last = result.steps == self.limits.max_steps
        t0 = time.monotonic()
        tools = self.tools() if callable(self.tools) else self.tools
        turn = self.provider.complete(self.system, self.messages, tools,
                                      tool_choice="none" if last else "auto", on_text=self.on_text)
        model_ms = (time.monotonic() - t0) * 1000
        result.usage = result.usage + turn.usage
        self.messages.append(Message(role="assistant", text=turn.text, tool_calls=turn.tool_calls))
        if self.journal:
            self.journal.turn(result.steps, self.messages[-1], turn.usage)
        self._emit("step", step=result.steps, text=turn.text, usage=turn.usage.model_dump(),
                   calls=[c.model_dump(include={"id", "name", "args"}) for c in turn.tool_calls])
        if turn.text:
            result.final = turn.text
        if not turn.tool_calls:
            self._log(result, model_ms, [])
            raise _Stop("max_steps" if last else "completed")
        if self.on_step:
            self.on_step(result.steps, turn.tool_calls)
        self.messages.append(Message(role="tool"))
        results: list[ToolResult] = self.messages[-1].tool_results
        for call in turn.tool_calls:
            if last or time.monotonic() - started >= self.limits.time_limit:
                break  # the rest are answered by _close_dangling
            if self.journal:
                self.journal.call_started(result.steps, call)
            tool_result, record = self.executor.execute(call, result.steps)
            results.append(tool_result)
            result.tool_calls.append(record)
            if self.on_result:
                self.on_result(record)
            if self.journal:
                self.journal.call_finished(result.steps, tool_result, record)
        self._log(result, model_ms, turn.tool_calls)
        self._compact_old_results()
        if result.usage.total >= self.limits.token_budget:
            raise _Stop("token_budget")

    def _compact_old_results(self) -> None:
        """Context grows with every step: results older than `keep_recent` steps are cut down further."""
        tool_messages = [m for m in self.messages if m.role == "tool"]
        for age, msg in enumerate(reversed(tool_messages)):
            if age < self.limits.keep_recent:
                continue
            for res in msg.tool_results:
                res.content = stub(res.content) if age >= self.limits.stub_after else \
                    compact(res.content, self.limits.old_result_cap)

    def _close_dangling(self, why: str) -> None:
        """Every tool call gets exactly one result, even when the run stopped in the middle of a turn."""
        if not self.messages or self.messages[-1].role == "user":
            return
        calls = self.messages[-1].tool_calls if self.messages[-1].role == "assistant" else \
            self.messages[-2].tool_calls
        if self.messages[-1].role == "assistant":
            if not calls:
                return
            self.messages.append(Message(role="tool"))
        done = {r.call_id for r in self.messages[-1].tool_results}
        for call in calls:
            if call.id not in done:
                self.messages[-1].tool_results.append(
                    ToolResult(call_id=call.id, name=call.name, content=f"not run: {why}", is_error=True))

    def _log(self, result: RunResult, model_ms: float, calls: list[ToolCall]) -> None:
        if self.log is None:
            return
        durations = [r.duration_ms for r in result.tool_calls[-len(calls):]] if calls else []
        self.log.info("step", step=result.steps, tools=[c.name for c in calls], model_ms=round(model_ms, 1),
                      tool_ms=durations, input_tokens=result.usage.input_tokens,
                      output_tokens=result.usage.output_tokens)
