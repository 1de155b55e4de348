"""Sessions: every run and chat kept in Reign's database (reign/db: an SQLite file by default, PostgreSQL
for a team), to list, show, export and resume.

Each `Journal` method is one transaction (SQLite: WAL, synchronous=FULL), so a crash or Ctrl-C never loses
what was already recorded and never leaves half a step: an assistant turn is written together with its calls
(state `pending`); a call is marked `started` before it runs and `finished` with its result after. A call
found `started` but never `finished` (the process died) gets, on resume, a synthetic error result saying
its outcome is unknown. A corrupt file, a foreign database or one from a newer Reign is refused with one
line and left as is (reign/db).
"""

from __future__ import annotations

import hashlib
import json
import os
import socket
import threading
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from pydantic import BaseModel, Field

from reign.approval import ApprovalRequest, SessionMemory
from reign.db import check_sqlite_file, check_url, location, sqlite_path
from reign.errors import ReignError
from reign.kubeconfig import current_context
from reign.redact import redact, redact_obj
from reign.types import CallRecord, Message, RunResult, ToolCall, ToolResult, Usage

if TYPE_CHECKING:
    from sqlalchemy import Connection, Table
    from sqlalchemy import RowMapping as Row

    from reign.agent import Agent
    from reign.audit import Head
    from reign.config import Settings
    from reign.db.engine import Database

INTERRUPTED = ("interrupted before its result was recorded; the outcome is unknown — "
               "check the state before retrying")
NOT_RUN = "not run: the session stopped before this call ran"
RESUME_BUDGET_CHARS = 80_000  # about 20k tokens of history sent back to the model on resume
DEFAULT_FOLLOW_UP = "Continue with the goal where you left off; check the current state first."
EXPORT_VERSION = 1  # the `reign sessions export` format
OTHER_HOST_STALE = 900.0  # seconds without a step after which a session running on another host counts as crashed


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


class PolicyRef(BaseModel):
    path: str
    sha256: str


class Scope(BaseModel):
    """What a session may touch; a resumed session keeps it, whatever the flags or environment say now."""

    provider: str = ""
    model: str = ""
    kube_context: str | None = None
    namespaces: list[str] = Field(default_factory=list)
    workspace_root: str = ""
    cwd: str = ""
    policy_files: list[PolicyRef] = Field(default_factory=list)
    read_only: bool = False


@dataclass
class SessionInfo:
    id: str
    goal: str
    started: str
    updated: str
    ended: str | None
    status: str
    error: str
    steps: int
    input_tokens: int
    output_tokens: int
    scope: Scope
    pid: int | None
    host: str | None

    def row(self) -> dict[str, Any]:
        return {"id": self.id, "goal": self.goal, "started": self.started, "ended": self.ended,
                "status": self.status, "error": self.error, "steps": self.steps,
                "input_tokens": self.input_tokens, "output_tokens": self.output_tokens}


