"""Reign as an MCP client: each server in `mcp_servers` is started (stdio) and its tools join the catalogue
as `<prefix>_<tool>`, manager `mcp:<name>`, with the effect the config gives them (default `write`, so the
gate asks). Reign did not write these tools and does not trust their annotations: the effect is config.

One connection per server per process: a background thread runs an asyncio loop, and each server lives in
one task there (the SDK's contexts must be entered and left in the same task); calls are queued to it and
waited for synchronously. A server that fails to start shows in `reign tools` as unavailable, with why.
"""

from __future__ import annotations

import asyncio
import atexit
import concurrent.futures
import contextlib
import hashlib
import json
import re
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from reign.catalogue import Catalogue, Tool
from reign.errors import ToolError, one_line

if TYPE_CHECKING:
    from reign.config import McpServer, Settings

START_TIMEOUT = 30.0
_IMPL = "reign.mcp.client:call"
_AVAILABLE = "reign.mcp.client:available__"
_UNSAFE = re.compile(r"[^a-zA-Z0-9_]")
_ANY_OBJECT: dict[str, Any] = {"type": "object"}


@dataclass
class _Connection:
    """One running server: its tools once listed, or the reason it is not usable."""

    config: McpServer
    log: Path
    argv: list[str]
    timeout: float
    tools: list[Any] = field(default_factory=list)
    error: str | None = None
    ready: threading.Event = field(default_factory=threading.Event)
    queue: asyncio.Queue[tuple[str, dict[str, Any], concurrent.futures.Future[Any]] | None] | None = None
    task: concurrent.futures.Future[None] | None = None

    async def run(self) -> None:
        from mcp import Client, StdioServerParameters
        from mcp.client.stdio import stdio_client

        self.queue = asyncio.Queue()
        params = StdioServerParameters(command=self.argv[0], args=self.argv[1:], env=dict(self.config.env) or None)
        self.log.parent.mkdir(parents=True, exist_ok=True)
        try:
            with self.log.open("w") as errlog:
                async with Client(stdio_client(params, errlog=errlog), read_timeout_seconds=self.timeout) as client:
                    await self._list(client)
                    self.ready.set()
                    await self._serve(client)
        except Exception as exc:  # startup or connection failure: the tools become unavailable
            self.error = self.error or _describe(exc, self.log)
        finally:
            self.error = self.error or "the MCP server connection closed"
            self.ready.set()
            self._fail_pending()

    async def _list(self, client: Any) -> None:
        cursor: str | None = None
        for _ in range(100):
            page = await client.list_tools(cursor=cursor)
            self.tools.extend(page.tools)
            cursor = page.next_cursor
            if not cursor:
                return

    async def _serve(self, client: Any) -> None:
        assert self.queue is not None
        while (item := await self.queue.get()) is not None:
            name, args, future = item
            try:
                future.set_result(await client.call_tool(name, args))
            except Exception as exc:
                future.set_exception(exc)

    def _fail_pending(self) -> None:
        while self.queue is not None and not self.queue.empty():
            item = self.queue.get_nowait()
            if item is not None:
                item[2].set_exception(ToolError(f"MCP server {self.config.name}: {self.error}"))


