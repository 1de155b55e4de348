"""Append-only, hash-chained JSONL audit trail.

One JSON object per line. Every record carries

    seq      position in the file, 1 for the first record, +1 for each next one (one chain per file,
             shared by every session and process writing to it)
    ts       UTC time, ISO 8601 with microseconds and a ``Z``
    session  the session that wrote it
    kind     "session_start", "decision", "approval", "result", "session_end" (free-form for callers)
    ...      the caller's fields, redacted with `reign.redact.redact_obj` and normalised to plain JSON
    prev     the previous record's hash ("0" * 64 for the first record of the file)
    hash     sha256 (hex) of the canonical JSON of the record without "hash" and "mac": keys sorted,
             separators ``,`` and ``:``, ASCII only (``json.dumps(r, sort_keys=True, separators=(",", ":"))``)
    mac      only when the user set an `audit_key`: HMAC-SHA256 of "hash" under that key, so that a chain
             rewritten from the start (every hash recomputed) fails verify without the key

A record is written with a single ``write`` and ``fsync``-ed before `AuditTrail.record` returns, so a call
is on disk before the action it describes runs. Writers in several processes serialise on an exclusive
``flock`` of the file, held only for one append: under the lock the writer re-reads the last record of the
file to take its seq and hash, so the chain stays linear however many writers there are.

Crashes. A crash in the middle of a write leaves a torn last line (no final newline, not valid JSON). The
file is never rewritten: the torn bytes are kept, the next writer ends them with a newline and chains its
record to the last *complete* record (so it reuses the torn record's seq). `verify` reports a torn line as a
warning, not as tampering, and stays ok as long as the chain across it is intact. A torn line is
indistinguishable from the last record being damaged on purpose: only the chain through later records
protects a record, so the last record of a file (and a cut at the end of the file) can only be detected by
comparing with a hash kept elsewhere: the chain head (last seq and hash, and its MAC) is written to the
sessions database under the same lock as the record (`head`), `verify` checks the file against it, and
`reign audit verify` prints it so it can be anchored further away still (`--expect SEQ:HASH`).

What verify proves, and what it cannot: see docs/AUDIT.md.
"""

from __future__ import annotations

import fcntl
import hashlib
import hmac
import json
import os
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from reign.redact import redact_obj

if TYPE_CHECKING:
    from reign.config import Settings

__all__ = ["GENESIS", "AuditTrail", "Head", "VerifyReport", "default_path", "digest", "mac_of", "open_trail", "read",
           "verify"]

GENESIS = "0" * 64
_RESERVED = frozenset({"seq", "ts", "session", "kind", "prev", "hash"})
_REQUIRED = ("seq", "ts", "session", "kind", "prev", "hash")
_TAIL_CHUNK = 16 * 1024


def digest(text: str) -> str:
    """sha256 hex of `text` (UTF-8), e.g. for output digests."""
    return hashlib.sha256(text.encode("utf-8", "surrogatepass")).hexdigest()


def default_path(audit_dir: Path) -> Path:
    """The trail file inside `audit_dir`: a single ``audit.jsonl``."""
    return audit_dir / "audit.jsonl"


@dataclass(frozen=True)
class Head:
    """The chain head as last written: seq and hash of the last record (and its MAC, with a key)."""

    seq: int
    hash: str
    mac: str | None = None


HeadWriter = Callable[[Path, Head], None]


def mac_of(key: bytes, record_hash: str) -> str:
    """HMAC-SHA256 (hex) of a record's hash under the user's audit key."""
    return hmac.new(key, record_hash.encode("ascii"), hashlib.sha256).hexdigest()


def _canonical(record: dict[str, Any]) -> bytes:
    body = {k: v for k, v in record.items() if k not in ("hash", "mac")}
    return json.dumps(body, sort_keys=True, separators=(",", ":"), ensure_ascii=True).encode("ascii")


def _hash(record: dict[str, Any]) -> str:
    return hashlib.sha256(_canonical(record)).hexdigest()


def _json_default(obj: Any) -> Any:
    dump = getattr(obj, "model_dump", None)
    if callable(dump):
        return dump(mode="json")
    if isinstance(obj, datetime):
        return obj.isoformat()
    if isinstance(obj, bytes):
        return obj.decode("utf-8", "replace")
    if isinstance(obj, set | frozenset | tuple):
        return list(obj)
    return str(obj)