class SessionStore:
    """Sessions in Reign's database (reign.db): an SQLite file by default, PostgreSQL for a team. Every method
    is one transaction (retried while the database is unreachable), so runs in many processes and servers
    share it safely.

    Making a store is cheap: an SQLite file is checked at once (a corrupt or foreign file is refused before
    a run starts), while the engine, which imports SQLAlchemy, opens on first use."""

    def __init__(self, where: Path | str) -> None:
        """`where`: a database URL, or the path of an SQLite file (`sessions_db`)."""
        text = str(where)
        self.url = text if "://" in text else f"sqlite:///{Path(text).expanduser()}"
        check_url(self.url)
        self.path = sqlite_path(self.url)
        self.where = location(self.url)
        if self.path is not None:
            check_sqlite_file(self.path)
        self._db: Database | None = None
        self._opening = threading.Lock()

    @classmethod
    def existing(cls, where: Path | str) -> SessionStore | None:
        """The store when there is one (read commands never create an SQLite file), else None."""
        path = sqlite_path(str(where)) if "://" in str(where) else Path(where).expanduser()
        return None if path is not None and not path.exists() else cls(where)

    @property
    def db(self) -> Database:
        """The engine, opened (and migrated) on first use."""
        if self._db is None:
            with self._opening:
                if self._db is None:
                    from reign.db.engine import shared

                    db = shared(self.url)
                    db.migrate()
                    self._db = db
        return self._db

    def close(self) -> None:
        """Nothing to release per store: the engine is shared by the process (reign.db.engine.shared)."""

    # -- sessions ---------------------------------------------------------------------------------------
    def recent(self, limit: int = 50) -> list[SessionInfo]:
        import sqlalchemy as sa

        from reign.db import tables as t

        rows = self.db.read(lambda c: c.execute(sa.select(t.sessions).order_by(
            t.sessions.c.started.desc(), t.sessions.c.id).limit(limit)).mappings().all())
        return [_info(r) for r in rows]

    def find(self, ref: str) -> SessionInfo:
        """A session by id or unique id prefix."""
        import sqlalchemy as sa

        from reign.db import tables as t


        def work(c: Connection) -> list[Row]:
            exact = c.execute(sa.select(t.sessions).where(t.sessions.c.id == ref)).mappings().all()
            return list(exact) or list(c.execute(sa.select(t.sessions).where(
                t.sessions.c.id.startswith(ref, autoescape=True)).limit(2)).mappings().all())
        rows = self.db.read(work)
        if not rows:
            raise ReignError(f"no session {ref!r} in {self.where} (`reign sessions` lists them)")
        if len(rows) > 1:
            raise ReignError(f"session prefix {ref!r} is ambiguous; give more characters")
        return _info(rows[0])

    def claim(self, session: str) -> None:
        """Take a session over for a resumed run: refuse when a live process still runs it, and close every
        call a crash left open (started -> outcome unknown, pending -> not run)."""
        import sqlalchemy as sa

        from reign.db import tables as t

        s, calls = t.sessions, t.calls

        def work(c: Connection) -> None:
            row = c.execute(sa.select(s.c.status, s.c.pid, s.c.host, s.c.updated).where(s.c.id == session)).first()
            if row is None:
                raise ReignError(f"no session {session!r} in {self.where}")
            status, pid, host, updated = row
            if status == "running" and pid and pid != os.getpid() and host == socket.gethostname() \
                    and _alive(int(pid)):
                raise ReignError(f"session {session} is in use by process {pid}; wait for it to finish")
            if status == "running" and host and host != socket.gethostname() and _age(updated) < OTHER_HOST_STALE:
                # a shared database: that process cannot be checked from here, so a recent one is taken as live
                raise ReignError(f"session {session} is running on {host} (process {pid}, last step "
                                 f"{int(_age(updated))} s ago); resume it there, or after {int(OTHER_HOST_STALE)} s "
                                 "without a step it counts as crashed")
            now = _now()
            c.execute(sa.update(calls).where(calls.c.session == session, calls.c.state == "started")
                      .values(state="interrupted", ok=0, output=INTERRUPTED, finished=now))
            c.execute(sa.update(calls).where(calls.c.session == session, calls.c.state == "pending")
                      .values(state="not_run", ok=0, output=NOT_RUN, finished=now))
            if status == "running":
                c.execute(sa.update(s).where(s.c.id == session).values(
                    status="crashed", error="the process ended without closing the session"))
            c.execute(sa.update(s).where(s.c.id == session).values(pid=os.getpid(), host=socket.gethostname()))
        self.db.write(work)

    def messages(self, session: str) -> list[Row]:
        """The stored messages (seq, role, body), in order."""
        import sqlalchemy as sa

        from reign.db import tables as t

        m = t.messages
        return list(self.db.read(lambda c: c.execute(sa.select(m.c.seq, m.c.role, m.c.body).where(
            m.c.session == session).order_by(m.c.seq)).mappings().all()))

    def transcript(self, session: str) -> list[Message]:
        """The conversation as the model saw it; each call paired with exactly one result."""
        calls: dict[int, list[Row]] = {}
        for row in self.calls(session):
            calls.setdefault(int(row["message"]), []).append(row)
        out: list[Message] = []
        for row in self.messages(session):
            msg = Message.model_validate_json(row["body"])
            out.append(msg)
            if msg.role == "assistant" and msg.tool_calls:
                results = [_result_of(c) for c in calls.get(int(row["seq"]), [])]
                out.append(Message(role="tool", tool_results=results))
        return out

    def calls(self, session: str) -> list[Row]:
        import sqlalchemy as sa

        from reign.db import tables as t

        calls = t.calls
        return list(self.db.read(lambda c: c.execute(sa.select(calls).where(calls.c.session == session).order_by(
            calls.c.message, calls.c.idx)).mappings().all()))

    def approvals(self, session: str) -> set[str]:
        import sqlalchemy as sa

        from reign.db import tables as t

        a = t.session_approvals
        return set(self.db.read(lambda c: c.execute(sa.select(a.c.digest).where(a.c.session == session))
                                .scalars().all()))

    def add_approval(self, session: str, digest: str) -> None:

        from reign.db import tables as t

        a = t.session_approvals
        self.db.write(lambda c: _insert_ignore(c, a, session=session, digest=digest, created=_now()))

    # -- the audit trail's head ----------------------------------------------------------------------------
    def set_audit_head(self, trail: Path, head: Head) -> None:
        """Record the last seq and hash of `trail` (called by the trail under its file lock, after each write)."""
        import sqlalchemy as sa

        from reign.db import tables as t

        h = t.audit_head
        values = {"seq": head.seq, "hash": head.hash, "mac": head.mac, "updated": _now()}

        def work(c: Connection) -> None:
            done = c.execute(sa.update(h).where(h.c.trail == self._trail_key(trail)).values(**values))
            if not done.rowcount:
                c.execute(sa.insert(h).values(trail=self._trail_key(trail), **values))
        self.db.write(work)

    def audit_head(self, trail: Path) -> Head | None:
        """The head last recorded for `trail`, or None (never written through this database)."""
        import sqlalchemy as sa

        from reign.audit import Head
        from reign.db import tables as t


        h = t.audit_head
        row = self.db.read(lambda c: c.execute(sa.select(h.c.seq, h.c.hash, h.c.mac).where(
            h.c.trail == self._trail_key(trail))).first())
        return None if row is None else Head(int(row.seq), str(row.hash), row.mac)

    def _trail_key(self, trail: Path) -> str:
        """The trail's path; in a shared database (PostgreSQL) prefixed by the host, whose disk it is on."""
        path = str(Path(trail).expanduser().resolve())
        return path if self.path is not None else f"{socket.gethostname()}:{path}"

    def journal(self, session: str) -> SessionJournal:
        return SessionJournal(self, session)

    def export(self, session: str) -> dict[str, Any]:
        from reign.redact import redact_obj

        info = self.find(session)
        calls = [{k: v for k, v in dict(row).items() if k != "session"} for row in self.calls(info.id)]
        for c in calls:
            c["args"] = json.loads(c["args"])
            c["approved"] = None if c["approved"] is None else bool(c["approved"])
            c["ok"] = None if c["ok"] is None else bool(c["ok"])
        data = {"format": "reign-session", "version": EXPORT_VERSION,
                "session": {**info.row(), "scope": info.scope.model_dump()},
                "messages": [m.model_dump() for m in self.transcript(info.id)], "calls": calls,
                "approvals_for_session": len(self.approvals(info.id))}
        redacted: dict[str, Any] = redact_obj(data)
        return redacted


