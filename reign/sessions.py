"""Sessions: every run and chat kept in an embedded SQLite database, to list, show, export and resume.

Each `Journal` method is one transaction (WAL, synchronous=FULL), so a crash or Ctrl-C never loses what
was already recorded and never leaves half a step: an assistant turn is written together with its calls
(state `pending`); a call is marked `started` before it runs and `finished` with its result after. A call
found `started` but never `finished` (the process died) gets, on resume, a synthetic error result saying
its outcome is unknown. The database carries its schema version (PRAGMA user_version) and an application
id; a corrupt file, a foreign database or one from a newer Reign is refused with one line and left as is.
"""

from __future__ import annotations

import hashlib
import json
import os
import socket
import sqlite3
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from pydantic import BaseModel, Field

from reign.approval import ApprovalRequest, SessionMemory
from reign.errors import ReignError
from reign.kubeconfig import current_context
from reign.redact import redact, redact_obj
from reign.types import CallRecord, Message, RunResult, ToolCall, ToolResult, Usage

if TYPE_CHECKING:
    from reign.agent import Agent
    from reign.audit import Head
    from reign.config import Settings

SCHEMA_VERSION = 1
APPLICATION_ID = 0x5245474E  # "REGN"
_MAGIC = b"SQLite format 3\x00"
INTERRUPTED = ("interrupted before its result was recorded; the outcome is unknown — "
               "check the state before retrying")
NOT_RUN = "not run: the session stopped before this call ran"
RESUME_BUDGET_CHARS = 80_000  # about 20k tokens of history sent back to the model on resume
DEFAULT_FOLLOW_UP = "Continue with the goal where you left off; check the current state first."

_SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS sessions (
  id TEXT PRIMARY KEY, goal TEXT NOT NULL, started TEXT NOT NULL, updated TEXT NOT NULL, ended TEXT,
  status TEXT NOT NULL, error TEXT NOT NULL DEFAULT '', steps INTEGER NOT NULL DEFAULT 0,
  input_tokens INTEGER NOT NULL DEFAULT 0, output_tokens INTEGER NOT NULL DEFAULT 0,
  scope TEXT NOT NULL, pid INTEGER, host TEXT);
CREATE INDEX IF NOT EXISTS sessions_started ON sessions(started);
CREATE TABLE IF NOT EXISTS messages (
  session TEXT NOT NULL REFERENCES sessions(id), seq INTEGER NOT NULL, role TEXT NOT NULL,
  body TEXT NOT NULL, created TEXT NOT NULL, PRIMARY KEY (session, seq));
CREATE TABLE IF NOT EXISTS calls (
  session TEXT NOT NULL REFERENCES sessions(id), message INTEGER NOT NULL, idx INTEGER NOT NULL,
  step INTEGER NOT NULL, call_id TEXT NOT NULL, tool TEXT NOT NULL, args TEXT NOT NULL, state TEXT NOT NULL,
  decision TEXT, rule TEXT, reason TEXT, approved INTEGER, ok INTEGER, output TEXT, duration_ms REAL,
  started TEXT, finished TEXT, PRIMARY KEY (session, message, idx));
CREATE TABLE IF NOT EXISTS approvals (
  session TEXT NOT NULL REFERENCES sessions(id), digest TEXT NOT NULL, created TEXT NOT NULL,
  PRIMARY KEY (session, digest));
