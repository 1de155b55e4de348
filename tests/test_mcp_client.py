"""Reign as an MCP client: a small MCP server (tests/data/mcp_echo_server.py, the SDK's MCPServer) starts as
a subprocess; its tools appear in `reign tools`, and their calls pass the gate (ask by default) and the audit."""

from __future__ import annotations

import json
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from conftest import ScriptedProvider, turn

from reign.audit import default_path, read, verify
from reign.cli import main
from reign.config import Settings
from reign.mcp import client as mcp_client

pytestmark = pytest.mark.mcp

ECHO = Path(__file__).resolve().parent / "data" / "mcp_echo_server.py"


@pytest.fixture
def notes(workdir: Path) -> Path:
    return workdir / "notes.txt"


@pytest.fixture
def servers(monkeypatch: pytest.MonkeyPatch, notes: Path) -> Iterator[list[dict[str, Any]]]:
    config = [
        {"name": "echo", "command": sys.executable, "args": [str(ECHO)], "env": {"MCP_ECHO_NOTES": str(notes)}},
        {"name": "trusted", "command": sys.executable, "args": [str(ECHO)], "prefix": "reader", "effect": "read",
         "env": {"MCP_ECHO_NOTES": str(notes)}},
        {"name": "broken", "command": "/nonexistent/mcp-server"},
    ]
    monkeypatch.setenv("REIGN_MCP_SERVERS", json.dumps(config))
    yield config
    mcp_client.shutdown()


def rows() -> dict[str, dict[str, Any]]:
    out = CliRunner().invoke(main, ["tools", "--json"])
    assert out.exit_code == 0, out.output
    return {r["tool"]: r for r in map(json.loads, out.stdout.splitlines())}


def run(monkeypatch: pytest.MonkeyPatch, *calls: tuple[str, dict[str, Any]], args: tuple[str, ...] = ()) -> dict[str, Any]:
    provider = ScriptedProvider([turn("", *calls), turn("done")])
    monkeypatch.setattr("reign.providers.make_provider", lambda *a, **k: provider)
    out = CliRunner().invoke(main, ["run", "--output", "json", *args, "use the echo server"])
    assert out.stdout.strip(), out.output
    return dict(json.loads(out.stdout.strip().splitlines()[-1]))


def test_the_servers_tools_appear_in_reign_tools(servers: list[dict[str, Any]]) -> None:
    tools = rows()
    for name in ("echo_echo", "echo_note", "echo_fail"):
        assert tools[name]["manager"] == "mcp:echo" and tools[name]["effect"] == "write" and tools[name]["available"]
    assert tools["reader_echo"]["manager"] == "mcp:trusted" and tools["reader_echo"]["effect"] == "read"
    broken = tools["broken_*"]
    assert not broken["available"] and "failed to start" in broken["reason"] and "/nonexistent" in broken["reason"]
    assert tools["bash"]["available"]  # the built-in catalogue is still there


def test_calls_ask_by_default_and_are_refused_without_approval(servers: Any, notes: Path,
                                                               monkeypatch: pytest.MonkeyPatch) -> None:
    out = run(monkeypatch, ("echo_note", {"text": "hello"}))
    [call] = out["tool_calls"]
    assert (call["decision"], call["rule"], call["approved"], call["ok"]) == ("ask", "fallback-write", False, False)
    assert "needs approval" in call["output"] and not notes.exists()


def test_approved_calls_run_and_land_in_the_audit_trail(servers: Any, notes: Path,
                                                        monkeypatch: pytest.MonkeyPatch) -> None:
    out = run(monkeypatch, ("echo_note", {"text": "hello"}), ("echo_echo", {"text": "hi"}),
              ("echo_fail", {"reason": "test"}), ("echo_echo", {"txt": "typo"}), args=("--yes",))
    note, echo, fail, typo = out["tool_calls"]
    assert note["ok"] and note["approved"] and note["output"] == "noted" and notes.read_text() == "hello\n"
    assert echo["ok"] and echo["output"] == "echo: hi"
    assert not fail["ok"] and "error" in fail["output"]
    assert not typo["ok"] and typo["decision"] == "deny" and "invalid arguments" in typo["output"]
    path = default_path(Settings().audit_dir)
    assert verify(path).ok
    records = [r for r in read(path) if r.get("tool", "").startswith("echo_")]
    assert [(r["kind"], r["tool"]) for r in records[:3]] == [("decision", "echo_note"), ("approval", "echo_note"),
                                                              ("result", "echo_note")]
    assert records[0]["decision"] == "ask" and records[1]["approved"] and records[2]["ok"]


def test_a_read_effect_from_config_is_allowed_and_policy_rules_apply(servers: Any, workdir: Path,
                                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    policy = workdir / "mcp-policy.yaml"
    policy.write_text(
        "rules:\n"
        "  - id: team-no-secret-notes\n"
        "    decision: deny\n"
        "    reason: notes must not mention secrets\n"
        "    match: {tool: [reader_*], args: {text: {regex: secret}}}\n"
        "    examples:\n"
        "      match: [{tool: reader_note, args: {text: my secret}}]\n"
        "      not_match: [{tool: reader_note, args: {text: fine}}]\n")
    out = run(monkeypatch, ("reader_echo", {"text": "plain"}), ("reader_note", {"text": "a secret"}),
              args=("--policy", str(policy)))
    echo, secret = out["tool_calls"]
    assert echo["decision"] == "allow" and echo["ok"] and echo["output"] == "echo: plain"
    assert secret["decision"] == "deny" and secret["rule"] == "team-no-secret-notes"


def test_one_connection_per_server(servers: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    rows()
    first = dict(mcp_client._HUB._connections)
    run(monkeypatch, ("reader_echo", {"text": "again"}))
    assert dict(mcp_client._HUB._connections) == first  # reused, not restarted
    assert len(first) == 3


def test_unusable_server_tools_are_never_offered(servers: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    out = run(monkeypatch, ("broken_x", {}), args=("--yes",))
    [call] = out["tool_calls"]
    assert call["decision"] == "deny" and "unknown tool" in call["output"]


@pytest.mark.sandbox
def test_a_started_server_runs_in_the_os_sandbox(monkeypatch: pytest.MonkeyPatch, workdir: Path,
                                                 tmp_path_factory: pytest.TempPathFactory) -> None:
    """A server is third-party code: like a tool's process it may write the workspace and nothing beside it
    (real bubblewrap, real MCP server)."""
    outside = tmp_path_factory.mktemp("beside-the-workspace") / "notes.txt"
    inside = workdir / "inside.txt"
    config = [{"name": "out", "command": sys.executable, "args": [str(ECHO)], "env": {"MCP_ECHO_NOTES": str(outside)}},
              {"name": "in", "command": sys.executable, "args": [str(ECHO)], "env": {"MCP_ECHO_NOTES": str(inside)}}]
    monkeypatch.setenv("REIGN_MCP_SERVERS", json.dumps(config))
    try:
        argv = mcp_client.server_argv(Settings().mcp_servers[0], Settings())
        assert argv[0].endswith("bwrap") and argv[-2:] == [sys.executable, str(ECHO)]
        out = run(monkeypatch, ("out_note", {"text": "escaped"}), ("in_note", {"text": "kept"}), args=("--yes",))
    finally:
        mcp_client.shutdown()
    assert not outside.exists()  # the write landed in the sandbox's private /tmp, or failed: never on the host
    assert out["tool_calls"][1]["ok"] and inside.read_text() == "kept\n"
