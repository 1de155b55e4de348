"""Record and replay provider HTTP with vcrpy, so the whole loop runs with no network and no key.

Replay matches method and path, in order, so a cassette still replays after a prompt is reworded.
Recording filters key headers out of requests and cookies out of responses, and redacts bodies.
Every cassette starts with a comment line saying whether it was `recorded` or `synthesized`.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from reign.errors import ReignError

_KEY_HEADER = re.compile(r"(^authorization$|^x-api-key$|key|token|secret|^cookie$|organization|project)", re.I)
_DROP_RESPONSE_HEADERS = re.compile(r"^(set-cookie|openai-organization|openai-project|anthropic-organization-id"
                                    r"|x-request-id|request-id|cf-ray)$", re.I)


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


@contextmanager
def cassette(path: Path, *, record: bool = False, provider: str = "") -> Iterator[None]:
    """Replay `path` (record mode none) or, with record=True, record a live session into it."""
    import vcr

    if not record and not path.is_file():
        raise ReignError(f"cassette not found: {path}")
    recorder = vcr.VCR(
        record_mode="all" if record else "none",
        match_on=["method", "path"],
        filter_headers=["authorization", "x-api-key", "api-key", "openai-organization", "cookie"],
        before_record_request=_scrub_request,
        before_record_response=_scrub_response,
        decode_compressed_response=True,
    )
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
