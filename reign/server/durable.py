"""Durable runs on DBOS: a run is a workflow; each model turn, tool call, session write and audit record is a
checkpointed step. A run whose process died is recovered (by the restarted server with the same worker id)
by replaying the workflow: completed steps return what they returned the first time, so no completed tool
call runs again. A tool call that was in flight when the process died is found by its attempt marker and
reaches the model as "outcome unknown" instead of running twice. An `ask` waits durably for a person's
decision (a DBOS message on a topic tied to the call's digest) until it expires, then it is refused.

Importing this module imports dbos (~0.7 s): only the server imports it.
"""

from __future__ import annotations

import contextlib
import json
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from dbos import DBOS, SetWorkflowID
from dbos._error import DBOSWorkflowCancelledError, DBOSWorkflowConflictIDError

from reign import sessions
from reign.approval import Approval, ApprovalRequest
from reign.config import Settings
from reign.errors import ReignError
from reign.executor import Executor
from reign.providers.base import Provider
from reign.server.cassette import CassetteTransport, replaying_provider
from reign.server.config import ServerConfig
from reign.server.db import Database
from reign.server.scope import scoped_settings
from reign.types import CallRecord, Message, ModelTurn, RunResult, ToolCall, ToolResult, ToolSpec, Usage

QUEUE = "reign-runs"
RECV_WAIT = 10.0  # seconds per wait for an approval message
FINAL_STATUS = {"completed": "completed", "max_steps": "completed", "token_budget": "completed",
                "timeout": "completed", "error": "failed", "interrupted": "interrupted"}


@dataclass
class World:
    """What the workflows of this process work with (set once by `launch`)."""

    db: Database
    cfg: ServerConfig
    base: Settings


_world: World | None = None


def launch(cfg: ServerConfig, db: Database, base: Settings) -> None:
    global _world
    _world = World(db, cfg, base)
    DBOS(config={"name": "reign", "system_database_url": cfg.dbos_url, "executor_id": cfg.worker_id,
                 "log_level": "WARNING", "notification_listener_polling_interval_sec": 0.1})
    DBOS.launch()
    DBOS.register_queue(QUEUE, worker_concurrency=cfg.workers, polling_interval_sec=0.1)


def shutdown() -> None:
    DBOS.destroy(workflow_completion_timeout_sec=0)


def enqueue(run_id: str) -> None:
    queue = DBOS.retrieve_queue(QUEUE)
    if queue is None:
        raise ReignError("the run queue is not registered (the server did not launch)")
    with SetWorkflowID(run_id):
        queue.enqueue(run_workflow, run_id)


def send_decision(run_id: str, digest: str, round_: int, message: dict[str, Any]) -> None:
    DBOS.send(run_id, message, topic(digest, round_))


def cancel(run_id: str) -> None:
    DBOS.cancel_workflow(run_id)


def topic(digest: str, round_: int) -> str:
    return f"approval:{digest}:{round_}"


@DBOS.workflow(name="reign_run")
def run_workflow(run_id: str) -> str:
    if _world is None:
        raise RuntimeError("reign.server.durable.launch was not called")
    return DurableRun(_world, run_id).execute()