def _redacted_json(message: Message) -> str:
    """The journal stores what a person may read back: secrets in any message are redacted first."""
    return Message.model_validate(redact_obj(message.model_dump(mode="json"))).model_dump_json()


@dataclass
class SessionJournal:
    """The agent's `Journal`: each method is one transaction.

    A CLI run defers its user message (`begin(defer=True)`) to the next record, the model's answer or the run's
    end: no call can run before the model answers, so the first request need not wait for the database to open
    (SQLAlchemy's import alone is ~0.1 s; opening it on a thread meanwhile delayed the request as much, the
    import holding the GIL). A process killed while that first request is out leaves no session behind
    (nothing had happened in it)."""

    store: SessionStore
    session: str
    scope: Scope | None = None  # set for a new session: its row is written with the first goal
    _message: int = 0  # seq of the assistant turn whose calls are running
    _step: int = 0
    _goal: str | None = None  # a user message not written yet

    def begin(self, goal: str, *, defer: bool = False) -> None:
        """A user message (a run's goal or a chat line): the session is now running in this process. `defer`
        writes it with the next record instead (see the class)."""
        self._goal = redact(goal)
        if not defer:
            self._write(lambda c: None)

    def _flush(self, c: Connection) -> None:
        if self._goal is None:
            return
        import sqlalchemy as sa

        from reign.db import tables as t

        s, goal, now = t.sessions, self._goal, _now()
        if self.scope is not None:
            _insert_ignore(c, s, id=self.session, goal=goal, started=now, updated=now, status="new",
                           scope=self.scope.model_dump_json())
        seq = _next_seq(c, self.session)
        c.execute(sa.insert(t.messages).values(session=self.session, seq=seq, role="user", body=_redacted_json(
            Message(role="user", text=goal)), created=now))
        c.execute(sa.update(s).where(s.c.id == self.session).values(
            status="running", error="", ended=None, updated=now, pid=os.getpid(), host=socket.gethostname(),
            goal=sa.case((s.c.goal == "", goal), else_=s.c.goal)))

    def _write(self, work: Callable[[Connection], object]) -> None:
        """`work` after any pending user message, in one transaction; on success the message is written."""
        def both(c: Connection) -> None:
            self._flush(c)
            work(c)
        self.store.db.write(both)
        self._goal = self.scope = None

    def turn(self, step: int, message: Message, usage: Usage) -> None:
        import sqlalchemy as sa

        from reign.db import tables as t

        s = t.sessions

        def work(c: Connection) -> None:
            seq = _next_seq(c, self.session)
            c.execute(sa.insert(t.messages).values(session=self.session, seq=seq, role=message.role,
                                                   body=_redacted_json(message), created=_now()))
            steps = c.execute(sa.update(s).where(s.c.id == self.session).values(
                steps=s.c.steps + 1, input_tokens=s.c.input_tokens + usage.input_tokens,
                output_tokens=s.c.output_tokens + usage.output_tokens, updated=_now()).returning(s.c.steps)).scalar()
            self._message, self._step = seq, int(steps or 0)
            for idx, call in enumerate(message.tool_calls):
                c.execute(sa.insert(t.calls).values(session=self.session, message=seq, idx=idx, step=self._step,
                                                    call_id=call.id, tool=call.name,
                                                    args=json.dumps(redact_obj(call.args)), state="pending"))
        self._write(work)

    def call_started(self, step: int, call: ToolCall) -> None:
        import sqlalchemy as sa

        from reign.db import tables as t

        calls = t.calls
        self._write(lambda c: c.execute(sa.update(calls).where(
            calls.c.session == self.session, calls.c.message == self._message, calls.c.call_id == call.id,
            calls.c.state == "pending").values(state="started", started=_now())))

    def call_finished(self, step: int, result: ToolResult, record: CallRecord) -> None:
        import sqlalchemy as sa

        from reign.db import tables as t

        calls = t.calls
        self._write(lambda c: c.execute(sa.update(calls).where(
            calls.c.session == self.session, calls.c.message == self._message, calls.c.call_id == result.call_id,
            calls.c.state == "started").values(
            state="finished", decision=record.decision, rule=record.rule, reason=record.reason,
            approved=record.approved, approved_by=record.approved_by or None, ok=int(not result.is_error),
            output=redact(result.content), duration_ms=record.duration_ms, finished=_now())))

    def end(self, result: RunResult, messages: list[Message]) -> None:
        """Close the run: calls it never reached get the loop's "not run" result; a call that was running
        when the run stopped (Ctrl-C inside a tool) gets the outcome-unknown result, here and in `messages`."""
        last = messages[-1] if messages and messages[-1].role == "tool" else None
        closing = {r.call_id: r for r in last.tool_results} if last else {}
        import sqlalchemy as sa

        from reign.db import tables as t

        calls, s = t.calls, t.sessions

        def work(c: Connection) -> None:
            now = _now()
            rows = c.execute(sa.select(calls.c.call_id, calls.c.state).where(
                calls.c.session == self.session, calls.c.message == self._message,
                calls.c.state.in_(("pending", "started")))).all()
            for call_id, state in rows:
                if state == "started":
                    output = INTERRUPTED
                    if call_id in closing:
                        closing[call_id].content, closing[call_id].is_error = INTERRUPTED, True
                else:
                    output = closing[call_id].content if call_id in closing else NOT_RUN
                c.execute(sa.update(calls).where(
                    calls.c.session == self.session, calls.c.message == self._message, calls.c.call_id == call_id,
                    calls.c.state == state).values(state="interrupted" if state == "started" else "not_run",
                                                   ok=0, output=output, finished=now))
            c.execute(sa.update(s).where(s.c.id == self.session).values(
                status=result.stop_reason, error=result.error, ended=now, updated=now, pid=None))
        self._write(work)


