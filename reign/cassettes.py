"""Record and replay provider HTTP with vcrpy, so the whole loop runs with no network and no key.

Replay matches method, path and the request body's skeleton (`Skeleton`), in order: the tool calls the last
assistant message made, the results that answer them, and the tools the model relies on being offered. So a
loop that stopped sending tool results back, or echoed the wrong calls, misses its cassette; a reworded prompt
or goal, other tool output, headers, compacted history and a resumed session do not matter.
Recording filters key headers out of requests and cookies out of responses, and redacts bodies.
Every cassette starts with a comment line saying whether it was `recorded` or `synthesized`.
"""

from __future__ import annotations

import datetime as dt
import json
import re
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from reign.errors import ReignError

_KEY_HEADER = re.compile(r"(^authorization$|^x-api-key$|key|token|secret|^cookie$|organization|project)", re.I)
_DROP_RESPONSE_HEADERS = re.compile(r"^(set-cookie|openai-organization|openai-project|anthropic-organization-id"
                                    r"|x-request-id|request-id|cf-ray)$", re.I)


@dataclass(frozen=True)
class Skeleton:
    """What the loop must get right in a request to the model, whatever the words are."""

    calls: tuple[tuple[str, str], ...]  # (id, name) of the tool calls in the assistant message before the tail
    results: tuple[str, ...]  # ids the trailing tool results answer, in order
    tools: frozenset[str]  # names of the tools offered


def skeleton(body: bytes | str | None) -> Skeleton | None:
    """The skeleton of an Anthropic Messages or OpenAI Chat Completions request body; None when it has none
    (an empty body, as in cassettes made before bodies were kept)."""
    if not body:
        return None
    data = json.loads(body)
    messages = data.get("messages") or []
    tools = frozenset(str(t.get("name") or (t.get("function") or {}).get("name")) for t in data.get("tools") or [])
    if "system" in data or any(isinstance(m.get("content"), list) for m in messages):  # Anthropic
        last = messages[-1] if messages and messages[-1].get("role") == "user" else {"content": []}
        blocks = last["content"] if isinstance(last["content"], list) else []
        results = tuple(b["tool_use_id"] for b in blocks if b.get("type") == "tool_result")
        before = messages[-2]["content"] if len(messages) > 1 and messages[-2].get("role") == "assistant" else []
        calls = tuple((b["id"], b["name"]) for b in before if isinstance(b, dict) and b.get("type") == "tool_use")
        return Skeleton(calls, results, tools)
    tail = len(messages)
    while tail and messages[tail - 1].get("role") in ("tool", "user"):
        tail -= 1
    results = tuple(m["tool_call_id"] for m in messages[tail:] if m.get("role") == "tool")
    before = messages[tail - 1] if tail and messages[tail - 1].get("role") == "assistant" else {}
    calls = tuple((c["id"], c["function"]["name"]) for c in before.get("tool_calls") or [])
    return Skeleton(calls, results, tools)


def called_tools(path: Path) -> frozenset[str]:
    """Every tool name the recorded responses call (JSON bodies and event streams alike)."""
    import yaml

    names: set[str] = set()
    for item in (yaml.safe_load(path.read_text()) or {}).get("interactions") or []:
        text = str(((item.get("response") or {}).get("body") or {}).get("string") or "")
        names.update(re.findall(r'"type": ?"tool_use", ?"id": ?"[^"]*", ?"name": ?"(\w+)"', text))
        names.update(re.findall(r'"function": ?\{"name": ?"(\w+)"', text))
    return frozenset(names)


def body_matcher(called: frozenset[str]) -> Any:
    """A vcrpy matcher: the live request has the recorded skeleton, and offers every tool the recording offered
    that the cassette goes on to call (eager loading may offer more; a lost manager fails)."""

    def match(live: Any, recorded: Any) -> None:
        want = skeleton(recorded.body)
        if want is None:
            return
        got = skeleton(live.body)
        assert got is not None, "the request has no body"
        assert got.results == want.results, f"tool results {list(got.results)} where {list(want.results)} belong"
        assert got.calls == want.calls, f"tool calls echoed {list(got.calls)} where {list(want.calls)} belong"
        missing = (want.tools & called) - got.tools
        assert not missing, f"tools not offered: {sorted(missing)}"

    return match


def header_line(path: Path) -> str:
    try:
        with path.open() as fh:
            return fh.readline().strip()
    except OSError:
        return ""


def _scrub_request(request: Any) -> Any:
    for name in list(request.headers):
        if _KEY_HEADER.search(name):
            del request.headers[name]
    if request.body:
        from reign.redact import redact

        body = request.body.decode("utf-8", "replace") if isinstance(request.body, bytes) else request.body
        request.body = redact(body)
    return request


def _scrub_response(response: dict[str, Any]) -> dict[str, Any]:
    from reign.redact import redact

    headers = response.get("headers", {})
    for name in list(headers):
        if _DROP_RESPONSE_HEADERS.match(name) or _KEY_HEADER.search(name):
            del headers[name]
    body = response.get("body", {}).get("string")
    if isinstance(body, bytes):
        response["body"]["string"] = redact(body.decode("utf-8", "replace")).encode()
    elif isinstance(body, str):
        response["body"]["string"] = redact(body)
    return response


def check_shape(path: Path) -> None:
    """A cassette that is not YAML, or not a vcrpy cassette, is named with the fix, before vcrpy sees it."""
    import yaml

    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError) as exc:
        raise ReignError(f"cannot read cassette {path}: {exc}") from None
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" at line {mark.line + 1}" if mark is not None else ""
        raise ReignError(f"cassette {path} is not valid YAML{where}: {getattr(exc, 'problem', None) or exc}; "
                         "re-record it with --record or fix the file") from None
    interactions = data.get("interactions") if isinstance(data, dict) else None
    if not isinstance(interactions, list) or not all(
            isinstance(i, dict) and isinstance(i.get("request"), dict) and isinstance(i.get("response"), dict)
            for i in interactions):
        raise ReignError(f"cassette {path} is not a vcrpy cassette (expected `interactions:` with a request and a "
                         "response each); see cassettes/ for examples")


@contextmanager
def cassette(path: Path, *, record: bool = False, provider: str = "") -> Iterator[None]:
    """Replay `path` (record mode none) or, with record=True, record a live session into it."""
    import vcr

    if not record and not path.is_file():
        raise ReignError(f"cassette not found: {path}")
    if not record:
        check_shape(path)
    recorder = vcr.VCR(
        record_mode="all" if record else "none",
        match_on=["method", "path"] if record else ["method", "path", "reign_body"],
        filter_headers=["authorization", "x-api-key", "api-key", "openai-organization", "cookie"],
        before_record_request=_scrub_request,
        before_record_response=_scrub_response,
        decode_compressed_response=True,
    )
    if not record:
        recorder.register_matcher("reign_body", body_matcher(called_tools(path)))
    # Only the LLM SDKs' HTTP (httpx2 / httpx) is recorded: the tools' own clients (docker, kubernetes,
    # PyGithub: requests/urllib3) must reach their real engines while a model conversation replays.
    from vcr.patch import PATCHER_NAMES

    skip = tuple(n for n in PATCHER_NAMES if n not in ("httpx", "httpx2"))
    with recorder.use_cassette(str(path), allow_playback_repeats=False, skip_patchers=skip):
        yield
    if record and path.is_file():
        stamp = dt.datetime.now(dt.UTC).strftime("%Y-%m-%d")
        body = path.read_text()
        path.write_text(f"# reign cassette: recorded {stamp} from the live {provider or 'provider'} API\n{body}")