class Hub:
    """The process's MCP connections, keyed by server config (so one per server however often asked)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._loop: asyncio.AbstractEventLoop | None = None
        self._connections: dict[str, _Connection] = {}

    def _event_loop(self) -> asyncio.AbstractEventLoop:
        if self._loop is None:
            loop = asyncio.new_event_loop()
            threading.Thread(target=loop.run_forever, name="reign-mcp", daemon=True).start()
            self._loop = loop
        return self._loop

    def start(self, config: McpServer, *, log: Path, timeout: float, argv: list[str] | None = None) -> str:
        """Start the server unless this process already has it; returns its key (see `wait`)."""
        key = _key(config)
        with self._lock:
            if key not in self._connections:
                conn = _Connection(config=config, log=log, argv=argv or [config.command, *config.args],
                                   timeout=timeout)
                conn.task = asyncio.run_coroutine_threadsafe(conn.run(), self._event_loop())
                self._connections[key] = conn
        return key

    def wait(self, key: str) -> _Connection:
        conn = self._connections[key]
        if not conn.ready.wait(START_TIMEOUT):
            conn.error = f"did not answer within {START_TIMEOUT:g}s (log: {conn.log})"
        return conn

    def reason(self, key: str) -> str | None:
        conn = self._connections.get(key)
        if conn is None:
            return "MCP server not started in this process"
        return None if conn.error is None else f"MCP server {conn.config.name}: {conn.error}"

    def call(self, key: str, tool: str, args: dict[str, Any]) -> Any:
        conn = self._connections.get(key)
        if conn is None or conn.error is not None or conn.queue is None or self._loop is None:
            raise ToolError(self.reason(key) or "MCP server unavailable")
        future: concurrent.futures.Future[Any] = concurrent.futures.Future()
        self._loop.call_soon_threadsafe(conn.queue.put_nowait, (tool, args, future))
        try:
            return future.result(timeout=conn.timeout + 5)
        except concurrent.futures.TimeoutError:
            raise ToolError(f"MCP server {conn.config.name}: no answer from {tool} within "
                            f"{conn.timeout:g}s") from None
        except ToolError:
            raise
        except Exception as exc:
            raise ToolError(f"MCP server {conn.config.name}: {tool} failed: {one_line(exc)}") from None

    def close(self) -> None:
        """Stop every server (their stdin closes and the SDK ends the processes), then the loop."""
        with self._lock:
            connections, self._connections = list(self._connections.values()), {}
            loop, self._loop = self._loop, None
        if loop is None:
            return
        for conn in connections:
            if conn.queue is not None:
                loop.call_soon_threadsafe(conn.queue.put_nowait, None)
        for conn in connections:
            if conn.task is not None:
                with contextlib.suppress(Exception):  # a server that fails to stop is left to the OS
                    conn.task.result(timeout=10)
        loop.call_soon_threadsafe(loop.stop)


_HUB = Hub()
atexit.register(_HUB.close)


def shutdown() -> None:
    """Close every MCP connection of this process (tests; the CLI relies on exit)."""
    _HUB.close()


def attach(catalogue: Catalogue, settings: Settings) -> None:
    """Start the configured servers and add their tools to `catalogue` (unavailable ones with why)."""
    from reign.config import state_dir

    keys = [_HUB.start(config, log=state_dir() / "mcp" / f"{config.name}.log", timeout=settings.tool_timeout,
                       argv=server_argv(config, settings))
            for config in settings.mcp_servers]  # all start at once; then each is waited for
    for config, key in zip(settings.mcp_servers, keys, strict=True):
        conn = _HUB.wait(key)
        prefix = config.prefix or config.name.replace("-", "_")
        common: dict[str, Any] = dict(effect=config.effect, impl=_IMPL, manager=f"mcp:{config.name}",
                                      source=Path(f"mcp:{config.name}"), available=_AVAILABLE + key)
        if conn.error is not None:
            catalogue.add(Tool(name=f"{prefix}_*", description=f"the tools of MCP server {config.name}",
                               input_schema=_ANY_OBJECT, **common))
            continue
        for remote in conn.tools:
            catalogue.add(Tool(name=tool_name(prefix, remote.name),
                               description=" ".join((remote.description or remote.name).split())[:600],
                               input_schema=_schema(remote.input_schema),
                               bound=(("__mcp_server__", key), ("__mcp_tool__", remote.name)), **common))


def server_argv(config: McpServer, settings: Settings) -> list[str]:
    """The server's command line under the OS sandbox, with the profile a tool call gets (workspace writable,
    credential stores and Reign's own state hidden, plus what the server's `sandbox` declares): a server is
    third-party code that lives as long as the session. Unchanged when the sandbox is off or missing (said
    once on stderr); a server starts before any call, so there is no unattended refusal here."""
    from reign import sandbox

    spec = sandbox.ToolSandbox(needs=tuple(config.sandbox.needs), writable=tuple(config.sandbox.writable),
                               network=config.sandbox.network)
    with sandbox.confined(sandbox.profile_for(settings, spec, unattended=False)):
        return sandbox.wrap([config.command, *config.args])


def call(*, __mcp_server__: str, __mcp_tool__: str, **args: Any) -> Any:
    """The implementation of every MCP tool: the arguments went through validation and the gate already."""
    result = _HUB.call(__mcp_server__, __mcp_tool__, args)
    text = "\n".join(_block_text(block) for block in result.content)
    if result.is_error:
        raise ToolError(text or f"{__mcp_tool__} failed")
    if text or result.structured_content is None:
        return text
    return result.structured_content


def tool_name(prefix: str, remote: str) -> str:
    return f"{prefix}_{_UNSAFE.sub('_', remote)}"[:64]


def __getattr__(name: str) -> Callable[[], str | None]:
    """`available__<key>`: the catalogue's availability probe of one server (each cached on its own)."""
    if name.startswith("available__"):
        key = name[len("available__"):]
        return lambda: _HUB.reason(key)
    raise AttributeError(name)


def _key(config: McpServer) -> str:
    identity = json.dumps([config.command, config.args, config.env], sort_keys=True)
    return f"{config.name}-{hashlib.sha256(identity.encode()).hexdigest()[:10]}"


def _schema(schema: Any) -> dict[str, Any]:
    if not isinstance(schema, dict) or schema.get("type") != "object":
        return dict(_ANY_OBJECT)
    from jsonschema import Draft202012Validator
    from jsonschema.exceptions import SchemaError

    try:
        Draft202012Validator.check_schema(schema)
    except SchemaError:
        return dict(_ANY_OBJECT)
    return dict(schema)


def _block_text(block: Any) -> str:
    kind = getattr(block, "type", "")
    if kind == "text":
        return str(block.text)
    resource = getattr(block, "resource", None)
    if resource is not None and getattr(resource, "text", None) is not None:
        return str(resource.text)
    return f"[{kind or 'content'} {getattr(block, 'mime_type', '') or ''}]".replace(" ]", "]")


def _describe(exc: BaseException, log: Path) -> str:
    while isinstance(exc, BaseExceptionGroup) and exc.exceptions:
        exc = exc.exceptions[0]
    tail = ""
    try:
        lines = [line for line in log.read_text(errors="replace").splitlines() if line.strip()]
        tail = f"; last stderr line: {lines[-1][:200]}" if lines else ""
    except OSError:
        pass
    return f"failed to start: {one_line(exc)}{tail} (log: {log})"