def _plain(fields: dict[str, Any]) -> dict[str, Any]:
    """Fields as plain JSON data (models dumped, paths and dates as strings), then redacted."""
    data: dict[str, Any] = json.loads(json.dumps(fields, default=_json_default))
    redacted: dict[str, Any] = redact_obj(data)
    return redacted


def _parse(line: bytes) -> dict[str, Any] | None:
    """A line as a record dict, or None when it is not valid JSON object text."""
    try:
        obj = json.loads(line)
    except ValueError:
        return None
    return obj if isinstance(obj, dict) else None


def _last_record(fd: int) -> tuple[dict[str, Any] | None, bool]:
    """The last record of the file that parses and has a hash, and whether the file lacks a final newline.

    Reads backwards from the end in chunks; lines that do not parse (torn writes) are skipped.
    """
    size = os.fstat(fd).st_size
    if size == 0:
        return None, False
    needs_newline = os.pread(fd, 1, size - 1) != b"\n"
    end = size
    carry = b""
    while end > 0:
        start = max(0, end - _TAIL_CHUNK)
        chunk = os.pread(fd, end - start, start) + carry
        lines = chunk.split(b"\n")
        # the first piece may be cut by the chunk boundary unless we reached the start of the file
        carry = lines.pop(0) if start > 0 else b""
        for line in reversed(lines):
            if line.strip():
                rec = _parse(line)
                if rec is not None and isinstance(rec.get("hash"), str) and isinstance(rec.get("seq"), int):
                    return rec, needs_newline
        end = start
    return None, needs_newline


def _write_all(fd: int, data: bytes) -> None:
    view = memoryview(data)
    while view:
        n = os.write(fd, view)
        view = view[n:]


class AuditTrail:
    """Appends records to one JSONL file; safe to use from several threads and processes at once."""

    def __init__(self, path: Path, session: str, *, key: bytes | None = None,
                 head: HeadWriter | None = None) -> None:
        self.path = Path(path)
        self.session = session
        self.key = key
        self.head = head  # called under the file lock after each append: the head kept elsewhere
        self.path.parent.mkdir(parents=True, exist_ok=True)
        # what the file holds now (informational: every append re-reads the tail under the lock)
        self.last_seq = 0
        self.last_hash = GENESIS
        self.torn_tail = False
        if self.path.exists():
            fd = os.open(self.path, os.O_RDONLY)
            try:
                fcntl.flock(fd, fcntl.LOCK_SH)
                last, self.torn_tail = _last_record(fd)
            finally:
                os.close(fd)  # closing releases the lock
            if last is not None:
                self.last_seq, self.last_hash = int(last["seq"]), str(last["hash"])

    def record(self, kind: str, **fields: Any) -> dict[str, Any]:
        """Append one record, durable (fsync) before returning it. Fields are redacted first."""
        clash = _RESERVED & fields.keys()
        if clash:
            raise ValueError(f"reserved audit field(s): {', '.join(sorted(clash))}")
        body = _plain(fields)
        created = not self.path.exists()
        fd = os.open(self.path, os.O_RDWR | os.O_APPEND | os.O_CREAT, 0o600)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX)
            last, needs_newline = _last_record(fd)
            seq = int(last["seq"]) + 1 if last is not None else 1
            prev = str(last["hash"]) if last is not None else GENESIS
            rec: dict[str, Any] = {
                "seq": seq,
                "ts": datetime.now(UTC).isoformat(timespec="microseconds").replace("+00:00", "Z"),
                "session": self.session,
                "kind": kind,
                **body,
                "prev": prev,
            }
            rec["hash"] = _hash(rec)
            if self.key is not None:
                rec["mac"] = mac_of(self.key, rec["hash"])
            line = json.dumps(rec, separators=(",", ":"), ensure_ascii=True).encode("ascii") + b"\n"
            _write_all(fd, (b"\n" if needs_newline else b"") + line)
            os.fsync(fd)
            if self.head is not None:  # still under the lock, so heads are written in chain order
                self.head(self.path, Head(seq, rec["hash"], rec.get("mac")))
        finally:
            os.close(fd)
        if created:
            _fsync_dir(self.path.parent)
        self.last_seq, self.last_hash, self.torn_tail = seq, rec["hash"], False
        return rec


