"""Provider adapters: wire conversion, retries, and streaming through the real SDKs.

Streaming is tested against a loopback HTTP server that speaks each provider's documented
server-sent-events format (no LLM API is reachable from here).
"""

from __future__ import annotations

import http.server
import json
import threading
from collections.abc import Iterator

import pytest

from reign.providers.anthropic import AnthropicProvider
from reign.providers.anthropic import to_wire as anthropic_wire
from reign.providers.base import ProviderError, Retryable, with_retries
from reign.providers.openai import OpenAIProvider
from reign.providers.openai import to_wire as openai_wire
from reign.types import Message, ToolCall, ToolResult, ToolSpec

CONVERSATION = [
    Message(role="user", text="goal"),
    Message(role="assistant", text="looking", tool_calls=[ToolCall(id="t1", name="bash", args={"command": "ls"}),
                                                         ToolCall(id="t2", name="bash", args={"command": "df"})]),
    Message(role="tool", tool_results=[ToolResult(call_id="t1", name="bash", content="a b"),
                                       ToolResult(call_id="t2", name="bash", content="denied", is_error=True)]),
    Message(role="user", text="follow-up"),
]


def test_anthropic_wire_pairs_every_tool_use_with_a_result() -> None:
    wire = anthropic_wire(CONVERSATION)
    assert [m["role"] for m in wire] == ["user", "assistant", "user"]
    uses = [b["id"] for b in wire[1]["content"] if b["type"] == "tool_use"]
    results = [b for b in wire[2]["content"] if b["type"] == "tool_result"]
    assert uses == [r["tool_use_id"] for r in results] == ["t1", "t2"]
    assert results[1]["is_error"] is True and wire[2]["content"][-1] == {"type": "text", "text": "follow-up"}


def test_openai_wire_uses_tool_messages() -> None:
    wire = openai_wire(CONVERSATION)
    assert [m["role"] for m in wire] == ["user", "assistant", "tool", "tool", "user"]
    assert json.loads(wire[1]["tool_calls"][0]["function"]["arguments"]) == {"command": "ls"}
    assert wire[2]["tool_call_id"] == "t1"


def test_retries_honour_retry_after_then_give_up_in_one_line() -> None:
    attempts: list[int] = []

    def flaky() -> str:
        attempts.append(1)
        raise Retryable("HTTP 529 overloaded", retry_after=0.0)

    with pytest.raises(ProviderError) as info:
        with_retries(flaky, label="anthropic API", attempts=3)
    assert len(attempts) == 3 and "gave up after 3 attempts" in str(info.value) and "\n" not in str(info.value)


def test_non_retryable_errors_pass_through_at_once() -> None:
    calls: list[int] = []

    def bad() -> str:
        calls.append(1)
        raise ProviderError("rejected: HTTP 400")

    with pytest.raises(ProviderError):
        with_retries(bad, label="x", attempts=5)
    assert calls == [1]


def test_unexpected_exceptions_become_one_clear_line() -> None:
    def broken() -> str:
        raise ValueError("not json")

    with pytest.raises(ProviderError, match="unexpected failure: ValueError: not json"):
        with_retries(broken, label="openai API", attempts=2)


def _sse(events: list[tuple[str | None, dict | str]]) -> bytes:
    out = []
    for name, data in events:
        if name:
            out.append(f"event: {name}")
        out.append(f"data: {data if isinstance(data, str) else json.dumps(data)}")
        out.append("")
    return ("\n".join(out) + "\n").encode()