@dataclass
class DurableRun:
    world: World
    run_id: str

    def execute(self) -> str:
        from reign.wiring import Options, build_agent

        db, cfg = self.world.db, self.world.cfg
        row = db.run(self.run_id)
        if row is None:
            return "missing"
        db.update_run(self.run_id, status="running", worker=cfg.worker_id)
        sink = EventSink(db, self.run_id)
        try:
            scope = row["scope"]  # the requester's scope as it was when the run started
            if scope is None:  # a run recorded before scopes were stored with runs
                scope = (db.user(row["requested_by"]) or {"scope": {}})["scope"]
            settings = scoped_settings(self.world.base, row, scope)
            plan = sessions.start(settings, resume=None, read_only=None, policies=[], new_id=self.run_id)
            inner, transport = replaying_provider(settings, Path(row["cassette"])) if row["cassette"] else \
                (_live_provider(settings), None)
            approver = DurableApprover(db, cfg, self.run_id, sink)
            agent = build_agent(settings, DurableProvider(inner, transport),
                                Options(plan=plan, approver=approver, cwd=Path(settings.workspace_root)))
            # The durable seams wrap what the wiring built: tool invocations, audit records and session
            # writes become checkpointed steps (the wiring itself stays free of DBOS).
            agent.executor = DurableExecutor.adopt(agent.executor, db, self.run_id)
            agent.executor.audit = DurableAudit(agent.executor.audit)
            agent.journal = DurableJournal(plan.journal)
            agent.on_event = agent.executor.on_event = sink.emit
            DBOS.run_step({"name": "session_begin"}, plan.journal.begin, row["goal"])
            try:
                result = agent.run(row["goal"])
            except (DBOSWorkflowCancelledError, DBOSWorkflowConflictIDError):
                # Cancelled (POST .../cancel; DBOS reports it either way): close the session, with no steps.
                # Another execution owning the run is the other case: that one closes it.
                if (db.run(self.run_id) or {}).get("status") == "cancelled":
                    with contextlib.suppress(Exception):
                        plan.journal.end(RunResult(stop_reason="interrupted", error="cancelled",
                                                   session=self.run_id), agent.messages)
                raise
        except ReignError as exc:
            result = RunResult(stop_reason="error", error=str(exc), session=self.run_id)
            sink.emit("final", {"stop_reason": "error", "final": "", "error": str(exc), "steps": 0,
                                "session": self.run_id})
        status = FINAL_STATUS[result.stop_reason]
        db.update_run(self.run_id, status=status, stop_reason=result.stop_reason, final=result.final,
                      error=result.error, steps=result.steps)
        sink.write("end", {"status": status})
        return status


def _live_provider(settings: Settings) -> Provider:
    from reign.providers import make_provider

    return make_provider(settings)


class EventSink:
    """Events into the database, once each (keyed), so that a replayed run does not repeat them."""

    def __init__(self, db: Database, run_id: str) -> None:
        self.db, self.run_id = db, run_id

    def emit(self, kind: str, data: dict[str, Any]) -> None:
        if kind == "approval_required":
            return  # announced by DurableApprover once the approval exists and can be decided
        self.write(kind, data)

    def write(self, kind: str, data: dict[str, Any]) -> None:
        key = kind if kind in ("final", "end") else f"{kind}:{data.get('step', '')}:{data.get('call_id', '')}"
        self.db.add_event(self.run_id, key, kind, data)
        if kind == "step":
            self.db.update_run(self.run_id, steps=int(data["step"]))


class DurableProvider:
    """Each model turn is a step. Replayed cassettes resume at the interaction the last recorded turn reached."""

    def __init__(self, inner: Provider, transport: CassetteTransport | None) -> None:
        self.inner, self.transport = inner, transport
        self.name, self.model = inner.name, inner.model
        self.position = 0

    def complete(self, system: str, messages: list[Message], tools: list[ToolSpec], *,
                 tool_choice: str = "auto", on_text: Any = None) -> ModelTurn:
        def turn() -> tuple[ModelTurn, int]:
            if self.transport is not None:
                self.transport.position = self.position
            answer = self.inner.complete(system, messages, tools, tool_choice=tool_choice)
            return answer, self.transport.position if self.transport is not None else 0

        answer, self.position = DBOS.run_step({"name": "model_turn"}, turn)
        return answer


class DurableExecutor(Executor):
    """The executor whose tool invocations are steps, guarded by an attempt marker written before the tool runs."""

    db: Database
    run_id: str

    @classmethod
    def adopt(cls, executor: Executor, db: Database, run_id: str) -> DurableExecutor:
        durable = cls.__new__(cls)
        durable.__dict__.update(executor.__dict__)
        durable.db, durable.run_id = db, run_id
        return durable

    def _invoke(self, call: ToolCall, tool: Any, request: ApprovalRequest | None) -> tuple[str, bool, float]:
        result: tuple[str, bool, float] = DBOS.run_step({"name": f"tool:{call.name}"}, self._attempt, call, tool,
                                                        request)
        return result

    def _attempt(self, call: ToolCall, tool: Any, request: ApprovalRequest | None) -> tuple[str, bool, float]:
        if not self.db.claim_attempt(self.run_id, f"{call.id}:{call.digest()[:16]}"):
            return sessions.INTERRUPTED, True, 0.0  # started before the process died: never run it twice
        return super()._invoke(call, tool, request)