def _fsync_dir(directory: Path) -> None:
    try:
        dfd = os.open(directory, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(dfd)
    except OSError:
        pass
    finally:
        os.close(dfd)


@dataclass
class VerifyReport:
    """The outcome of `verify`. `problems` (tampering, damage) make it not ok; `warnings` (torn writes
    from a crash) do not. Line numbers are 1-based."""

    ok: bool
    records: int
    problems: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    torn_lines: list[int] = field(default_factory=list)  # lines left by interrupted writes
    last_hash: str = GENESIS  # keep it elsewhere to detect a later cut at the end of the file
    last_seq: int = 0
    last_mac: str | None = None
    checked: list[str] = field(default_factory=list)  # what was compared beyond the chain (head, anchor, MACs)


def verify(path: Path, *, key: bytes | None = None, head: Head | None = None,
           expect: Head | None = None) -> VerifyReport:
    """Check every record's hash and the chain (prev and seq) from the first line to the last; with `key`,
    every record's MAC; with `head` (kept in the sessions database) or `expect` (an anchor kept anywhere
    else), that the file still holds that record, unchanged: a cut tail or a rewritten chain fails."""
    path = Path(path)
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        return VerifyReport(ok=False, records=0, problems=[f"{path}: no such file"])
    problems: list[str] = []
    warnings: list[str] = []
    lines = data.split(b"\n")
    torn_tail = lines[-1] != b""  # no final newline: the last write did not complete
    if not torn_tail:
        lines.pop()
    parsed = [_parse(raw) for raw in lines]
    last_valid = max((i for i, rec in enumerate(parsed, start=1) if rec is not None), default=0)
    count = 0
    torn: list[int] = []
    last: dict[str, Any] | None = None
    last_line = 0
    by_seq: dict[int, dict[str, Any]] = {}
    unmacked: list[int] = []
    for number, (raw, rec) in enumerate(zip(lines, parsed, strict=True), start=1):
        final = number == len(lines)
        if rec is None:
            torn.append(number)
            if number > last_valid:
                how = ", no final newline" if final and torn_tail else ""
                warnings.append(f"line {number}: torn tail ({len(raw)} bytes{how}): an interrupted write, "
                                "ignored")
            else:
                warnings.append(f"line {number}: not valid JSON ({len(raw)} bytes): a torn write from a "
                                "crash, ended by a later append; ignored")
            continue
        missing = [k for k in _REQUIRED if k not in rec]
        if missing or not isinstance(rec.get("seq"), int) or not isinstance(rec.get("hash"), str):
            bad = ", ".join(missing) or "seq/hash"
            problems.append(f"line {number}: not an audit record (missing or bad {bad})")
            continue
        count += 1
        seq = rec["seq"]
        if final and torn_tail:
            warnings.append(f"line {number}: complete record without a final newline (interrupted write)")
        by_seq[seq] = rec
        if _hash(rec) != rec["hash"]:
            problems.append(f"line {number} (seq {seq}): hash mismatch: the record was modified")
        if key is not None:
            if "mac" not in rec:
                unmacked.append(seq)
                if any("mac" in r for r in by_seq.values()):
                    problems.append(f"line {number} (seq {seq}): no MAC after records that have one: the record "
                                    "was written or rewritten without the audit key")
            elif not hmac.compare_digest(str(rec["mac"]), mac_of(key, str(rec["hash"]))):
                problems.append(f"line {number} (seq {seq}): MAC mismatch: the record or chain was rewritten, "
                                "or audit_key is not the key it was written with")
        if last is None:
            if rec["prev"] != GENESIS or seq != 1:
                problems.append(f"line {number} (seq {seq}): the chain does not start at the first record "
                                "(prev is not the genesis hash): records before it were removed")
        else:
            if rec["prev"] != last["hash"]:
                problems.append(f"line {number} (seq {seq}): prev is not the hash of line {last_line} "
                                f"(seq {last['seq']}): a record was removed, inserted or reordered")
            if seq != last["seq"] + 1:
                problems.append(f"line {number}: seq {seq} follows seq {last['seq']} (line {last_line}): "
                                "a record was removed, inserted or reordered")
        last, last_line = rec, number
    last_seq = int(last["seq"]) if last is not None else 0
    checked: list[str] = []
    if key is not None:
        first_mac = min((q for q, r in by_seq.items() if "mac" in r), default=None)
        leading = [q for q in unmacked if first_mac is None or q < first_mac]
        if last is not None and "mac" not in last:
            problems.append(f"the last record (seq {last['seq']}) carries no MAC though audit_key is set: the MACs "
                            "were stripped and the chain rewritten, or nothing was recorded since the key was set "
                            "(then the next record fixes it)")
        elif leading:
            warnings.append(f"{len(leading)} records (seq {leading[0]}-{leading[-1]}) carry no MAC: written before "
                            "audit_key was set, so only their hashes protect them")
        checked.append("MAC of every record under audit_key")
    for name, anchor in (("the head kept in the sessions database", head), ("the expected head", expect)):
        if anchor is None:
            continue
        checked.append(f"{name} (seq {anchor.seq})")
        problems += _check_anchor(name, anchor, by_seq, last_seq, key, warnings)
    return VerifyReport(ok=not problems, records=count, problems=problems, warnings=warnings,
                        torn_lines=torn, last_hash=str(last["hash"]) if last is not None else GENESIS,
                        last_seq=last_seq, last_mac=str(last["mac"]) if last and "mac" in last else None,
                        checked=checked)


def _check_anchor(name: str, anchor: Head, by_seq: dict[int, dict[str, Any]], last_seq: int, key: bytes | None,
                  warnings: list[str]) -> list[str]:
    """Problems found comparing the file with a head kept elsewhere (a later tail is only a warning)."""
    if key is not None and anchor.mac is not None and \
            not hmac.compare_digest(anchor.mac, mac_of(key, anchor.hash)):
        return [f"{name}: its MAC does not match (seq {anchor.seq}): the head itself was forged"]
    found = by_seq.get(anchor.seq)
    if found is None:
        if anchor.seq > last_seq:
            return [f"the trail ends at seq {last_seq}, but {name} is seq {anchor.seq}: the last "
                    f"{anchor.seq - last_seq} records were removed (a cut tail)"]
        return [f"record seq {anchor.seq} of {name} is not in the trail"]
    if found["hash"] != anchor.hash:
        return [f"record seq {anchor.seq} has hash {str(found['hash'])[:16]}..., but {name} says "
                f"{anchor.hash[:16]}...: the trail was rewritten from there (or replaced)"]
    if last_seq > anchor.seq:
        warnings.append(f"{last_seq - anchor.seq} records after {name} (seq {anchor.seq}): written by a "
                        "process that did not update it (another sessions database, or a crash)")
    return []


def read(path: Path, session: str | None = None) -> list[dict[str, Any]]:
    """The records of the file (lines that do not parse are skipped), optionally of one session only."""
    path = Path(path)
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        return []
    out: list[dict[str, Any]] = []
    for raw in data.split(b"\n"):
        if not raw.strip():
            continue
        rec = _parse(raw)
        if rec is not None and "seq" in rec and (session is None or rec.get("session") == session):
            out.append(rec)
    return out


class _SessionsHead:
    """Writes the head into the sessions database, opened on the first record."""

    def __init__(self, db: Path | str) -> None:
        self.db = db
        self.store: Any = None

    def __call__(self, trail: Path, head: Head) -> None:
        if self.store is None:
            from reign.sessions import SessionStore

            self.store = SessionStore(self.db)
        self.store.set_audit_head(trail, head)


def key_of(settings: Settings) -> bytes | None:
    return settings.audit_key.get_secret_value().encode() if settings.audit_key else None


def open_trail(settings: Settings, session: str, *, path: Path | None = None) -> AuditTrail:
    """The run's trail (default: in settings.audit_dir): its head kept in the sessions database, each record
    MAC'd when audit_key is set."""
    return AuditTrail(path or default_path(settings.audit_dir), session, key=key_of(settings),
                      head=_SessionsHead(settings.database))
