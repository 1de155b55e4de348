"""OpenAI Chat Completions with `tool_calls`: also what Ollama, vLLM and LM Studio speak (--base-url)."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING, Any

from reign.providers.base import ProviderError, translate_sdk_error, with_retries
from reign.types import Message, ModelTurn, ToolCall, ToolSpec, Usage

if TYPE_CHECKING:
    from openai.types.chat import ChatCompletion, ChatCompletionChunk

DEFAULT_MODEL = "gpt-5.5"


class OpenAIProvider:
    name = "openai"

    def __init__(self, *, api_key: str, model: str = "", base_url: str | None = None,
                 timeout: float = 120.0, attempts: int = 4, max_tokens: int = 4096, base_wait: float = 1.0) -> None:
        import openai

        self._sdk = openai
        self.model = model or DEFAULT_MODEL
        self._client = openai.OpenAI(api_key=api_key, base_url=base_url, timeout=timeout, max_retries=0)
        # OpenAI's own API wants max_completion_tokens; compatible servers know max_tokens.
        self._limit_key = "max_tokens" if base_url else "max_completion_tokens"
        self._attempts, self._max_tokens, self._base_wait = attempts, max_tokens, base_wait

    def complete(self, system: str, messages: list[Message], tools: list[ToolSpec], *,
                 tool_choice: str = "auto", on_text: Callable[[str], None] | None = None) -> ModelTurn:
        params: dict[str, Any] = {
            "model": self.model, self._limit_key: self._max_tokens,
            "messages": [{"role": "system", "content": system}, *to_wire(messages)],
        }
        if tools:
            params["tools"] = [{"type": "function", "function": {
                "name": t.name, "description": t.description, "parameters": t.input_schema}} for t in tools]
            params["tool_choice"] = tool_choice

        def once() -> ModelTurn:
            try:
                if on_text is None:
                    return from_wire(self._client.chat.completions.create(**params))
                stream = self._client.chat.completions.create(
                    **params, stream=True, stream_options={"include_usage": True})
                return from_stream(stream, on_text)
            except self._sdk.OpenAIError as exc:
                raise translate_sdk_error(exc, self._sdk, "openai API") from exc

        return with_retries(once, label="openai API", attempts=self._attempts, base_wait=self._base_wait)


def to_wire(messages: list[Message]) -> list[dict[str, Any]]:
    wire: list[dict[str, Any]] = []
    for msg in messages:
        if msg.role == "assistant":
            entry: dict[str, Any] = {"role": "assistant", "content": msg.text or None}
            if msg.tool_calls:
                entry["tool_calls"] = [{"id": c.id, "type": "function", "function": {
                    "name": c.name, "arguments": json.dumps(c.args)}} for c in msg.tool_calls]
            wire.append(entry)
            continue
        wire += [{"role": "tool", "tool_call_id": r.call_id, "content": r.content} for r in msg.tool_results]
        if msg.text:
            wire.append({"role": "user", "content": msg.text})
    return wire


def _call(call_id: str, name: str, raw: str) -> ToolCall:
    try:
        args = json.loads(raw or "{}")
    except json.JSONDecodeError:
        return ToolCall(id=call_id, name=name, args={}, error=f"the arguments were not valid JSON: {raw[:200]}")
    if not isinstance(args, dict):
        return ToolCall(id=call_id, name=name, args={}, error="the arguments must be a JSON object")
    return ToolCall(id=call_id, name=name, args=args)


def from_wire(resp: ChatCompletion) -> ModelTurn:
    choices = getattr(resp, "choices", None)
    if not choices:
        raise ProviderError("openai API: the response has no choices")
    msg = choices[0].message
    calls = [_call(c.id, c.function.name, c.function.arguments) for c in (msg.tool_calls or [])
             if getattr(c, "function", None) is not None]
    usage = getattr(resp, "usage", None)
    return ModelTurn(
        text=msg.content or "", tool_calls=calls, finish=str(choices[0].finish_reason or ""),
        usage=Usage(input_tokens=getattr(usage, "prompt_tokens", 0) or 0,
                    output_tokens=getattr(usage, "completion_tokens", 0) or 0),
    )


def from_stream(stream: Iterable[ChatCompletionChunk], on_text: Callable[[str], None]) -> ModelTurn:
    text: list[str] = []
    parts: dict[int, dict[str, str]] = {}
    usage, finish = Usage(), ""
    for chunk in stream:
        if chunk.usage is not None:
            usage = Usage(input_tokens=chunk.usage.prompt_tokens or 0,
                          output_tokens=chunk.usage.completion_tokens or 0)
        for choice in chunk.choices or []:
            delta = choice.delta
            if delta.content:
                text.append(delta.content)
                on_text(delta.content)
            for tc in delta.tool_calls or []:
                slot = parts.setdefault(tc.index, {"id": "", "name": "", "args": ""})
                slot["id"] = tc.id or slot["id"]
                if tc.function is not None:
                    slot["name"] += tc.function.name or ""
                    slot["args"] += tc.function.arguments or ""
            finish = choice.finish_reason or finish
    calls = [_call(p["id"], p["name"], p["args"]) for _, p in sorted(parts.items())]
    return ModelTurn(text="".join(text), tool_calls=calls, usage=usage, finish=finish)
