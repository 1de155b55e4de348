"""Audit trail: the chain verifies, tampering of any kind is named by line, crashes are told apart."""

from __future__ import annotations

import itertools
import json
import multiprocessing
from pathlib import Path
from typing import Any

import pytest

from reign.audit import GENESIS, AuditTrail, default_path, digest, read, verify

KINDS = ["session_start", "decision", "approval", "result", "session_end"]
N = 8  # records in the standard trail


def _trail(path: Path, session: str = "s1", n: int = N) -> list[dict[str, Any]]:
    trail = AuditTrail(path, session)
    return [trail.record(KINDS[i % len(KINDS)], step=i, tool="docker_run", args={"image": "busybox", "n": i})
            for i in range(n)]


def _lines(path: Path) -> list[str]:
    return path.read_text().splitlines()


def _write(path: Path, lines: list[str]) -> None:
    path.write_text("".join(line + "\n" for line in lines))


def test_records_are_chained_and_verify(tmp_path: Path) -> None:
    path = tmp_path / "nested" / "dir" / "audit.jsonl"  # directories are created
    records = _trail(path)
    assert [r["seq"] for r in records] == list(range(1, N + 1))
    assert records[0]["prev"] == GENESIS
    for before, after in itertools.pairwise(records):
        assert after["prev"] == before["hash"]
    for r in records:
        assert r["session"] == "s1"
        assert r["ts"].endswith("Z")
        assert len(r["hash"]) == 64
    report = verify(path)
    assert report.ok, report.problems
    assert report.records == N
    assert report.problems == [] and report.warnings == []
    assert report.last_hash == records[-1]["hash"]
    assert read(path) == records  # what was returned is what is on disk
    assert len(_lines(path)) == N


def test_reopening_continues_the_chain(tmp_path: Path) -> None:
    path = tmp_path / "audit.jsonl"
    first = _trail(path, "s1", 3)
    again = AuditTrail(path, "s2")
    assert (again.last_seq, again.last_hash) == (3, first[-1]["hash"])
    rec = again.record("session_start", user="ops")
    assert rec["seq"] == 4 and rec["prev"] == first[-1]["hash"]
    assert verify(path).ok
    assert [r["seq"] for r in read(path, session="s2")] == [4]
    assert len(read(path, session="s1")) == 3


def _edit(rec: dict[str, Any], name: str) -> None:
    if name in ("seq",):
        rec[name] += 100
    elif name == "args":
        rec["args"]["image"] = "evil:latest"
    else:
        rec[name] = ("f" * 64) if name in ("prev", "hash") else f"{rec[name]}-edited"