"""
# The audit trail's chain head (reign/audit.py): created on first use, so version-1 databases need no migration.
_AUDIT_HEAD = """CREATE TABLE IF NOT EXISTS audit_head (
  trail TEXT PRIMARY KEY, seq INTEGER NOT NULL, hash TEXT NOT NULL, mac TEXT, updated TEXT NOT NULL)"""


# Files this process has opened through SQLite. Opening and closing such a file any other way (the header
# check) drops every POSIX lock SQLite holds on it in this process; another process may then think it is the
# last user, checkpoint and delete the WAL under live connections, and their later writes are lost. A server
# opens one store per run, many at once, so the check runs once per file and process.
_OPEN_IN_THIS_PROCESS: set[str] = set()


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
    """One SQLite file shared by every run and process (WAL + busy timeout for concurrent writers)."""

    def __init__(self, path: Path) -> None:
        self.path = Path(path).expanduser()
        key = str(self.path.resolve())
        if key not in _OPEN_IN_THIS_PROCESS:
            _check_header(self.path)
            fresh = not self.path.exists() or self.path.stat().st_size == 0
            if fresh:
                self.path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
                os.close(os.open(self.path, os.O_CREAT | os.O_WRONLY, 0o600))
        try:
            self.db = sqlite3.connect(self.path, timeout=30.0, isolation_level=None, check_same_thread=False)
            self.db.row_factory = sqlite3.Row
        except sqlite3.Error as exc:
            raise self._error(exc) from None
        try:
            self._open()
        except sqlite3.Error as exc:
            self.db.close()
            raise ReignError(f"session database {self.path} cannot be read ({exc}); it was left as it is: "
                             "move it away, or set sessions_db to another file") from None
        except ReignError:
            self.db.close()
            raise
        _OPEN_IN_THIS_PROCESS.add(key)

    @classmethod
    def existing(cls, path: Path) -> SessionStore | None:
        """The store when the file exists (read commands never create one), else None."""
        return cls(path) if Path(path).expanduser().exists() else None

    def _error(self, exc: Exception) -> ReignError:
        return ReignError(f"session database {self.path}: {exc}")

    def _open(self) -> None:
        self.db.execute("PRAGMA busy_timeout = 30000")
        self.db.execute("BEGIN")  # one snapshot: another process may be creating the schema right now
        try:
            version, app = self._version()
            tables = self.db.execute("SELECT count(*) FROM sqlite_master").fetchone()[0]
        finally:
            self.db.execute("COMMIT")
        if version > SCHEMA_VERSION:
            raise ReignError(f"session database {self.path} has schema version {version}, written by a newer "
                             f"Reign (this one knows up to {SCHEMA_VERSION}); upgrade Reign or set sessions_db "
                             "to another file. The file was not modified.")
        if (app not in (0, APPLICATION_ID)) or (version == 0 and tables):
            raise ReignError(f"session database {self.path} is an SQLite file but not a Reign session database; "
                             "it was left as it is (set sessions_db to another file)")
        self.db.execute("PRAGMA journal_mode = WAL")
        self.db.execute("PRAGMA synchronous = FULL")
        self.db.execute("PRAGMA foreign_keys = ON")
        if version < SCHEMA_VERSION:
            with self._tx():
                version, _ = self._version()  # another process may have created it meanwhile
                if version == 0:
                    for statement in filter(str.strip, _SCHEMA.split(";")):
                        self.db.execute(statement)
                    self.db.execute("INSERT OR REPLACE INTO meta VALUES ('created', ?), ('schema_version', ?)",
                                    (_now(), str(SCHEMA_VERSION)))
                    self.db.execute(f"PRAGMA application_id = {APPLICATION_ID}")
                    self.db.execute(f"PRAGMA user_version = {SCHEMA_VERSION}")
        self.db.execute("SELECT count(*) FROM sessions").fetchone()  # a damaged table shows up here
        columns = {row[1] for row in self.db.execute("PRAGMA table_info(calls)")}
        if "approved_by" not in columns:  # added within schema version 1: who approved (server runs)
            with self._tx():
                if "approved_by" not in {row[1] for row in self.db.execute("PRAGMA table_info(calls)")}:
                    self.db.execute("ALTER TABLE calls ADD COLUMN approved_by TEXT")

    def _version(self) -> tuple[int, int]:
        return (int(self.db.execute("PRAGMA user_version").fetchone()[0]),
                int(self.db.execute("PRAGMA application_id").fetchone()[0]))

    @contextmanager
    def _tx(self) -> Iterator[sqlite3.Connection]:
        """One write transaction (BEGIN IMMEDIATE: takes the write lock up front, so no upgrade deadlock)."""
        try:
            self.db.execute("BEGIN IMMEDIATE")
        except sqlite3.Error as exc:
            raise self._error(exc) from None
        try:
            yield self.db
            self.db.execute("COMMIT")
        except sqlite3.Error as exc:
            self._rollback()
            raise self._error(exc) from None
        except BaseException:
            self._rollback()
            raise

    def _rollback(self) -> None:
        if self.db.in_transaction:
            self.db.execute("ROLLBACK")

    def _read(self, sql: str, args: tuple[Any, ...] = ()) -> list[sqlite3.Row]:
        try:
            return list(self.db.execute(sql, args).fetchall())
        except sqlite3.Error as exc:
            raise self._error(exc) from None

    def close(self) -> None:
        self.db.close()

    # -- sessions ---------------------------------------------------------------------------------------
    def recent(self, limit: int = 50) -> list[SessionInfo]:
        rows = self._read("SELECT * FROM sessions ORDER BY started DESC, id LIMIT ?", (limit,))
        return [_info(r) for r in rows]

    def find(self, ref: str) -> SessionInfo:
        """A session by id or unique id prefix."""
        rows = self._read("SELECT * FROM sessions WHERE id = ?", (ref,)) or \
            self._read("SELECT * FROM sessions WHERE id LIKE ? ESCAPE '\\' LIMIT 2", (_like_prefix(ref),))
        if not rows:
            raise ReignError(f"no session {ref!r} in {self.path} (`reign sessions` lists them)")
        if len(rows) > 1:
            raise ReignError(f"session prefix {ref!r} is ambiguous; give more characters")
        return _info(rows[0])

    def claim(self, session: str) -> None:
        """Take a session over for a resumed run: refuse when a live process still runs it, and close every
        call a crash left open (started -> outcome unknown, pending -> not run)."""
        with self._tx() as db:
            row = db.execute("SELECT status, pid, host FROM sessions WHERE id = ?", (session,)).fetchone()
            if row is None:
                raise ReignError(f"no session {session!r} in {self.path}")
            status, pid, host = row
            if status == "running" and pid and pid != os.getpid() and host == socket.gethostname() \
                    and _alive(int(pid)):
                raise ReignError(f"session {session} is in use by process {pid}; wait for it to finish")
            now = _now()
            db.execute("UPDATE calls SET state = 'interrupted', ok = 0, output = ?, finished = ? "
                       "WHERE session = ? AND state = 'started'", (INTERRUPTED, now, session))
            db.execute("UPDATE calls SET state = 'not_run', ok = 0, output = ?, finished = ? "
                       "WHERE session = ? AND state = 'pending'", (NOT_RUN, now, session))
            if status == "running":
                db.execute("UPDATE sessions SET status = 'crashed', error = 'the process ended without "
                           "closing the session' WHERE id = ?", (session,))
            db.execute("UPDATE sessions SET pid = ?, host = ? WHERE id = ?",
                       (os.getpid(), socket.gethostname(), session))

    def transcript(self, session: str) -> list[Message]:
        """The conversation as the model saw it; each call paired with exactly one result."""
        calls: dict[int, list[sqlite3.Row]] = {}
        for row in self.calls(session):
            calls.setdefault(int(row["message"]), []).append(row)
        out: list[Message] = []
        for row in self._read("SELECT seq, body FROM messages WHERE session = ? ORDER BY seq", (session,)):
            msg = Message.model_validate_json(row["body"])
            out.append(msg)
            if msg.role == "assistant" and msg.tool_calls:
                results = [_result_of(c) for c in calls.get(int(row["seq"]), [])]
                out.append(Message(role="tool", tool_results=results))
        return out

    def calls(self, session: str) -> list[sqlite3.Row]:
        return self._read("SELECT * FROM calls WHERE session = ? ORDER BY message, idx", (session,))

    def approvals(self, session: str) -> set[str]:
        return {r["digest"] for r in self._read("SELECT digest FROM approvals WHERE session = ?", (session,))}

    def add_approval(self, session: str, digest: str) -> None:
        with self._tx() as db:
            db.execute("INSERT OR IGNORE INTO approvals VALUES (?, ?, ?)", (session, digest, _now()))

    # -- the audit trail's head ----------------------------------------------------------------------------
    def set_audit_head(self, trail: Path, head: Head) -> None:
        """Record the last seq and hash of `trail` (called by the trail under its file lock, after each write)."""
        with self._tx() as db:
            if not getattr(self, "_head_table", False):
                db.execute(_AUDIT_HEAD)
                self._head_table = True
            db.execute("INSERT INTO audit_head VALUES (?, ?, ?, ?, ?) ON CONFLICT(trail) DO UPDATE SET "
                       "seq = excluded.seq, hash = excluded.hash, mac = excluded.mac, updated = excluded.updated",
                       (_trail_key(trail), head.seq, head.hash, head.mac, _now()))

    def audit_head(self, trail: Path) -> Head | None:
        """The head last recorded for `trail`, or None (no table yet, or never written through this database)."""
        from reign.audit import Head

        try:
            row = self.db.execute("SELECT seq, hash, mac FROM audit_head WHERE trail = ?",
                                  (_trail_key(trail),)).fetchone()
        except sqlite3.OperationalError:
            return None
        return None if row is None else Head(int(row["seq"]), str(row["hash"]), row["mac"])

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
        data = {"format": "reign-session", "version": SCHEMA_VERSION,
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
    """The agent's `Journal`: each method is one transaction."""

    store: SessionStore
    session: str
    scope: Scope | None = None  # set for a new session: its row is written with the first goal
    _message: int = 0  # seq of the assistant turn whose calls are running
    _step: int = 0

    def begin(self, goal: str) -> None:
        """A user message (a run's goal or a chat line): the session is now running in this process."""
        goal = redact(goal)
        with self.store._tx() as db:
            if self.scope is not None:
                now = _now()
                db.execute("INSERT OR IGNORE INTO sessions (id, goal, started, updated, status, scope) "
                           "VALUES (?, ?, ?, ?, 'new', ?)", (self.session, goal, now, now,
                                                             self.scope.model_dump_json()))
                self.scope = None
            seq = _next_seq(db, self.session)
            db.execute("INSERT INTO messages VALUES (?, ?, 'user', ?, ?)",
                       (self.session, seq, _redacted_json(Message(role="user", text=goal)), _now()))
            db.execute("UPDATE sessions SET status = 'running', error = '', ended = NULL, updated = ?, pid = ?, "
                       "host = ?, goal = CASE WHEN goal = '' THEN ? ELSE goal END WHERE id = ?",
                       (_now(), os.getpid(), socket.gethostname(), goal, self.session))

    def turn(self, step: int, message: Message, usage: Usage) -> None:
        with self.store._tx() as db:
            seq = _next_seq(db, self.session)
            db.execute("INSERT INTO messages VALUES (?, ?, ?, ?, ?)",
                       (self.session, seq, message.role, _redacted_json(message), _now()))
            row = db.execute("UPDATE sessions SET steps = steps + 1, input_tokens = input_tokens + ?, "
                             "output_tokens = output_tokens + ?, updated = ? WHERE id = ? RETURNING steps",
                             (usage.input_tokens, usage.output_tokens, _now(), self.session)).fetchone()
            self._message, self._step = seq, int(row[0])
            for idx, call in enumerate(message.tool_calls):
                db.execute("INSERT INTO calls (session, message, idx, step, call_id, tool, args, state) "
                           "VALUES (?, ?, ?, ?, ?, ?, ?, 'pending')",
                           (self.session, seq, idx, self._step, call.id, call.name,
                            json.dumps(redact_obj(call.args))))

    def call_started(self, step: int, call: ToolCall) -> None:
        with self.store._tx() as db:
            db.execute("UPDATE calls SET state = 'started', started = ? WHERE session = ? AND message = ? "
                       "AND call_id = ? AND state = 'pending'", (_now(), self.session, self._message, call.id))

    def call_finished(self, step: int, result: ToolResult, record: CallRecord) -> None:
        with self.store._tx() as db:
            db.execute("UPDATE calls SET state = 'finished', decision = ?, rule = ?, reason = ?, approved = ?, "
                       "approved_by = ?, ok = ?, output = ?, duration_ms = ?, finished = ? WHERE session = ? "
                       "AND message = ? AND call_id = ? AND state = 'started'",
                       (record.decision, record.rule, record.reason, record.approved, record.approved_by or None,
                        not result.is_error,
                        redact(result.content), record.duration_ms, _now(), self.session, self._message,
                        result.call_id))

    def end(self, result: RunResult, messages: list[Message]) -> None:
        """Close the run: calls it never reached get the loop's "not run" result; a call that was running
        when the run stopped (Ctrl-C inside a tool) gets the outcome-unknown result, here and in `messages`."""
        last = messages[-1] if messages and messages[-1].role == "tool" else None
        closing = {r.call_id: r for r in last.tool_results} if last else {}
        with self.store._tx() as db:
            now = _now()
            rows = db.execute("SELECT call_id, state FROM calls WHERE session = ? AND message = ? "
                              "AND state IN ('pending', 'started')", (self.session, self._message)).fetchall()
            for call_id, state in rows:
                if state == "started":
                    output = INTERRUPTED
                    if call_id in closing:
                        closing[call_id].content, closing[call_id].is_error = INTERRUPTED, True
                else:
                    output = closing[call_id].content if call_id in closing else NOT_RUN
                db.execute("UPDATE calls SET state = ?, ok = 0, output = ?, finished = ? WHERE session = ? "
                           "AND message = ? AND call_id = ? AND state = ?",
                           ("interrupted" if state == "started" else "not_run", output, now, self.session,
                            self._message, call_id, state))
            db.execute("UPDATE sessions SET status = ?, error = ?, ended = ?, updated = ?, pid = NULL "
                       "WHERE id = ?", (result.stop_reason, result.error, now, now, self.session))


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
        carried = Carried(memory=PersistentMemory(digests=self.store.approvals(self.id), store=self.store,
                                                  session=self.id))
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
        self.journal.begin(goal)
        return agent.run(goal)


