"""The provider seam: messages and tool schemas in; text, tool calls and usage out.

Retries live here, once for every adapter: 429, 5xx and timeouts are retried with tenacity
(honouring `retry-after`); other 4xx are not. The SDKs' own retries are off so that a cassette
miss is reported as one, not hidden behind five silent attempts.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Protocol, TypeVar

from reign.errors import ReignError
from reign.types import Message, ModelTurn, ToolSpec

T = TypeVar("T")
MAX_RETRY_AFTER = 60.0


class Provider(Protocol):
    name: str
    model: str

    def complete(self, system: str, messages: list[Message], tools: list[ToolSpec], *,
                 tool_choice: str = "auto", on_text: Callable[[str], None] | None = None) -> ModelTurn:
        """One request. `tool_choice="none"` forbids tool calls (the last step). `on_text` streams text."""
        ...


class ProviderError(ReignError):
    """The provider could not answer: one clear line for the user, the run stops with `error`."""


class Retryable(Exception):
    def __init__(self, message: str, retry_after: float | None) -> None:
        super().__init__(message)
        self.retry_after = retry_after


def cassette_miss(exc: BaseException) -> str | None:
    """The vcrpy error behind an SDK connection error, if that is what it is."""
    seen: BaseException | None = exc
    while seen is not None:
        if type(seen).__name__ == "CannotOverwriteExistingCassetteException":
            first = str(seen).splitlines()[0] if str(seen) else ""
            why = _closest_difference(seen)
            return (f"cassette miss: the cassette has no recorded response for this request ({first})"
                    + (f"; the next recorded request differs: {why}" if why else ""))
        seen = seen.__cause__ or seen.__context__
    return None


def _closest_difference(miss: Any) -> str:
    """Why the next unplayed recorded request did not match (e.g. "tool results [] where [...] belong")."""
    cassette = getattr(miss, "cassette", None)
    data = getattr(cassette, "data", None) or []
    plays = getattr(cassette, "play_counts", {})
    for request, _, failed in getattr(miss, "similar_requests", None) or []:
        index = next((i for i, (recorded, _) in enumerate(data) if recorded is request), -1)
        if index >= 0 and not plays.get(index):
            return "; ".join(str(reason) for _, reason in failed)
    return ""


def parse_retry_after(value: str | None) -> float | None:
    if not value:
        return None
    try:
        return max(0.0, min(float(value), MAX_RETRY_AFTER))
    except ValueError:
        return None  # an HTTP date: fall back to our own backoff


def with_retries(call: Callable[[], T], *, label: str, attempts: int, base_wait: float = 1.0) -> T:
    """Run `call`, retrying `Retryable` failures; other exceptions pass straight through."""
    from tenacity import RetryCallState, Retrying, retry_if_exception_type, stop_after_attempt

    def wait(state: RetryCallState) -> float:
        exc = state.outcome.exception() if state.outcome else None
        if isinstance(exc, Retryable) and exc.retry_after is not None:
            return exc.retry_after
        return float(min(base_wait * 2 ** (state.attempt_number - 1), 30.0))

    def guarded() -> T:
        try:
            return call()
        except (Retryable, ReignError):
            raise
        except Exception as exc:  # e.g. a vcrpy miss raised directly, a body that is not JSON
            miss = cassette_miss(exc)
            raise ProviderError(f"{label}: {miss or f'unexpected failure: {type(exc).__name__}: {exc}'}") from exc

    retrying = Retrying(
        retry=retry_if_exception_type(Retryable),
        stop=stop_after_attempt(max(1, attempts)),
        wait=wait,
        reraise=True,
    )
    try:
        return retrying(guarded)
    except Retryable as exc:
        raise ProviderError(f"{label}: {exc} (gave up after {attempts} attempts)") from None


def translate_sdk_error(exc: Exception, sdk: Any, label: str) -> Exception:
    """Map an anthropic/openai SDK exception (same class names in both) to Retryable or ProviderError."""
    miss = cassette_miss(exc)
    if miss:
        return ProviderError(f"{label}: {miss}")
    status_error = sdk.APIStatusError
    if isinstance(exc, status_error):
        status = int(getattr(exc, "status_code", 0))
        response = getattr(exc, "response", None)
        headers = getattr(response, "headers", {}) or {}
        detail = _error_detail(exc)
        if status == 429 or status >= 500:
            return Retryable(f"HTTP {status} {detail}".strip(), parse_retry_after(headers.get("retry-after")))
        hint = " (check the API key)" if status in (401, 403) else ""
        return ProviderError(f"{label} rejected the request: HTTP {status} {detail}{hint}".strip())
    if isinstance(exc, sdk.APITimeoutError):
        return Retryable("request timed out", None)
    if isinstance(exc, sdk.APIConnectionError):
        return Retryable(f"cannot connect ({exc})", None)
    return ProviderError(f"{label}: unexpected response: {exc}")


def _error_detail(exc: Exception) -> str:
    body = getattr(exc, "body", None)
    if isinstance(body, dict):
        err = body.get("error", body)
        if isinstance(err, dict):
            kind, msg = err.get("type", ""), err.get("message", "")
            return f"{kind}: {msg}".strip(": ")
    return str(getattr(exc, "message", "") or "")[:200]
