"""The Docker engine client: which host, one cached client per (host, timeout), engine errors as one-line ToolErrors."""

from __future__ import annotations

import functools
import os
import threading
from collections.abc import Callable
from typing import Any, ParamSpec, TypeVar

from reign.config import Settings
from reign.errors import ToolError, connection_reason, one_line
from reign.toolcontext import ToolContext

DEFAULT_HOST = "unix:///var/run/docker.sock"

_P = ParamSpec("_P")
_R = TypeVar("_R")
_clients: dict[tuple[str, int], Any] = {}
_clients_lock = threading.Lock()


# --------------------------------------------------------------------------- client and errors


def engine_host(ctx: ToolContext | Settings | None) -> str:
    settings = ctx.settings if isinstance(ctx, ToolContext) else ctx
    if settings is not None and settings.docker_host:
        return settings.docker_host
    return os.environ.get("DOCKER_HOST") or DEFAULT_HOST


def client_timeout(ctx: ToolContext | None) -> int:
    return int(ctx.settings.tool_timeout) + 5 if ctx is not None else 65


def engine_client(ctx: ToolContext | None) -> Any:
    """The cached DockerClient for this context's host (connects on first use)."""
    host, timeout = engine_host(ctx), client_timeout(ctx)
    key = (host, timeout)
    with _clients_lock:
        client = _clients.get(key)
    if client is not None:
        return client
    try:
        import docker
    except ImportError:
        raise ToolError("the docker Python SDK is not installed (pip install 'reign[docker]')") from None
    try:
        client = docker.from_env(timeout=timeout, environment={**os.environ, "DOCKER_HOST": host})
    except Exception as exc:
        raise ToolError(_unreachable(host, exc)) from exc
    with _clients_lock:
        _clients[key] = client
    return client


def _unreachable(host: str, exc: BaseException) -> str:
    return f"Docker engine unreachable at {host} ({connection_reason(exc)})"


def describe_engine_error(exc: BaseException, host: str) -> str:
    """One line for an SDK, HTTP or socket failure."""
    from docker import errors

    if isinstance(exc, errors.NotFound):
        return one_line(f"not found: {exc.explanation or exc}")
    if isinstance(exc, errors.APIError):
        status = exc.status_code
        return one_line(f"docker engine error ({status}): {exc.explanation or exc}")
    name = type(exc).__name__
    if name == "ReadTimeout":
        return f"Docker engine at {host} did not answer in time"
    if name in ("ConnectionError", "ConnectTimeout") or isinstance(exc, OSError):
        return _unreachable(host, exc)
    if isinstance(exc, errors.DockerException) and "fetching server API version" in str(exc):
        return _unreachable(host, exc)
    return one_line(f"docker: {exc}")


def is_engine_error(exc: BaseException) -> bool:
    module = type(exc).__module__
    return isinstance(exc, OSError) or module.startswith(("docker.", "requests.", "urllib3."))


def engine_errors(fn: Callable[_P, _R]) -> Callable[_P, _R]:
    """Turn engine, API and connection failures into a one-line ToolError."""

    @functools.wraps(fn)
    def wrapper(*args: _P.args, **kwargs: _P.kwargs) -> _R:
        try:
            return fn(*args, **kwargs)
        except ToolError:
            raise
        except Exception as exc:
            if not is_engine_error(exc):
                raise
            ctx = kwargs.get("ctx")
            host = engine_host(ctx if isinstance(ctx, ToolContext) else None)
            raise ToolError(describe_engine_error(exc, host)) from exc

    return wrapper


def available(settings: Settings) -> str | None:
    """None when the settings' engine answers a ping within 3 s, else a one-line reason."""
    host = engine_host(settings)
    try:
        import docker
    except ImportError:
        return "the docker Python SDK is not installed (pip install 'reign[docker]')"
    try:
        client = docker.from_env(version="1.24", timeout=3, environment={**os.environ, "DOCKER_HOST": host})
        try:
            client.ping()
        finally:
            client.close()
    except Exception as exc:
        return _unreachable(host, exc)
    return None
