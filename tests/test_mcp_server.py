"""`reign mcp serve` driven by the MCP SDK's own client over stdio (a subprocess), both protocol eras:
the handshake era (`mode="legacy"`, what Claude Desktop and most clients speak) and 2026-07-28 (`auto`).
Every call passes the gate and lands in the audit trail; `ask` becomes an elicitation or a refusal."""

from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
import sys
import time
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import anyio
import mcp_types as types
import pytest
from mcp import Client, StdioServerParameters

from reign.audit import default_path, read, verify
from reign.catalogue import Catalogue
from reign.config import Settings

pytestmark = pytest.mark.mcp

MODES = ["legacy", "auto"]


def server_params(workdir: Path, *extra: str) -> StdioServerParameters:
    env = {k: os.environ[k] for k in ("HOME", "XDG_STATE_HOME", "XDG_CONFIG_HOME") if k in os.environ}
    return StdioServerParameters(command=sys.executable, args=["-m", "reign.cli", "mcp", "serve", *extra],
                                 env=env, cwd=workdir)


def session(target: Any, mode: str, body: Callable[[Client], Awaitable[Any]], **kwargs: Any) -> Any:
    async def main() -> Any:
        async with Client(target, mode=mode, read_timeout_seconds=60, **kwargs) as client:
            return await body(client)

    return anyio.run(main)


def text(result: types.CallToolResult) -> str:
    return "\n".join(b.text for b in result.content if isinstance(b, types.TextContent))


def audit_records() -> list[dict[str, Any]]:
    path = default_path(Settings().audit_dir)
    assert verify(path).ok
    return read(path)


@pytest.mark.parametrize("mode", MODES)
def test_lists_tools_with_annotations_runs_a_read_and_refuses_a_denied_call(workdir: Path, mode: str) -> None:
    (workdir / "visible-file").write_text("x")

    async def body(client: Client) -> tuple[Any, ...]:
        listed = await client.list_tools()
        ls = await client.call_tool("bash", {"command": "ls"})
        wipe = await client.call_tool("bash", {"command": "rm -rf /"})
        bad = await client.call_tool("bash", {"cmd": "ls"})
        return listed, ls, wipe, bad

    listed, ls, wipe, bad = session(server_params(workdir), mode, body)
    tools = {t.name: t for t in listed.tools}
    assert "bash" in tools and "use_tools" not in tools
    effects = {t.name: t.effect for t in Catalogue.load().tools.values()}
    for name, tool in tools.items():
        assert tool.annotations is not None and tool.input_schema["type"] == "object"
        assert tool.annotations.read_only_hint is (effects[name] == "read"), name
        assert tool.annotations.destructive_hint is (effects[name] == "destructive"), name
    assert tools["bash"].annotations.read_only_hint is False
    assert not ls.is_error and "visible-file" in text(ls)
    assert wipe.is_error and "denied by policy rule shell-wipe-system" in text(wipe)
    assert bad.is_error and "invalid arguments" in text(bad)

    records = audit_records()
    decisions = [(r["tool"], r["args"], r["decision"], r.get("rule")) for r in records if r["kind"] == "decision"]
    assert ("bash", {"command": "ls"}, "allow", "shell-read-only-programs") in decisions
    assert ("bash", {"command": "rm -rf /"}, "deny", "shell-wipe-system") in decisions
    assert all(r["session"].startswith("mcp-") for r in records)
    assert [r["ok"] for r in records if r["kind"] == "result"] == [True, False, False]


@pytest.mark.parametrize("mode", MODES)
def test_ask_is_refused_without_elicitation(workdir: Path, mode: str) -> None:
    result = session(server_params(workdir), mode, lambda c: c.call_tool("bash", {"command": "touch made.txt"}))
    assert result.is_error and "cannot ask its user" in text(result)
    assert not (workdir / "made.txt").exists()
    approval = [r for r in audit_records() if r["kind"] == "approval"]
    assert [(a["tool"], a["approved"]) for a in approval] == [("bash", False)]


@pytest.mark.parametrize("mode", MODES)
def test_ask_becomes_an_elicitation_bound_to_the_call(workdir: Path, mode: str) -> None:
    asked: list[str] = []
    answers = iter([{"approve": True, "always": True}, {"approve": False}])

    async def elicit(ctx: Any, params: types.ElicitRequestFormParams) -> types.ElicitResult:
        asked.append(params.message)
        assert params.requested_schema["required"] == ["approve"]
        return types.ElicitResult(action="accept", content=next(answers))

    async def body(client: Client) -> list[types.CallToolResult]:
        return [await client.call_tool("bash", {"command": "touch made.txt"}),
                await client.call_tool("bash", {"command": "touch made.txt"}),  # remembered: not asked again
                await client.call_tool("bash", {"command": "touch other.txt"})]  # another hash: asked, declined

    first, second, third = session(server_params(workdir), mode, body, elicitation_callback=elicit)
    assert not first.is_error and not second.is_error and (workdir / "made.txt").exists()
    assert third.is_error and "the user declined" in text(third) and not (workdir / "other.txt").exists()
    assert len(asked) == 2 and "touch made.txt" in asked[0] and "call hash" in asked[0]
    assert "shell-fallback" in asked[0] and "touch other.txt" in asked[1]
    approvals = [a for a in audit_records() if a["kind"] == "approval"]
    waits = [a for a in approvals if "awaiting" in a["note"]]  # 2026-07-28: a round trip before each answer
    assert len(waits) == (2 if mode == "auto" else 0)
    assert [(a["approved"], a["scope"]) for a in approvals if a not in waits] == \
        [(True, "session"), (True, "remembered"), (False, "refused")]