@dataclass
class PersistentMemory(SessionMemory):
    """"Always for this session" approvals, kept with the session so that a resumed one still has them
    (bound to the exact call hash, as before). Approvals given once are never stored."""

    store: SessionStore | None = None
    session: str = ""

    def remember(self, request: ApprovalRequest) -> None:
        super().remember(request)
        if self.store is not None:
            self.store.add_approval(self.session, request.digest)


# -- runs in a session -----------------------------------------------------------------------------------
@dataclass
class Carried:
    """What a session brings into the agent built for it (see Plan.open)."""

    memory: PersistentMemory
    messages: list[Message] = field(default_factory=list)  # on resume: the compacted history
    stored: int = 0  # how many stored messages the history was compacted from
    cwd: Path | None = None  # on resume: the folder the session worked in
    managers: set[str] = field(default_factory=set)  # on resume: managers loaded earlier (lazy tool loading)


@dataclass
class Plan:
    """What `start` decided: the settings to run with (the stored scope on resume) and the session."""

    store: SessionStore
    id: str
    settings: Settings
    policies: list[Path]  # extra policy files for wiring.Options (none on resume: they are in settings)
    resumed: SessionInfo | None = None
    journal: SessionJournal = field(init=False)

    def __post_init__(self) -> None:
        self.journal = self.store.journal(self.id)

    def open(self, *, provider: str, model: str, loaders: frozenset[str] = frozenset({"use_tools"}),
             budget_chars: int | None = None) -> Carried:
        """Open the session for one agent: a new one records its scope; a resumed one is claimed and brings
        its compacted history, its folder, the managers it had loaded (calls to a `loaders` tool) and its
        "always" approvals. reign.wiring builds these into the agent: nothing is patched in afterwards."""
        # a new session has no approvals yet: its store stays unopened until the first record (see SessionJournal)
        digests = self.store.approvals(self.id) if self.resumed is not None else set()
        carried = Carried(memory=PersistentMemory(digests=digests, store=self.store, session=self.id))
        if self.resumed is None:
            self.journal.scope = scope_of(self.settings, provider=provider, model=model, policies=self.policies)
            return carried
        self.store.claim(self.id)
        calls = self.store.calls(self.id)
        history = self.store.transcript(self.id)
        carried.messages = compact(history, budget_chars or RESUME_BUDGET_CHARS)
        carried.stored = len(history)
        carried.cwd = Path(self.resumed.scope.cwd or self.resumed.scope.workspace_root)
        carried.managers = _loaded_managers(calls, loaders)
        return carried

    def run(self, agent: Agent, goal: str) -> RunResult:
        self.journal.begin(goal, defer=True)
        return agent.run(goal)


