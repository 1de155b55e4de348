"""What reaches a terminal is inert: a tool's output, the model's text and tool names, replayed in a real
pseudo-terminal through `reign run`, `reign chat`, `reign sessions show` and `reign audit show`, can neither
clear the screen, set the title, write the clipboard nor overwrite a line. The model's side is a synthesized
cassette (no LLM is reachable here); bash, the terminal and the CLI are real."""

from __future__ import annotations

import importlib.util
import json
import os
import sys
from pathlib import Path
from typing import Any

import pexpect
import pytest

from reign.terminal import inert, inert_json

ROOT = Path(__file__).resolve().parent.parent
ESC = "\x1b"

# What a hostile pod log or README might carry: clear screen, title, clipboard, cursor up 3 + erase line, a CR
# that overwrites the start of a line, DCS and APC strings, an 8-bit CSI, a backspace.
PRINTF = ("printf 'log line\\033[2J\\033[H\\033]0;PWNED-TITLE\\007\\033]52;c;Y2xpcA==\\007\\033[3A\\033[2K"
          "real line\\rFAKE-APPROVED\\n\\033Pq#0;2;0;0;0\\033\\\\\\033_apc\\033\\\\\\302\\2332Jbs\\bX\\n'")
MODEL_TEXT = f"Done.{ESC}[2J{ESC}]0;MODEL-TITLE\x07 All clear."
BAD_TOOL = f"evil{ESC}]0;TOOL-TITLE\x07{ESC}[2J"
# (cursor-up 3: the live spinner itself moves up one line and erases it, so the payload's own moves are distinct)
FORBIDDEN = [b"\x1b[2J", b"\x1b[H", b"\x1b]0;", b"\x1b]52;", b"\x1b[3A", b"\x1bP", b"\x1b_",
             b"\xc2\x9b", b"\rFAKE", b"s\x08X"]


@pytest.mark.parametrize(("raw", "shown"), [
    ("a\x1b[2Jb", "a\\x1b[2Jb"),
    ("t\x1b]0;title\x07x", "t\\x1b]0;title\\x07x"),
    ("t\x1b]52;c;Y2xpcA==\x1b\\x", "t\\x1b]52;c;Y2xpcA==\\x1b\\x"),
    ("d\x1bPq#0\x1b\\", "d\\x1bPq#0\\x1b\\"),
    ("\x1b_apc\x1b\\ \x1b^pm\x1b\\ \x1bXsos\x1b\\", "\\x1b_apc\\x1b\\ \\x1b^pm\\x1b\\ \\x1bXsos\\x1b\\"),
    ("8-bit \x9b2J and \x9d0;t\x9c", "8-bit \\x9b2J and \\x9d0;t\\x9c"),
    ("real\rFAKE", "real\\rFAKE"),
    ("abc\x08\x08X", "abc\\b\\bX"),
    ("nul\x00 bell\x07 del\x7f", "nul\\x00 bell\\x07 del\\x7f"),
    ("rtl \u202eevil\u202c", "rtl \\u202eevil\\u202c"),
    ("windows\r\nlines\r\n", "windows\nlines\n"),
    ("tabs\tand\nnewlines stay, é 中文 🙂 too", "tabs\tand\nnewlines stay, é 中文 🙂 too"),
])
def test_inert_shows_every_control_sequence_as_text(raw: str, shown: str) -> None:
    assert inert(raw) == shown
    assert not any(ch in inert(raw) for ch in "\x1b\x9b\x9d\x07\x08\r\x00\u202e")


def test_inert_json_is_the_same_value_with_nothing_a_terminal_acts_on() -> None:
    value = {"out": "csi \x9b2J osc \x9d0;t\x9c esc \x1b[2J rtl \u202eevil\u202c del \x7f line\u2028sep é 中文"}
    text = inert_json(value, indent=2)
    assert json.loads(text) == value
    assert not any(ch in text for ch in "\x1b\x9b\x9d\x9c\x7f\u202e\u2028") and "é 中文" in text


def _synth(path: Path, turns: list[dict[str, Any]]) -> Path:
    """A cassette in Anthropic's wire format, written by the same code as the shipped ones."""
    spec = importlib.util.spec_from_file_location("synth_cassettes", ROOT / "scripts" / "synth_cassettes.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    module.write(path, "anthropic", "tool output and model text carrying terminal control sequences", turns)
    return path


def _cassette(tmp: Path) -> Path:
    return _synth(tmp / "escapes.yaml", [
        {"text": f"Looking.{ESC}]0;STEP-TITLE\x07", "calls": [
            {"name": "bash", "args": {"command": PRINTF}},
            {"name": "bash", "args": {"command": f"echo 'args{ESC}]0;ARGS-TITLE\x07{ESC}[2J'"}},
            {"name": BAD_TOOL, "args": {}}]},
        {"text": MODEL_TEXT},
    ])


def _reign(*args: str, cwd: Path, send: list[str] | None = None) -> bytes:
    """Run the real CLI in a pseudo-terminal and return every byte it wrote to the terminal."""
    env = {**os.environ, "PYTHONPATH": str(ROOT), "TERM": "xterm-256color", "COLUMNS": "200", "LINES": "50"}
    child = pexpect.spawn(sys.executable, ["-c", "from reign.cli import entry; entry()", *args], cwd=str(cwd),
                          env=env, dimensions=(50, 200), timeout=90)
    out = b""
    for line in send or []:
        child.expect(b"you>")
        out += child.before + child.after
        child.sendline(line)
    child.expect(pexpect.EOF)
    out += child.before
    child.close()
    return out


def _assert_inert(out: bytes, *visible: bytes) -> None:
    for bad in FORBIDDEN:
        assert bad not in out, (bad, out[-3000:])
    for text in visible:
        assert text in out, (text, out[-3000:])


def test_run_chat_sessions_show_and_audit_show_are_inert_in_a_terminal(workdir: Path) -> None:
    cassette = _cassette(workdir.parent)
    out = _reign("run", "--cassette", str(cassette), "--yes", "goal", cwd=workdir)
    _assert_inert(out, b"\\x1b[2J", b"\\x1b]0;PWNED-TITLE\\x07", b"real line\\rFAKE-APPROVED", b"\\x9b2J",
                  b"MODEL-TITLE", b"All clear.")

    out = _reign("chat", "--cassette", str(cassette), cwd=workdir, send=["go", "/exit"])
    _assert_inert(out, b"\\x1b]0;PWNED-TITLE", b"FAKE-APPROVED", b"MODEL-TITLE")

    from reign.config import Settings
    from reign.sessions import SessionStore

    store = SessionStore(Settings().sessions_db)
    sessions = store.recent(5)
    assert len(sessions) == 2
    for info in sessions:
        out = _reign("sessions", "show", info.id, cwd=workdir)
        _assert_inert(out, b"\\x1b]0;PWNED-TITLE", b"FAKE-APPROVED", b"\\x1b[2J")

    out = _reign("audit", "show", cwd=workdir)
    _assert_inert(out, b"TOOL-TITLE")
    for info in sessions:  # JSON keeps the text (escaped the JSON way), and none of it acts on the terminal
        out = _reign("sessions", "export", info.id, cwd=workdir)
        _assert_inert(out, b"\\u009b2J", b"PWNED-TITLE")
    out = _reign("run", "--cassette", str(cassette), "--yes", "--output", "json", "goal", cwd=workdir)
    _assert_inert(out, b"MODEL-TITLE")
    out = _reign("sessions", cwd=workdir)
    _assert_inert(out)
