"""Recording a live session, against a loopback HTTP server that speaks each provider's API.

No LLM API is reachable from here; the local server stands in for it so that the recording path
(real SDK, real HTTP, vcrpy writing the cassette) runs for real, and its output is replayed after.
"""

from __future__ import annotations

import http.server
import json
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner

from reign.cli import main


class _Handler(http.server.BaseHTTPRequestHandler):
    replies: list[dict] = []
    seen_headers: list[dict] = []

    def do_POST(self) -> None:
        self.rfile.read(int(self.headers["content-length"]))
        type(self).seen_headers.append(dict(self.headers))
        body = json.dumps(type(self).replies.pop(0)).encode()
        self.send_response(200)
        self.send_header("content-type", "application/json")
        self.send_header("set-cookie", "session=SECRETCOOKIE; Path=/")
        self.send_header("content-length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def server() -> Iterator[tuple[str, type[_Handler]]]:
    srv = http.server.HTTPServer(("127.0.0.1", 0), _Handler)
    thread = threading.Thread(target=srv.serve_forever, daemon=True)
    thread.start()
    _Handler.seen_headers = []
    yield f"http://127.0.0.1:{srv.server_port}", _Handler
    srv.shutdown()


def _anthropic(content: list[dict], stop: str) -> dict:
    return {"id": "msg_x", "type": "message", "role": "assistant", "model": "claude-sonnet-5-5", "content": content,
            "stop_reason": stop, "stop_sequence": None, "usage": {"input_tokens": 10, "output_tokens": 5}}


def _openai(message: dict, finish: str) -> dict:
    return {"id": "c", "object": "chat.completion", "created": 1, "model": "gpt-5.5",
            "choices": [{"index": 0, "message": message, "finish_reason": finish}],
            "usage": {"prompt_tokens": 10, "completion_tokens": 5, "total_tokens": 15}}


REPLIES = {
    "anthropic": [
        _anthropic([{"type": "tool_use", "id": "toolu_1", "name": "bash", "input": {"command": "echo recorded"}}],
                   "tool_use"),
        _anthropic([{"type": "text", "text": "all done"}], "end_turn"),
    ],
    "openai": [
        _openai({"role": "assistant", "content": None, "tool_calls": [{"id": "call_1", "type": "function",
                 "function": {"name": "bash", "arguments": "{\"command\": \"echo recorded\"}"}}]}, "tool_calls"),
        _openai({"role": "assistant", "content": "all done"}, "stop"),
    ],
}


@pytest.mark.parametrize("provider", ["anthropic", "openai"])
def test_record_then_replay(provider: str, server, workdir: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    url, handler = server
    handler.replies = list(REPLIES[provider])
    secret = "sk-ant-api03-" + "K" * 40 if provider == "anthropic" else "sk-proj-" + "K" * 40
    monkeypatch.setenv("ANTHROPIC_API_KEY" if provider == "anthropic" else "OPENAI_API_KEY", secret)
    cassette = workdir / "rec.yaml"
    args = ["run", "--provider", provider, "--base-url", url + ("/v1" if provider == "openai" else ""),
            "--cassette", str(cassette), "--record", "--output", "json", "say recorded"]
    result = CliRunner().invoke(main, args)
    assert result.exit_code == 0, result.output
    assert any(secret in json.dumps(h) for h in handler.seen_headers)  # the live request did carry the key
    text = cassette.read_text()
    assert text.splitlines()[0].startswith("# reign cassette: recorded")
    assert secret not in text and "KKKKKKKK" not in text, "the key must never reach a cassette"
    assert "SECRETCOOKIE" not in text and "set-cookie" not in text.lower()
    assert "authorization" not in text.lower() and "x-api-key" not in text.lower()
    # Replay with no key and no server.
    monkeypatch.delenv("ANTHROPIC_API_KEY", raising=False)
    monkeypatch.delenv("OPENAI_API_KEY", raising=False)
    handler.replies = []
    replay = CliRunner().invoke(main, ["run", "--provider", provider, "--base-url", args[4], "--cassette",
                                       str(cassette), "--output", "json", "say recorded"])
    assert replay.exit_code == 0, replay.output
    out = json.loads(replay.stdout.strip().splitlines()[-1])
    assert out["final"] == "all done" and "recorded" in out["tool_calls"][0]["output"]


def test_record_without_cassette_is_a_clear_error(workdir: Path) -> None:
    result = CliRunner().invoke(main, ["run", "--record", "x"])
    assert result.exit_code == 1 and "--record needs --cassette" in result.output


def test_no_key_is_a_clear_error(workdir: Path) -> None:
    result = CliRunner().invoke(main, ["run", "x"])
    assert result.exit_code == 1 and "no API key for anthropic" in result.output
    assert "Traceback" not in result.output