def open_store(settings: Settings) -> SessionStore:
    return SessionStore(settings.database)


def plan(settings: Settings, opts: dict[str, Any]) -> Plan:
    """The session of a `reign run` / `reign chat` from its CLI options (`resume`, `read_only`, `policies`)."""
    return start(settings, resume=opts.get("resume"), read_only=opts.get("read_only"),
                 policies=list(opts.get("policies") or ()))


def start(settings: Settings, *, resume: str | None, read_only: bool | None, policies: list[Path],
          new_id: str | None = None) -> Plan:
    """A new session, or the stored one (`resume`) with its scope: flags that would change it are refused."""
    store = open_store(settings)
    if not resume:
        return Plan(store, new_id or uuid.uuid4().hex[:12], settings, policies)
    info = store.find(resume)
    scope = info.scope
    if read_only is not None and read_only != scope.read_only:
        raise ReignError(f"session {info.id} was started {'read-only' if scope.read_only else 'with writes'}; "
                         "a resumed session keeps its scope: drop --read-only or start a new session")
    stored = [Path(p.path) for p in scope.policy_files]
    if policies and {p.resolve() for p in policies} != {p.resolve() for p in stored}:
        raise ReignError(f"session {info.id} runs under policy files {[str(p) for p in stored] or 'none'}; "
                         "a resumed session keeps its policy: drop --policy or start a new session")
    for ref in scope.policy_files:
        if _sha_file(Path(ref.path)) != ref.sha256:
            raise ReignError(f"policy file {ref.path} changed (or is gone) since session {info.id} started; "
                             "a resumed session keeps its policy: restore it or start a new session")
    folder = Path(scope.cwd or scope.workspace_root)
    if not folder.is_dir():
        raise ReignError(f"session {info.id} worked in {folder}, which no longer exists")
    resumed = settings.model_copy(update={
        "kube_context": scope.kube_context, "kube_namespaces": list(scope.namespaces),
        "workspace_root": Path(scope.workspace_root), "read_only": scope.read_only, "policy_files": stored})
    return Plan(store, info.id, resumed, [], resumed=info)