class DurableAudit:
    """Each audit record is a step, so a replayed run does not write it twice."""

    def __init__(self, inner: Any) -> None:
        self.inner = inner

    def record(self, kind: str, **fields: Any) -> dict[str, Any]:
        written: dict[str, Any] = DBOS.run_step({"name": "audit"}, self.inner.record, kind, **fields)
        return written


class DurableJournal:
    """The session journal, each write a step (its bookkeeping comes back from the step on replay)."""

    def __init__(self, inner: sessions.SessionJournal) -> None:
        self.inner = inner

    def turn(self, step: int, message: Message, usage: Usage) -> None:
        def work() -> tuple[int, int]:
            self.inner.turn(step, message, usage)
            return self.inner._message, self.inner._step

        self.inner._message, self.inner._step = DBOS.run_step({"name": "session_turn"}, work)

    def call_started(self, step: int, call: ToolCall) -> None:
        DBOS.run_step({"name": "session_call_started"}, self.inner.call_started, step, call)

    def call_finished(self, step: int, result: ToolResult, record: CallRecord) -> None:
        DBOS.run_step({"name": "session_call_finished"}, self.inner.call_finished, step, result, record)

    def end(self, result: RunResult, messages: list[Message]) -> None:
        DBOS.run_step({"name": "session_end"}, self.inner.end, result, messages)


@dataclass
class DurableApprover:
    """A server run never approves by itself: an `ask` waits for a person, durably, until it expires."""

    db: Database
    cfg: ServerConfig
    run_id: str
    sink: EventSink

    def approve(self, request: ApprovalRequest) -> Approval:
        effect = str(request.decision.effect)
        call = request.call
        round_, expires = DBOS.run_step(
            {"name": "approval_open"}, self.db.open_approval, self.run_id, request.digest, self.cfg.approval_ttl,
            call_id=call.id, tool=call.name, args=json.dumps(call.args, ensure_ascii=False), effect=effect,
            rule=request.decision.rule, reason=request.decision.reason, preview=request.preview)
        self.db.update_run(self.run_id, status="waiting_approval")
        pending = {"call_id": call.id, "tool": call.name, "args": call.args, "digest": request.digest,
                   "effect": effect, "rule": request.decision.rule, "reason": request.decision.reason,
                   "preview": request.preview, "expires_at": expires, "round": round_}
        self.sink.write("approval_required", pending)
        if self.cfg.webhook_url:
            DBOS.run_step({"name": "approval_notice"}, _notify, self.cfg, self.run_id, pending)
        message = None
        while message is None:  # in short waits, so a lost wake-up (database restarted) costs seconds, not the TTL
            now = DBOS.run_step({"name": "clock"}, time.time)  # recorded: a replay takes the same turns
            if now >= expires:
                break
            message = DBOS.recv(topic(request.digest, round_), timeout_seconds=min(expires - now, RECV_WAIT))
        if message is None:  # expired, unless a decision was stored and its message lost
            row = DBOS.run_step({"name": "approval_expired"}, self.db.settle_expired, self.run_id, request.digest)
            if row.get("status") in ("approved", "refused") and row.get("round") == round_:
                message = {"approve": row["status"] == "approved", "by": row.get("decided_by") or "",
                           "note": row.get("note") or ""}
        self.db.update_run(self.run_id, status="running")
        if message is None:
            return Approval(False, "refused", f"no decision within {self.cfg.approval_ttl:g} s: the approval "
                                              "expired (ask again if it is still needed)")
        approved = bool(message.get("approve"))
        note = f"{'approved' if approved else 'refused'} by {message.get('by')}" + \
            (f": {message['note']}" if message.get("note") else "")
        return Approval(approved, "once" if approved else "refused", note, by=str(message.get("by") or ""))


def _notify(cfg: ServerConfig, run_id: str, pending: dict[str, Any]) -> bool:
    from reign.server.webhook import post_pending

    return post_pending(cfg, run_id, pending)