ANTHROPIC_STREAM = _sse([
    ("message_start", {"type": "message_start", "message": {"id": "msg_s", "type": "message", "role": "assistant",
     "model": "claude-sonnet-5-5", "content": [], "stop_reason": None, "stop_sequence": None,
     "usage": {"input_tokens": 25, "output_tokens": 1}}}),
    ("content_block_start", {"type": "content_block_start", "index": 0, "content_block": {"type": "text", "text": ""}}),
    ("content_block_delta", {"type": "content_block_delta", "index": 0, "delta": {"type": "text_delta", "text": "Hel"}}),
    ("content_block_delta", {"type": "content_block_delta", "index": 0, "delta": {"type": "text_delta", "text": "lo"}}),
    ("content_block_stop", {"type": "content_block_stop", "index": 0}),
    ("content_block_start", {"type": "content_block_start", "index": 1, "content_block": {"type": "tool_use",
     "id": "toolu_s", "name": "bash", "input": {}}}),
    ("content_block_delta", {"type": "content_block_delta", "index": 1, "delta": {"type": "input_json_delta",
     "partial_json": "{\"command\": \"l"}}),
    ("content_block_delta", {"type": "content_block_delta", "index": 1, "delta": {"type": "input_json_delta",
     "partial_json": "s\"}"}}),
    ("content_block_stop", {"type": "content_block_stop", "index": 1}),
    ("message_delta", {"type": "message_delta", "delta": {"stop_reason": "tool_use", "stop_sequence": None},
     "usage": {"output_tokens": 12}}),
    ("message_stop", {"type": "message_stop"}),
])

OPENAI_STREAM = _sse([
    (None, {"id": "c", "object": "chat.completion.chunk", "created": 1, "model": "gpt-5.5", "choices": [
        {"index": 0, "delta": {"role": "assistant", "content": "Hel"}, "finish_reason": None}]}),
    (None, {"id": "c", "object": "chat.completion.chunk", "created": 1, "model": "gpt-5.5", "choices": [
        {"index": 0, "delta": {"content": "lo"}, "finish_reason": None}]}),
    (None, {"id": "c", "object": "chat.completion.chunk", "created": 1, "model": "gpt-5.5", "choices": [
        {"index": 0, "delta": {"tool_calls": [{"index": 0, "id": "call_s", "type": "function",
         "function": {"name": "bash", "arguments": "{\"command\": \"l"}}]}, "finish_reason": None}]}),
    (None, {"id": "c", "object": "chat.completion.chunk", "created": 1, "model": "gpt-5.5", "choices": [
        {"index": 0, "delta": {"tool_calls": [{"index": 0, "function": {"arguments": "s\"}"}}]},
         "finish_reason": "tool_calls"}]}),
    (None, {"id": "c", "object": "chat.completion.chunk", "created": 1, "model": "gpt-5.5", "choices": [],
            "usage": {"prompt_tokens": 25, "completion_tokens": 12, "total_tokens": 37}}),
    (None, "[DONE]"),
])


@pytest.fixture
def sse_server() -> Iterator[tuple[str, list[bytes]]]:
    bodies: list[bytes] = []

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            self.rfile.read(int(self.headers["content-length"]))
            body = bodies.pop(0)
            self.send_response(200)
            self.send_header("content-type", "text/event-stream")
            self.send_header("content-length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args: object) -> None:
            pass

    srv = http.server.HTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=srv.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{srv.server_port}", bodies
    srv.shutdown()


@pytest.mark.parametrize("provider", ["anthropic", "openai"])
def test_streaming_text_and_tool_calls(provider: str, sse_server) -> None:
    url, bodies = sse_server
    bodies.append(ANTHROPIC_STREAM if provider == "anthropic" else OPENAI_STREAM)
    client = AnthropicProvider(api_key="k", base_url=url) if provider == "anthropic" else \
        OpenAIProvider(api_key="k", base_url=url + "/v1")
    pieces: list[str] = []
    turn = client.complete("sys", [Message(role="user", text="hi")],
                           [ToolSpec(name="bash", description="d", input_schema={"type": "object"})],
                           on_text=pieces.append)
    assert pieces == ["Hel", "lo"] and turn.text == "Hello"
    assert [(c.name, c.args) for c in turn.tool_calls] == [("bash", {"command": "ls"})]
    assert turn.usage.output_tokens == 12