def scope_of(settings: Settings, *, provider: str, model: str, policies: list[Path]) -> Scope:
    files = [*settings.policy_files, *policies]
    return Scope(provider=provider, model=model, kube_context=settings.kube_context or current_context() or None,
                 namespaces=list(settings.kube_namespaces), workspace_root=str(settings.workspace_root),
                 cwd=str(Path.cwd()), read_only=settings.read_only,
                 policy_files=[PolicyRef(path=str(p.resolve()), sha256=_sha_file(p)) for p in files])


def compact(messages: list[Message], budget_chars: int = RESUME_BUDGET_CHARS) -> list[Message]:
    """Keep the first goal, a line saying what was left out, and the most recent turns that fit the budget.
    Cuts only between whole turns, so a tool call always keeps its result."""
    size = [len(m.model_dump_json()) for m in messages]
    if sum(size) <= budget_chars or len(messages) <= 2:
        return list(messages)
    units: list[tuple[int, int]] = []  # [start, end) of a user message, or of an assistant turn + results
    i = 1
    while i < len(messages):
        end = i + 2 if messages[i].role == "assistant" and i + 1 < len(messages) and \
            messages[i + 1].role == "tool" else i + 1
        units.append((i, end))
        i = end
    kept = size[0]
    first_kept = len(messages)
    for start, end in reversed(units):
        cost = sum(size[start:end])
        if first_kept < len(messages) and kept + cost > budget_chars:
            break
        kept += cost
        first_kept = start
    elided = messages[1:first_kept]
    if not elided:
        return list(messages)
    tools: dict[str, int] = {}
    for m in elided:
        for c in m.tool_calls:
            tools[c.name] = tools.get(c.name, 0) + 1
    counts = ", ".join(f"{name} x{n}" for name, n in sorted(tools.items())) or "none"
    note = Message(role="user", text=(
        f"[reign: this session was resumed; {len(elided)} earlier messages were left out to save context "
        f"(tool calls: {counts}). Check the current state rather than assuming what they did.]"))
    return [messages[0], note, *messages[first_kept:]]


# -- showing ---------------------------------------------------------------------------------------------
def list_text(infos: list[SessionInfo]) -> str:
    if not infos:
        return "no sessions yet"
    lines = [f"{'id':<12}  {'started':<16}  {'status':<12}  {'steps':>5}  {'tokens':>8}  goal"]
    for s in infos:
        goal = " ".join(s.goal.split())
        lines.append(f"{s.id:<12}  {s.started[:16].replace('T', ' '):<16}  {s.status:<12}  {s.steps:>5}  "
                     f"{s.input_tokens + s.output_tokens:>8}  {goal[:60] + ('...' if len(goal) > 60 else '')}")
    return "\n".join(lines)


