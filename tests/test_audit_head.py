"""The audit trail notices a cut tail and a rewritten chain: the head (last seq and hash) is kept in the
sessions database as each record is written, `reign audit verify` checks the file against it (and against a
head anchored elsewhere with --expect), and with an audit_key every record carries a MAC."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from click.testing import CliRunner

from reign.audit import GENESIS, _hash, default_path, mac_of, open_trail, verify
from reign.cli import main
from reign.config import Settings
from reign.sessions import SessionStore


def _records(settings: Settings, n: int = 6, session: str = "s1") -> Path:
    trail = open_trail(settings, session)
    for i in range(n):
        trail.record("decision", step=i, tool="bash", args={"command": f"echo {i}"}, decision="allow")
    return default_path(settings.audit_dir)


def _verify(*args: str) -> tuple[int, str]:
    result = CliRunner().invoke(main, ["audit", "verify", *args])
    return result.exit_code, result.output


def _rechain(lines: list[str], key: bytes | None = None) -> list[str]:
    """What a forger with write access does: edit, then recompute every hash (and MAC, if they had the key)."""
    out, prev = [], GENESIS
    for line in lines:
        rec = json.loads(line)
        rec.pop("mac", None)
        rec["prev"] = prev
        rec["hash"] = _hash(rec)
        if key is not None:
            rec["mac"] = mac_of(key, rec["hash"])
        prev = rec["hash"]
        out.append(json.dumps(rec, separators=(",", ":")))
    return out


def test_the_head_is_kept_with_each_record_and_an_untouched_trail_passes(workdir: Path) -> None:
    settings = Settings()
    path = _records(settings)
    head = SessionStore(settings.sessions_db).audit_head(path)
    last = json.loads(path.read_text().splitlines()[-1])
    assert head is not None and (head.seq, head.hash) == (6, last["hash"])
    code, out = _verify()
    assert code == 0, out
    assert f"head: seq 6 sha256 {last['hash']}" in out and "ok: 6 records" in out
    assert "checked: the head kept in the sessions database (seq 6)" in out


@pytest.mark.parametrize("dropped", [1, 3])
def test_verify_fails_when_the_last_records_are_dropped(workdir: Path, dropped: int) -> None:
    settings = Settings()
    path = _records(settings)
    lines = path.read_text().splitlines()
    assert verify(path).ok
    path.write_text("".join(line + "\n" for line in lines[:-dropped]))
    assert verify(path).ok  # the chain alone cannot see a cut at the end ...
    code, out = _verify()  # ... the head in the sessions database can
    assert code == 1 and "FAILED" in out
    assert f"the trail ends at seq {6 - dropped}" in out and f"the last {dropped} records were removed" in out


def test_a_rewritten_chain_fails_against_the_head_and_an_anchor(workdir: Path) -> None:
    settings = Settings()
    path = _records(settings)
    code, out = _verify()
    anchor = re.search(r"--expect (\d+:[0-9a-f]{64})", out)
    assert anchor is not None
    lines = path.read_text().splitlines()
    forged = [line.replace("echo 2", "echo X") for line in lines]
    path.write_text("".join(line + "\n" for line in _rechain(forged)))
    assert verify(path).ok  # a consistent chain again, every hash recomputed
    code, out = _verify()
    assert code == 1 and "the trail was rewritten" in out
    # the forger also moves the head in the sessions database: the anchor kept elsewhere still catches it
    store = SessionStore(settings.sessions_db)
    from reign.audit import Head

    store.set_audit_head(path, Head(6, json.loads(path.read_text().splitlines()[-1])["hash"]))
    assert _verify()[0] == 0
    code, out = _verify("--expect", anchor.group(1))
    assert code == 1 and "the expected head" in out and "rewritten" in out


def test_with_an_audit_key_a_rewritten_chain_fails_even_with_a_forged_head(
        workdir: Path, isolated_home: Path) -> None:
    config = isolated_home / ".config" / "reign" / "config.toml"
    config.parent.mkdir(parents=True, exist_ok=True)
    config.write_text('audit_key = "correct horse battery staple"\n')  # the user's own config
    settings = Settings()
    assert settings.audit_key is not None
    path = _records(settings)
    assert all("mac" in json.loads(line) for line in path.read_text().splitlines())
    code, out = _verify()
    assert code == 0 and "checked: MAC of every record under audit_key" in out, out
    forged = _rechain([line.replace("echo 2", "echo X") for line in path.read_text().splitlines()])
    path.write_text("".join(line + "\n" for line in forged))
    from reign.audit import Head

    SessionStore(settings.sessions_db).set_audit_head(path, Head(6, json.loads(forged[-1])["hash"]))
    code, out = _verify()
    assert code == 1 and "MAC" in out, out
    wrong = _rechain(path.read_text().splitlines(), key=b"a guessed key")
    path.write_text("".join(line + "\n" for line in wrong))
    assert _verify()[0] == 1


def test_records_written_before_the_key_was_set_are_a_warning_not_a_failure(
        workdir: Path, isolated_home: Path) -> None:
    path = _records(Settings(), n=2)
    config = isolated_home / ".config" / "reign" / "config.toml"
    config.parent.mkdir(parents=True, exist_ok=True)
    config.write_text('audit_key = "k"\n')
    _records(Settings(), n=2, session="s2")
    code, out = _verify()
    assert code == 0 and "2 records (seq 1-2) carry no MAC" in out, out
    lines = path.read_text().splitlines()
    stripped = json.loads(lines[-1])
    stripped.pop("mac")
    path.write_text("".join(line + "\n" for line in [*lines[:-1], json.dumps(stripped)]))
    code, out = _verify()
    assert code == 1 and "no MAC after records that have one" in out


def test_verify_says_when_no_head_was_kept_and_refuses_a_bad_anchor(workdir: Path, tmp_path: Path) -> None:
    from reign.audit import AuditTrail

    path = tmp_path / "other.jsonl"
    AuditTrail(path, "x").record("decision", tool="bash")
    code, out = _verify("--path", str(path))
    assert code == 0 and "no head for this trail" in out
    code, out = _verify("--path", str(path), "--expect", "nonsense")
    assert code == 1 and "--expect takes SEQ:HASH" in out and "Traceback" not in out


def test_the_audit_key_never_reaches_a_process(workdir: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from reign.process import child_env

    monkeypatch.setenv("REIGN_AUDIT_KEY", "secret-audit-key")
    assert "REIGN_AUDIT_KEY" not in child_env()