def open_store(settings: Settings) -> SessionStore:
    return SessionStore(settings.sessions_db)


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
    rows = store._read("SELECT seq, body FROM messages WHERE session = ? ORDER BY seq", (info.id,))
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
def _check_header(path: Path) -> None:
    try:
        with path.open("rb") as fh:
            head = fh.read(len(_MAGIC))
    except FileNotFoundError:
        return
    except OSError as exc:
        raise ReignError(f"session database {path}: cannot read it: {exc}") from None
    if head and head != _MAGIC:
        raise ReignError(f"session database {path} is not an SQLite database (corrupt, or another kind of "
                         "file); it was left as it is: move it away, or set sessions_db to another file")


def _info(row: sqlite3.Row) -> SessionInfo:
    return SessionInfo(id=row["id"], goal=row["goal"], started=row["started"], updated=row["updated"],
                       ended=row["ended"], status=row["status"], error=row["error"], steps=row["steps"],
                       input_tokens=row["input_tokens"], output_tokens=row["output_tokens"],
                       scope=Scope.model_validate_json(row["scope"]), pid=row["pid"], host=row["host"])


def _result_of(row: sqlite3.Row) -> ToolResult:
    state = row["state"]
    if state == "started":
        content = INTERRUPTED
    elif state == "pending":
        content = NOT_RUN
    else:
        content = str(row["output"] or "")
    return ToolResult(call_id=row["call_id"], name=row["tool"], content=content,
                      is_error=not bool(row["ok"]) if state == "finished" else True)


def _trail_key(trail: Path) -> str:
    return str(Path(trail).expanduser().resolve())


def _next_seq(db: sqlite3.Connection, session: str) -> int:
    return int(db.execute("SELECT coalesce(max(seq), 0) + 1 FROM messages WHERE session = ?",
                          (session,)).fetchone()[0])


def _like_prefix(ref: str) -> str:
    return ref.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"


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


def _loaded_managers(calls: list[sqlite3.Row], loaders: frozenset[str]) -> set[str]:
    """Managers the model loaded (a successful call to a `loading: loader` tool) earlier in the session."""
    loaded: set[str] = set()
    for row in calls:
        if row["tool"] in loaders and row["ok"]:
            wanted = json.loads(row["args"]).get("managers") or []
            loaded.update(m for m in wanted if isinstance(m, str))
    return loaded
