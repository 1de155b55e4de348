"""Replay a vcrpy cassette through the real SDK for one run, without vcrpy's process-wide patching.

`reign serve --replay` runs many replayed runs at once, and vcrpy patches the HTTP library for the whole
process; so each run gets its own HTTP transport serving the cassette's responses in order (method and
path must match, as with `--cassette`). `position` is the next interaction: a recovered run sets it to
where its last recorded model turn left off.
"""

from __future__ import annotations

import threading
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

import httpx2
import yaml

from reign.config import Settings
from reign.errors import ReignError
from reign.providers.base import Provider


class CassetteTransport(httpx2.BaseTransport):
    def __init__(self, path: Path) -> None:
        try:
            data = yaml.safe_load(path.read_text())
        except (OSError, yaml.YAMLError) as exc:
            raise ReignError(f"cassette {path} cannot be read: {exc}") from None
        if not isinstance(data, dict) or not isinstance(data.get("interactions"), list):
            raise ReignError(f"cassette {path} is not a vcrpy cassette (no interactions)")
        self.path = path
        self.interactions: list[dict[str, Any]] = data["interactions"]
        self.position = 0
        self._lock = threading.Lock()

    def handle_request(self, request: httpx2.Request) -> httpx2.Response:
        with self._lock:
            for index in range(self.position, len(self.interactions)):
                recorded = self.interactions[index]
                wanted = recorded.get("request", {})
                if str(wanted.get("method", "")).upper() == request.method and \
                        urlparse(str(wanted.get("uri", ""))).path == request.url.path:
                    self.position = index + 1
                    return _response(recorded.get("response", {}), request)
        raise httpx2.ConnectError(f"cassette {self.path} has no response left for {request.method} "
                                  f"{request.url.path}", request=request)


def _response(recorded: dict[str, Any], request: httpx2.Request) -> httpx2.Response:
    body = recorded.get("body", {}).get("string", "")
    content = body.encode() if isinstance(body, str) else bytes(body or b"")
    headers = [(name, str(value)) for name, values in (recorded.get("headers") or {}).items()
               for value in (values if isinstance(values, list) else [values])]
    return httpx2.Response(int(recorded.get("status", {}).get("code", 200)), headers=headers, content=content,
                           request=request)


def replaying_provider(settings: Settings, path: Path) -> tuple[Provider, CassetteTransport]:
    """The configured provider's real SDK client, its HTTP served from `path`."""
    from reign.providers import make_provider

    if not path.is_file():
        raise ReignError(f"cassette not found: {path}")
    transport = CassetteTransport(path)
    provider = make_provider(settings, replaying=True, base_wait=0.01)
    client = getattr(provider, "_client", None)
    if client is None:
        raise ReignError(f"provider {settings.provider} cannot replay a cassette here")
    provider._client = client.with_options(http_client=httpx2.Client(transport=transport))  # type: ignore[attr-defined]
    return provider, transport