def transcript_text(store: SessionStore, ref: str, *, max_lines: int = 20) -> str:
    from reign.redact import redact

    info = store.find(ref)
    sc = info.scope
    head = [f"session {info.id} · {info.status} · {info.steps} steps · {info.input_tokens} in / "
            f"{info.output_tokens} out tokens" + (f" · {info.error}" if info.error else ""),
            f"started {info.started}" + (f", ended {info.ended}" if info.ended else ""),
            f"scope: {sc.provider}/{sc.model or 'default'}, workspace {sc.workspace_root}"
            + (f", kube context {sc.kube_context}" if sc.kube_context else "")
            + (f", namespaces {', '.join(sc.namespaces)}" if sc.namespaces else "")
            + (", read-only" if sc.read_only else "")
            + (f", policies {', '.join(p.path for p in sc.policy_files)}" if sc.policy_files else ""), ""]
    calls = {(int(r["message"]), int(r["idx"])): r for r in store.calls(info.id)}
    rows = store.messages(info.id)
    body: list[str] = []
    for row in rows:
        msg = Message.model_validate_json(row["body"])
        if msg.text:
            body.append(f"[{msg.role}] {msg.text}")
        for idx, call in enumerate(msg.tool_calls):
            c = calls.get((int(row["seq"]), idx))
            body.append(f"  -> {call.name} {json.dumps(call.args, ensure_ascii=False)}")
            if c is None:
                continue
            state = {"finished": "ok" if c["ok"] else "error", "interrupted": "outcome unknown",
                     "not_run": "not run"}.get(c["state"], c["state"])
            by = f" by {c['approved_by']}" if c["approved_by"] else ""  # the column is ensured on open
            verdict = f"{c['decision']} ({c['rule']}){' approved' + by if c['approved'] else ''} · " \
                if c["decision"] else ""
            body.append(f"     {verdict}{state}")
            lines = str(c["output"] or _result_of(c).content).splitlines()
            cut = len(lines) - max_lines
            body += [f"     | {line}" for line in lines[:max_lines]]
            if cut > 0:
                body.append(f"     | ... {cut} more lines (`reign sessions export` has all)")
    return redact("\n".join(head + body))


# -- helpers ---------------------------------------------------------------------------------------------
def _info(row: Row) -> SessionInfo:
    return SessionInfo(id=row["id"], goal=row["goal"], started=row["started"], updated=row["updated"],
                       ended=row["ended"], status=row["status"], error=row["error"], steps=row["steps"],
                       input_tokens=row["input_tokens"], output_tokens=row["output_tokens"],
                       scope=Scope.model_validate_json(row["scope"]), pid=row["pid"], host=row["host"])


def _result_of(row: Row) -> ToolResult:
    state = row["state"]
    if state == "started":
        content = INTERRUPTED
    elif state == "pending":
        content = NOT_RUN
    else:
        content = str(row["output"] or "")
    return ToolResult(call_id=row["call_id"], name=row["tool"], content=content,
                      is_error=not bool(row["ok"]) if state == "finished" else True)


def _next_seq(c: Connection, session: str) -> int:
    import sqlalchemy as sa

    from reign.db import tables as t

    m = t.messages
    return int(c.execute(sa.select(sa.func.coalesce(sa.func.max(m.c.seq), 0) + 1).where(
        m.c.session == session)).scalar() or 1)


def _insert_ignore(c: Connection, table: Table, **values: Any) -> None:
    """Insert a row unless one with its key exists (SQLite and PostgreSQL both say ON CONFLICT DO NOTHING)."""
    from sqlalchemy.dialects import postgresql, sqlite

    dialect = postgresql if c.dialect.name == "postgresql" else sqlite
    c.execute(dialect.insert(table).values(**values).on_conflict_do_nothing())


def _age(stamp: str | None) -> float:
    """Seconds since an ISO timestamp written by _now (unreadable: very old)."""
    try:
        return (datetime.now(UTC) - datetime.fromisoformat(str(stamp).replace("Z", "+00:00"))).total_seconds()
    except ValueError:
        return float("inf")


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _sha_file(path: Path) -> str:
    try:
        return hashlib.sha256(path.read_bytes()).hexdigest()
    except OSError:
        return ""


def _loaded_managers(calls: list[Row], loaders: frozenset[str]) -> set[str]:
    """Managers the model loaded (a successful call to a `loading: loader` tool) earlier in the session."""
    loaded: set[str] = set()
    for row in calls:
        if row["tool"] in loaders and row["ok"]:
            wanted = json.loads(row["args"]).get("managers") or []
            loaded.update(m for m in wanted if isinstance(m, str))
    return loaded