def test_an_approval_cannot_be_replayed_onto_another_call(workdir: Path) -> None:
    """2026-07-28: the approval round trip's state is sealed and bound to the exact call."""

    async def elicit(ctx: Any, params: Any) -> types.ElicitResult:  # declares the capability; never called
        raise AssertionError("the calls are driven by hand")

    async def body(client: Client) -> tuple[Any, Any]:
        first = await client.session.call_tool("bash", {"command": "touch a.txt"}, allow_input_required=True)
        assert isinstance(first, types.InputRequiredResult) and first.input_requests
        yes = {key: types.ElicitResult(action="accept", content={"approve": True}) for key in first.input_requests}
        swapped: Any
        try:
            swapped = await client.session.call_tool("bash", {"command": "touch b.txt"}, input_responses=yes,
                                                     request_state=first.request_state, allow_input_required=True)
        except Exception as exc:  # the SDK's boundary rejects state minted for another call
            swapped = exc
        forged = await client.session.call_tool("bash", {"command": "touch c.txt"}, input_responses=yes,
                                                allow_input_required=True)  # no state: asked again
        return swapped, forged

    swapped, forged = session(server_params(workdir), "auto", body, elicitation_callback=elicit)
    assert isinstance(swapped, Exception) and "requestState" in str(swapped)
    assert isinstance(forged, types.InputRequiredResult)
    assert not any((workdir / name).exists() for name in ("a.txt", "b.txt", "c.txt"))


def test_read_only_offers_only_read_tools(workdir: Path) -> None:
    listed = session(server_params(workdir, "--read-only"), "legacy", lambda c: c.list_tools())
    assert listed.tools and all(t.annotations.read_only_hint for t in listed.tools)
    assert "bash" not in {t.name for t in listed.tools}
    refused = session(server_params(workdir, "--read-only"), "legacy",
                      lambda c: c.call_tool("bash", {"command": "ls"}))
    assert refused.is_error and "unknown tool 'bash'" in text(refused)


def test_streamable_http_on_localhost(workdir: Path) -> None:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    proc = subprocess.Popen([sys.executable, "-m", "reign.cli", "mcp", "serve", "--http", "--port", str(port)],
                            cwd=workdir, stderr=subprocess.PIPE)
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                socket.create_connection(("127.0.0.1", port), timeout=1).close()
                break
            except OSError:
                assert proc.poll() is None and time.monotonic() < deadline, "the HTTP server did not start"
                time.sleep(0.2)
        (workdir / "over-http").write_text("x")

        async def body(client: Client) -> tuple[Any, Any]:
            return await client.list_tools(), await client.call_tool("bash", {"command": "ls"})

        listed, ls = session(f"http://127.0.0.1:{port}/mcp", "legacy", body)
        assert "bash" in {t.name for t in listed.tools}
        assert "over-http" in text(ls)
    finally:
        proc.terminate()
        proc.wait(timeout=10)
        assert proc.stderr is not None
        proc.stderr.close()


def test_desktop_config_in_the_docs_works_with_the_sdk_client(workdir: Path, tmp_path_factory: Any) -> None:
    """The Claude Desktop-style entry in docs/MCP.md, as the SDK's client launches it from another folder."""
    doc = (Path(__file__).resolve().parent.parent / "docs" / "MCP.md").read_text()
    block = doc.split("```json", 1)[1].split("```", 1)[0]
    entry = json.loads(block)["mcpServers"]["reign"]
    if shutil.which(entry["command"]) is None:
        pytest.skip("the `reign` console script is not on PATH (package not installed)")
    assert entry["args"] == ["mcp", "serve"] and "REIGN_WORKSPACE_ROOT" in entry["env"]
    (workdir / "in-the-workspace").write_text("x")
    params = server_params(tmp_path_factory.mktemp("client-cwd"))
    params.command, params.args = entry["command"], entry["args"]
    params.env = {**(params.env or {}), **entry["env"], "REIGN_WORKSPACE_ROOT": str(workdir),
                  "PATH": os.environ["PATH"]}

    async def body(client: Client) -> tuple[Any, Any]:
        return await client.list_tools(), await client.call_tool("bash", {"command": "ls"})

    listed, ls = session(params, "legacy", body)
    assert "bash" in {t.name for t in listed.tools}
    assert "in-the-workspace" in text(ls)
