"""Reign as a person runs it: `reign chat` in a real pseudo-terminal (pexpect), and `reign run` stopped by
signals (under `timeout`, by SIGHUP, by Ctrl-C). Bash and the child processes are real; the model is a
synthesized cassette, since no LLM API is reachable here."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pexpect
import pytest

from reign.audit import read, verify
from reign.sessions import SessionStore

ROOT = Path(__file__).resolve().parent.parent
REIGN = [sys.executable, "-m", "reign.cli"]


def _env() -> dict[str, str]:
    env = dict(os.environ)
    env["PYTHONPATH"] = str(ROOT) + os.pathsep + env.get("PYTHONPATH", "")
    env.update({"TERM": "xterm-256color", "LC_ALL": "C.UTF-8", "COLUMNS": "150", "LINES": "40",
                "PROMPT_TOOLKIT_NO_CPR": "1"})  # pexpect answers no cursor-position queries
    return env


def _processes(marker: str) -> list[int]:
    """Live processes whose command line holds `marker` (zombies and this test excluded)."""
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            cmdline = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode()
            state = (entry / "stat").read_text().rsplit(")", 1)[1].split()[0]
        except OSError:
            continue
        if marker in cmdline and state != "Z" and "pytest" not in cmdline:
            found.append(int(entry.name))
    return found


def _wait_for(marker: str, seconds: float = 60) -> None:
    deadline = time.monotonic() + seconds
    while not _processes(marker):
        if time.monotonic() > deadline:
            raise AssertionError(f"no process running {marker!r} after {seconds} s")
        time.sleep(0.1)


def _gone(marker: str, seconds: float = 5) -> bool:
    deadline = time.monotonic() + seconds
    while _processes(marker) and time.monotonic() < deadline:
        time.sleep(0.1)
    return not _processes(marker)


def _sessions(home: Path) -> SessionStore:
    return SessionStore(home / ".local" / "state" / "reign" / "sessions.db")


def _audit(home: Path) -> Path:
    return home / ".local" / "state" / "reign" / "audit" / "audit.jsonl"


@pytest.mark.parametrize("how, code", [("timeout", 143), ("SIGHUP", 129), ("SIGINT", 130)])
def test_a_signal_stops_the_run_and_loses_nothing(workdir: Path, isolated_home: Path, how: str, code: int) -> None:
    """The tool's process group is killed, the session ends `interrupted`, the audit trail is closed and
    verifies, and the exit code is 128 + the signal. `timeout` forwards the SIGTERM it is sent."""
    marker = "sleep 987.5"
    argv = [*REIGN, "run", "--cassette", str(ROOT / "cassettes/cli/long_step.yaml"), "--output", "json", "wait"]
    if how == "timeout":
        argv = ["timeout", "--preserve-status", "120", *argv]
    proc = subprocess.Popen(argv, env=_env(), stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        _wait_for(marker)
        proc.send_signal({"timeout": signal.SIGTERM, "SIGHUP": signal.SIGHUP, "SIGINT": signal.SIGINT}[how])
        out, err = proc.communicate(timeout=60)
    finally:
        if proc.poll() is None:
            proc.kill()
    assert proc.returncode == code, err
    assert "Traceback" not in err and "internal error" not in err
    result = json.loads(out.strip().splitlines()[-1])
    assert result["stop_reason"] == "interrupted"
    assert _gone(marker), "the tool's child outlived reign"
    store = _sessions(isolated_home)
    info = store.find(result["session"])
    assert info.status == "interrupted"
    [call] = store.calls(info.id)
    assert call["state"] == "interrupted"
    records = read(_audit(isolated_home), info.id)
    assert records[-1]["kind"] == "end" and records[-1]["stop_reason"] == "interrupted"
    assert verify(_audit(isolated_home)).ok


def _spawn(workdir: Path, cassette: str) -> pexpect.spawn:
    return pexpect.spawn(REIGN[0], [*REIGN[1:], "chat", "--cassette", str(ROOT / cassette)], env=_env(),
                         cwd=str(workdir), dimensions=(40, 150), encoding="utf-8", timeout=60)


def test_chat_in_a_terminal(workdir: Path, isolated_home: Path) -> None:
    """A two-line entry; an approval answered with an unknown word then `y`; a line edited with the arrow keys; Ctrl-C during a
    running step stops it (and its child); Ctrl-C clears a typed line; Ctrl-D leaves with exit 0."""
    child = _spawn(workdir, "cassettes/cli/chat.yaml")
    try:
        child.expect_exact("you>")
        child.send("write\x1b\rthe note\r")  # Esc-Enter: a second line in the same entry
        child.expect_exact("approval needed")
        child.expect_exact("write, asked by rule shell-write-redirect")
        child.expect_exact("bash: echo hello > note.txt")
        child.expect_exact("run it? [y]es / [n]o / [a]lways for this session:")
        child.send("maybe\r")
        child.expect_exact("please answer y, n or a")
        child.expect_exact("[y]es / [n]o / [a]lways")
        child.send("y\r")
        child.expect_exact("Wrote note.txt.")
        child.expect_exact("you>")
        child.send("wit")
        child.send("\x1b[D\x1b[D")  # left, left: the cursor is after the w
        child.send("a\r")  # -> "wait"
        _wait_for("sleep 987.25")
        child.expect(r"bash: sleep 987\.25 +[1-9]\d* s")  # the live indicator: what runs, for how long
        child.sendintr()  # Ctrl-C while the step runs
        child.expect_exact("interrupted while running")
        child.expect(r"stopped: interrupted")
        child.expect_exact("you>")
        assert _gone("sleep 987.25"), "Ctrl-C left the step's child running"
        child.send("garbage that is never sent")
        child.sendintr()  # clears the line; the prompt stays
        child.send("/session ghp_0123456789abcdefghijABCDEFGHIJ012345\r")  # a token typed by mistake
        child.expect_exact("unknown command")
        child.expect_exact("you>")
        child.send("/session\r")
        child.expect(r"session ([0-9a-f]{12});")
        session = child.match.group(1)
        child.expect_exact("you>")
        child.sendeof()  # Ctrl-D
        child.expect(pexpect.EOF)
    finally:
        child.close(force=True)
    assert child.exitstatus == 0, child.before
    assert (workdir / "note.txt").read_text() == "hello\n"
    store = _sessions(isolated_home)
    goals = [m.text for m in store.transcript(session) if m.role == "user"]
    assert goals == ["write\nthe note", "wait"]
    assert store.find(session).status == "interrupted"
    history_file = isolated_home / ".local" / "state" / "reign" / "chat_history"
    history = history_file.read_text()
    assert oct(history_file.stat().st_mode)[-3:] == "600" and "ghp_0123456789" not in history
    assert "+write\n+the note" in history and "+wait" in history and "garbage" not in history


def test_chat_two_ctrl_c_at_an_empty_prompt_leave(workdir: Path) -> None:
    child = _spawn(workdir, "cassettes/cli/chat.yaml")
    try:
        child.expect_exact("you>")
        child.sendintr()
        child.expect_exact("Ctrl-C again or Ctrl-D to leave")
        child.expect_exact("you>")
        child.sendintr()
        child.expect(pexpect.EOF)
    finally:
        child.close(force=True)
    assert child.exitstatus == 0


def test_chat_tab_completes_slash_commands(workdir: Path) -> None:
    child = _spawn(workdir, "cassettes/cli/chat.yaml")
    try:
        child.expect_exact("you>")
        child.send("/ses\t")
        child.expect_exact("sion")  # the completed rest, drawn on its own or with the whole word
        child.send("\r")
        child.expect(r"session [0-9a-f]{12};")
        child.expect_exact("you>")
        child.send("/he\t")
        child.expect_exact("lp")
        child.send("\r")
        child.expect_exact("/cost")
        child.expect_exact("you>")
        child.send("/exit\r")
        child.expect(pexpect.EOF)
    finally:
        child.close(force=True)
    assert child.exitstatus == 0
