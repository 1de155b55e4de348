"""Anthropic Messages API: `tool_use` blocks out, `tool_result` blocks back."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from reign.providers.base import ProviderError, translate_sdk_error, with_retries
from reign.types import Message, ModelTurn, ToolCall, ToolSpec, Usage

if TYPE_CHECKING:
    from anthropic.types import Message as AnthropicMessage

DEFAULT_MODEL = "claude-sonnet-5-5"


class AnthropicProvider:
    name = "anthropic"

    def __init__(self, *, api_key: str, model: str = "", base_url: str | None = None,
                 timeout: float = 120.0, attempts: int = 4, max_tokens: int = 4096, base_wait: float = 1.0) -> None:
        import anthropic

        self._sdk = anthropic
        self.model = model or DEFAULT_MODEL
        self._client = anthropic.Anthropic(api_key=api_key, base_url=base_url, timeout=timeout, max_retries=0)
        self._attempts, self._max_tokens, self._base_wait = attempts, max_tokens, base_wait

    def complete(self, system: str, messages: list[Message], tools: list[ToolSpec], *,
                 tool_choice: str = "auto", on_text: Callable[[str], None] | None = None) -> ModelTurn:
        params: dict[str, Any] = {
            "model": self.model, "max_tokens": self._max_tokens, "system": system,
            "messages": to_wire(messages),
        }
        if tools:
            params["tools"] = [{"name": t.name, "description": t.description, "input_schema": t.input_schema}
                               for t in tools]
            params["tool_choice"] = {"type": tool_choice}

        def once() -> AnthropicMessage:
            try:
                if on_text is None:
                    message: AnthropicMessage = self._client.messages.create(**params)
                    return message
                with self._client.messages.stream(**params) as stream:
                    for text in stream.text_stream:
                        on_text(text)
                    return stream.get_final_message()
            except self._sdk.AnthropicError as exc:
                raise translate_sdk_error(exc, self._sdk, "anthropic API") from exc

        return from_wire(with_retries(once, label="anthropic API", attempts=self._attempts,
                                      base_wait=self._base_wait))


def to_wire(messages: list[Message]) -> list[dict[str, Any]]:
    """Consecutive user-side entries (text and tool results) merge into one user message."""
    wire: list[dict[str, Any]] = []
    for msg in messages:
        if msg.role == "assistant":
            blocks: list[dict[str, Any]] = [{"type": "text", "text": msg.text}] if msg.text else []
            blocks += [{"type": "tool_use", "id": c.id, "name": c.name, "input": c.args} for c in msg.tool_calls]
            wire.append({"role": "assistant", "content": blocks or [{"type": "text", "text": "(no answer)"}]})
            continue
        content: list[dict[str, Any]] = [
            {"type": "tool_result", "tool_use_id": r.call_id, "content": r.content, "is_error": r.is_error}
            for r in msg.tool_results
        ]
        if msg.text:
            content.append({"type": "text", "text": msg.text})
        if wire and wire[-1]["role"] == "user":
            wire[-1]["content"].extend(content)
        else:
            wire.append({"role": "user", "content": content})
    return wire


def from_wire(resp: AnthropicMessage) -> ModelTurn:
    texts, calls = [], []
    for block in getattr(resp, "content", None) or []:
        kind = getattr(block, "type", "")
        if kind == "text":
            texts.append(block.text)
        elif kind == "tool_use":
            args = block.input
            if isinstance(args, str):  # some compatible servers send the input as a JSON string
                try:
                    args = json.loads(args)
                except json.JSONDecodeError:
                    calls.append(ToolCall(id=block.id, name=block.name, args={},
                                          error=f"the arguments were not valid JSON: {args[:200]}"))
                    continue
            if not isinstance(args, dict):
                calls.append(ToolCall(id=block.id, name=block.name, args={},
                                      error="the arguments must be a JSON object"))
                continue
            calls.append(ToolCall(id=block.id, name=block.name, args=args))
    if resp is None or not hasattr(resp, "content"):
        raise ProviderError("anthropic API: the response has no content")
    usage = getattr(resp, "usage", None)
    return ModelTurn(
        text="".join(texts), tool_calls=calls, finish=str(getattr(resp, "stop_reason", "") or ""),
        usage=Usage(input_tokens=getattr(usage, "input_tokens", 0) or 0,
                    output_tokens=getattr(usage, "output_tokens", 0) or 0),
    )
