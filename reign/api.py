"""The Python API: the seam the CLI, the MCP server and the HTTP server share.

    from reign import Reign
    result = Reign(cassette="examples/machine-report/cassette.yaml").run("Report on this machine")

A run goes through the one wiring function (`reign.wiring.build_agent`), so it is gated, audited and
kept as a session exactly like `reign run`. Events (step, call, decision, approval_required, approval,
result, final) reach subscribers as they happen, or can be iterated with `Reign.stream`.
An `ask` goes to the approver hook; with none, asks are refused (nothing is approved unattended).
"""

from __future__ import annotations

import asyncio
import queue
import threading
from collections.abc import AsyncIterator, Callable, Iterator, Sequence
from contextlib import AbstractContextManager, nullcontext
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, Field

from reign.approval import Approval, ApprovalRequest, Approver, NonInteractive
from reign.config import Settings
from reign.errors import ReignError
from reign.providers.base import Provider
from reign.types import RunResult

EventKind = Literal["step", "call", "decision", "approval_required", "approval", "result", "final"]
EVENT_KINDS: tuple[str, ...] = ("step", "call", "decision", "approval_required", "approval", "result", "final")


class Event(BaseModel):
    """One thing that happened in a run. `data` by kind:

    step: step, text, usage, calls [{id, name, args}] · call: step, call_id, tool, args ·
    decision: step, call_id, tool, action, rule, reason, effect, severity ·
    approval_required: step, call_id, tool, args, digest, effect, rule, reason, preview ·
    approval: step, call_id, tool, digest, approved, scope, note, by ·
    result: step, call_id, record (the CallRecord) · final: stop_reason, final, error, steps, session
    """

    kind: EventKind
    session: str
    seq: int
    data: dict[str, Any] = Field(default_factory=dict)


ApproverHook = Approver | Callable[[ApprovalRequest], "bool | Approval"]


@dataclass
class _HookApprover:
    """A plain function as an approver: True/False, or an Approval for a note or a name."""

    hook: Callable[[ApprovalRequest], bool | Approval]

    def approve(self, request: ApprovalRequest) -> Approval:
        answer = self.hook(request)
        if isinstance(answer, Approval):
            return answer
        return Approval(True, "once", "approved by the approver hook") if answer is True else \
            Approval(False, "refused", "refused by the approver hook")


def as_approver(hook: ApproverHook | None) -> Approver:
    if hook is None:
        return NonInteractive()
    if hasattr(hook, "approve"):
        return hook
    if callable(hook):
        return _HookApprover(hook)
    raise ReignError("approver must have approve(request) or be a function of the request")


@dataclass
class Reign:
    """Runs goals with the configured provider (or a cassette, or a Provider object) behind the gate."""

    settings: Settings | None = None
    provider: Provider | None = None
    cassette: str | Path | None = None
    approver: ApproverHook | None = None
    policy_files: Sequence[Path] = ()
    sessions: bool = True  # keep each run as a session (`reign sessions` lists it)
    audit: bool = True
    _subscribers: list[Callable[[Event], None]] = field(default_factory=list)

    def subscribe(self, callback: Callable[[Event], None]) -> Callable[[], None]:
        """Call `callback` with every event of every run; returns a function that unsubscribes."""
        self._subscribers.append(callback)
        return lambda: self._subscribers.remove(callback)

    def run(self, goal: str, *, resume: str | None = None) -> RunResult:
        """Work on `goal` (or continue session `resume`) until the loop stops; the RunResult says why."""
        from reign import sessions
        from reign.wiring import Options, build_agent

        settings = self.settings or Settings()
        plan = sessions.start(settings, resume=resume, read_only=None, policies=[Path(p) for p in self.policy_files]) \
            if self.sessions else None
        if plan is not None:
            settings = plan.settings
        with self._provider(settings) as provider:
            opts = Options(policy_files=[Path(p) for p in self.policy_files], plan=plan,
                           approver=as_approver(self.approver), audit=self.audit)
            agent = build_agent(settings, provider, opts)
            counter = iter(range(1, 1 << 62))
            session = agent.executor.session

            def emit(kind: str, data: dict[str, Any]) -> None:
                event = Event(kind=kind, session=session, seq=next(counter), data=data)  # type: ignore[arg-type]
                for subscriber in list(self._subscribers):
                    subscriber(event)

            agent.on_event = agent.executor.on_event = emit
            return plan.run(agent, goal) if plan is not None else agent.run(goal)

    async def arun(self, goal: str, *, resume: str | None = None) -> RunResult:
        """`run` without blocking the event loop (the loop itself runs in a worker thread)."""
        return await asyncio.to_thread(self.run, goal, resume=resume)

    def stream(self, goal: str, *, resume: str | None = None) -> RunStream:
        """Iterate the run's events as they happen; `.result` holds the RunResult once iteration ends."""
        return RunStream(self, goal, resume)

    async def astream(self, goal: str, *, resume: str | None = None) -> AsyncIterator[Event]:
        """The events of a run, for `async for`."""
        stream = self.stream(goal, resume=resume)
        iterator = iter(stream)
        while True:
            event = await asyncio.to_thread(next, iterator, None)
            if event is None:
                return
            yield event

    def _provider(self, settings: Settings) -> AbstractContextManager[Provider]:
        if self.provider is not None:
            return nullcontext(self.provider)
        return _replaying(settings, Path(self.cassette)) if self.cassette else _live(settings)


class RunStream:
    """A run in a worker thread whose events are handed over through a queue."""

    def __init__(self, reign: Reign, goal: str, resume: str | None) -> None:
        self.reign, self.goal, self.resume = reign, goal, resume
        self.result: RunResult | None = None
        self.error: BaseException | None = None

    def __iter__(self) -> Iterator[Event]:
        events: queue.Queue[Event | None] = queue.Queue()
        unsubscribe = self.reign.subscribe(events.put)

        def work() -> None:
            try:
                self.result = self.reign.run(self.goal, resume=self.resume)
            except BaseException as exc:  # handed to the iterating thread below
                self.error = exc
            finally:
                events.put(None)

        thread = threading.Thread(target=work, name="reign-run", daemon=True)
        thread.start()
        try:
            while (event := events.get()) is not None:
                yield event
        finally:
            unsubscribe()
            thread.join()
        if self.error is not None:
            raise self.error


class _live(AbstractContextManager[Provider]):
    def __init__(self, settings: Settings) -> None:
        from reign.providers import make_provider

        self.provider = make_provider(settings)

    def __enter__(self) -> Provider:
        return self.provider

    def __exit__(self, *exc: object) -> None:
        return None


class _replaying(AbstractContextManager[Provider]):
    """Replays a vcrpy cassette (as `--cassette`): one run at a time per process, since vcrpy patches globally."""

    _lock = threading.Lock()

    def __init__(self, settings: Settings, path: Path) -> None:
        self.settings, self.path = settings, path
        self._ctx: AbstractContextManager[None] | None = None

    def __enter__(self) -> Provider:
        from reign.cassettes import cassette
        from reign.providers import make_provider

        if not self.path.is_file():
            raise ReignError(f"cassette not found: {self.path}")
        self._lock.acquire()
        try:
            self._ctx = cassette(self.path, provider=self.settings.provider)
            self._ctx.__enter__()
            return make_provider(self.settings, replaying=True)
        except BaseException:
            self._lock.release()
            raise

    def __exit__(self, *exc: Any) -> None:
        try:
            if self._ctx is not None:
                self._ctx.__exit__(*exc)
        finally:
            self._lock.release()