@pytest.mark.parametrize("field", ["kind", "tool", "args", "ts", "session", "seq", "prev", "hash"])
@pytest.mark.parametrize("position", [0, 1, N // 2, N - 1])
def test_edited_record_is_named(tmp_path: Path, position: int, field: str) -> None:
    path = tmp_path / "audit.jsonl"
    _trail(path)
    lines = _lines(path)
    rec = json.loads(lines[position])
    _edit(rec, field)
    lines[position] = json.dumps(rec)
    _write(path, lines)
    report = verify(path)
    assert not report.ok
    assert any(p.startswith(f"line {position + 1} ") or p.startswith(f"line {position + 1}:")
               for p in report.problems), report.problems


def test_edit_with_recomputed_hash_breaks_the_next_link(tmp_path: Path) -> None:
    """Someone who edits a record and recomputes its hash is caught by the record after it."""
    import hashlib

    path = tmp_path / "audit.jsonl"
    _trail(path)
    lines = _lines(path)
    rec = json.loads(lines[2])
    rec["tool"] = "bash_run"
    body = {k: v for k, v in rec.items() if k != "hash"}
    rec["hash"] = hashlib.sha256(json.dumps(body, sort_keys=True, separators=(",", ":")).encode()).hexdigest()
    lines[2] = json.dumps(rec)
    _write(path, lines)
    report = verify(path)
    assert not report.ok
    assert [p.split(" ")[1] for p in report.problems] == ["4"]


@pytest.mark.parametrize("position", [1, N // 2, N - 2])
def test_removed_record_is_detected(tmp_path: Path, position: int) -> None:
    path = tmp_path / "audit.jsonl"
    _trail(path)
    lines = _lines(path)
    del lines[position]
    _write(path, lines)
    report = verify(path)
    assert not report.ok
    assert any(p.startswith(f"line {position + 1}") and "removed" in p for p in report.problems)


def test_truncated_head_is_detected(tmp_path: Path) -> None:
    path = tmp_path / "audit.jsonl"
    _trail(path)
    _write(path, _lines(path)[2:])
    report = verify(path)
    assert not report.ok
    assert report.problems[0].startswith("line 1 ") and "removed" in report.problems[0]


@pytest.mark.parametrize("position", [0, N // 2, N - 2])
def test_swapped_records_are_detected(tmp_path: Path, position: int) -> None:
    path = tmp_path / "audit.jsonl"
    _trail(path)
    lines = _lines(path)
    lines[position], lines[position + 1] = lines[position + 1], lines[position]
    _write(path, lines)
    report = verify(path)
    assert not report.ok
    named = {p.split(" ")[1].rstrip(":") for p in report.problems}
    assert {str(position + 1), str(position + 2)} <= named


def test_torn_tail_is_a_warning_not_tampering(tmp_path: Path) -> None:
    path = tmp_path / "audit.jsonl"
    records = _trail(path)
    full = json.dumps({**records[-1], "seq": N + 1})
    with path.open("a") as fh:
        fh.write(full[: len(full) // 2])  # a crash in the middle of a write
    report = verify(path)
    assert report.ok
    assert report.records == N
    assert report.torn_lines == [N + 1]
    assert len(report.warnings) == 1 and "torn tail" in report.warnings[0]
    assert report.warnings[0].startswith(f"line {N + 1}:")

    # the next writer ignores the torn bytes for chaining, keeps them, and starts a new line
    trail = AuditTrail(path, "s2")
    assert trail.torn_tail and trail.last_seq == N
    rec = trail.record("session_start")
    assert rec["seq"] == N + 1 and rec["prev"] == records[-1]["hash"]
    report = verify(path)
    assert report.ok, report.problems
    assert report.records == N + 1
    assert report.torn_lines == [N + 1]
    assert "torn write" in report.warnings[0]
    assert len(_lines(path)) == N + 2
    assert [r["seq"] for r in read(path)] == [*range(1, N + 1), N + 1]


def test_torn_line_cannot_hide_a_removed_record(tmp_path: Path) -> None:
    """Replacing a record in the middle with garbage is a chain break, not a crash."""
    path = tmp_path / "audit.jsonl"
    _trail(path)
    lines = _lines(path)
    lines[3] = lines[3][:40]
    _write(path, lines)
    report = verify(path)
    assert not report.ok
    assert report.torn_lines == [4]
    assert any(p.startswith("line 5 ") for p in report.problems)


def test_missing_and_empty_files(tmp_path: Path) -> None:
    assert not verify(tmp_path / "nope.jsonl").ok
    assert read(tmp_path / "nope.jsonl") == []
    empty = tmp_path / "empty.jsonl"
    empty.write_text("")
    report = verify(empty)
    assert report.ok and report.records == 0


def test_fields_are_redacted_before_writing(tmp_path: Path) -> None:
    path = tmp_path / "audit.jsonl"
    token = "ghp_" + "Ab1" * 12
    trail = AuditTrail(path, "s1")
    rec = trail.record(
        "decision",
        tool="bash_run",
        args={"command": f"curl -H 'Authorization: token {token}' https://api.github.com",
              "password": "hunter2"},
        env={"DB_PASSWORD": "s3cr3t-pw", "HOME": "/root"},
        output=f"export GITHUB_TOKEN={token}",
    )
    text = path.read_text()
    for secret in (token, "hunter2", "s3cr3t-pw"):
        assert secret not in text
        assert secret not in json.dumps(rec)
    assert rec["env"] == {"DB_PASSWORD": "[REDACTED]", "HOME": "/root"}
    assert "[REDACTED:github_token]" in rec["output"]
    assert verify(path).ok


def test_fields_are_normalised_to_json(tmp_path: Path) -> None:
    from pydantic import BaseModel

    class Decision(BaseModel):
        action: str
        rule: str

    path = tmp_path / "audit.jsonl"
    rec = AuditTrail(path, "s1").record("decision", decision=Decision(action="ask", rule="r1"),
                                        where=tmp_path, items=("a", "b"))
    assert rec["decision"] == {"action": "ask", "rule": "r1"}
    assert rec["where"] == str(tmp_path) and rec["items"] == ["a", "b"]
    assert read(path) == [rec]
    assert verify(path).ok


def test_reserved_fields_are_refused(tmp_path: Path) -> None:
    trail = AuditTrail(tmp_path / "audit.jsonl", "s1")
    with pytest.raises(ValueError, match="reserved"):
        trail.record("decision", seq=3)


def test_digest_and_default_path(tmp_path: Path) -> None:
    assert digest("abc") == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
    assert default_path(tmp_path) == tmp_path / "audit.jsonl"


def _append_many(path: str, session: str, count: int) -> None:
    trail = AuditTrail(Path(path), session)
    for i in range(count):
        trail.record("result", step=i, ok=True, output=f"{session} {i}")


def test_two_processes_append_without_forking_the_chain(tmp_path: Path) -> None:
    path = tmp_path / "audit.jsonl"
    ctx = multiprocessing.get_context("spawn")
    procs = [ctx.Process(target=_append_many, args=(str(path), f"p{i}", 200)) for i in range(2)]
    for p in procs:
        p.start()
    for p in procs:
        p.join(timeout=120)
        assert p.exitcode == 0
    report = verify(path)
    assert report.ok, report.problems[:5]
    assert report.records == 400
    assert report.warnings == []
    records = read(path)
    assert [r["seq"] for r in records] == list(range(1, 401))
    assert len(read(path, "p0")) == len(read(path, "p1")) == 200
    # each process's own records are in its order
    for session in ("p0", "p1"):
        assert [r["step"] for r in read(path, session)] == list(range(200))
