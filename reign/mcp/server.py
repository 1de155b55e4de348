"""Reign as an MCP server: `reign mcp serve` offers the catalogue's available tools to any MCP client.

Every call goes through the same `Executor` as a run: catalogue, argument validation, the policy gate,
approval, the manager, redaction and the audit trail. An `ask` decision becomes an MCP elicitation bound to
the call hash (a server-to-client request on handshake-era connections; an `InputRequiredResult` round trip
on 2026-07-28 connections, its sealed request state carrying the hash); a client that cannot elicit is
refused. Annotations (readOnlyHint, destructiveHint) come from each tool's effect. HTTP binds 127.0.0.1 only.
"""

from __future__ import annotations

import itertools
import json
import uuid
from dataclasses import dataclass, replace
from functools import partial
from pathlib import Path
from typing import Any

from reign.approval import Approval, ApprovalRequest
from reign.catalogue import Tool
from reign.config import Settings
from reign.types import ToolCall

APPROVAL_KEY = "reign-approval"
APPROVAL_SCHEMA: dict[str, Any] = {
    "type": "object",
    "properties": {
        "approve": {"type": "boolean", "title": "Run this call?"},
        "always": {"type": "boolean", "title": "Also allow this exact call for the rest of this session",
                   "default": False},
    },
    "required": ["approve"],
}
INSTRUCTIONS = ("Reign runs infrastructure tools behind a safety-policy gate. A denied call returns an error "
                "naming the rule; a call that needs approval is confirmed with the user through elicitation.")


def tool_annotations(tool: Tool) -> Any:
    import mcp_types as types

    return types.ToolAnnotations(title=tool.name, read_only_hint=tool.effect == "read",
                                 destructive_hint=tool.effect == "destructive",
                                 idempotent_hint=True if tool.effect == "read" else None)


class Service:
    """The tools, the gate and the audit trail of one `reign mcp serve` process (one audit session)."""

    def __init__(self, settings: Settings, policies: list[Path]) -> None:
        from reign.wiring import Options, build_executor, load_catalogue, new_session_id

        catalogue = load_catalogue(settings)
        # every available tool but the loader: lazy schema loading means nothing to an MCP client
        self.catalogue = catalogue.subset(t.name for t in catalogue.offered(read_only=settings.read_only)
                                          if t.loading != "loader")
        self.session = f"mcp-{new_session_id()}"
        options = Options(policy_files=policies, session=self.session,
                          cwd=Path(settings.workspace_root))  # MCP clients start servers anywhere
        self.executor = build_executor(settings, options, catalogue=self.catalogue)
        self._steps = itertools.count(1)

    def tools(self) -> list[Any]:
        import mcp_types as types

        return [types.Tool(name=t.name, description=t.description, input_schema=t.input_schema,
                           annotations=tool_annotations(t)) for t in self.catalogue.tools.values()]

    async def call(self, ctx: Any, params: Any) -> Any:
        import anyio
        import mcp_types as types
        from mcp_types.version import MODERN_PROTOCOL_VERSIONS

        approver = ElicitingApprover(ctx, params, modern=ctx.protocol_version in MODERN_PROTOCOL_VERSIONS)
        executor = replace(self.executor, approver=approver)  # shares catalogue, gate, audit and memory
        call = ToolCall(id=f"mcp-{uuid.uuid4().hex[:12]}", name=params.name, args=dict(params.arguments or {}))
        result, _ = await anyio.to_thread.run_sync(executor.execute, call, next(self._steps))
        if approver.pending is not None:
            ask = types.ElicitRequest(params=types.ElicitRequestFormParams(
                message=approval_message(approver.pending), requested_schema=APPROVAL_SCHEMA))
            return types.InputRequiredResult(input_requests={APPROVAL_KEY: ask},
                                             request_state=approver.pending.digest)
        return types.CallToolResult(content=[types.TextContent(text=result.content)], is_error=result.is_error)


@dataclass
class ElicitingApprover:
    """Asks the MCP client's user about one `ask` call. Runs in the executor's worker thread."""

    ctx: Any
    params: Any
    modern: bool
    pending: ApprovalRequest | None = None  # 2026-07-28: the client must be asked, then retry the call

    def approve(self, request: ApprovalRequest) -> Approval:
        caps = self.ctx.session.client_capabilities
        if caps is None or caps.elicitation is None:
            return Approval(False, "refused", "needs approval, and this MCP client cannot ask its user "
                                              "(no elicitation support); run it from `reign chat` instead")
        if self.modern:
            import mcp_types as types

            answer = (self.params.input_responses or {}).get(APPROVAL_KEY)
            if not isinstance(answer, types.ElicitResult) or self.params.request_state != request.digest:
                self.pending = request  # no answer yet, or an answer about another call (or preview)
                return Approval(False, "refused", "awaiting the user's answer through MCP elicitation")
            return verdict(answer)
        import anyio.from_thread

        ask = partial(self.ctx.session.elicit_form, approval_message(request), APPROVAL_SCHEMA,
                      self.ctx.request_id)
        try:
            return verdict(anyio.from_thread.run(ask))
        except Exception as exc:
            return Approval(False, "refused", f"could not ask the user through MCP elicitation: {exc}")


def verdict(answer: Any) -> Approval:
    content = answer.content or {}
    if answer.action == "accept" and content.get("approve") is True:
        if content.get("always") is True:
            return Approval(True, "session", "approved through MCP elicitation, for this session")
        return Approval(True, "once", "approved through MCP elicitation")
    return Approval(False, "refused", "the user declined" if answer.action != "cancel" else "the user cancelled")


def approval_message(request: ApprovalRequest) -> str:
    from reign.redact import redact

    lines = [f"Reign's policy asks before this call ({request.decision.rule}: {request.decision.reason}).",
             f"{request.call.name} ({request.effect})", json.dumps(request.call.args, indent=2, ensure_ascii=False)]
    if request.preview:
        lines += ["preview:", request.preview]
    lines.append(f"call hash {request.digest[:16]}")
    return redact("\n".join(lines))


def build_server(service: Service) -> Any:
    import mcp_types as types
    from mcp.server.lowlevel.server import Server
    from mcp.server.request_state import RequestStateBoundary, RequestStateSecurity

    async def list_tools(ctx: Any, params: Any) -> types.ListToolsResult:
        return types.ListToolsResult(tools=service.tools())

    server: Server[Any] = Server("reign", version=_version(), instructions=INSTRUCTIONS,
                                 on_list_tools=list_tools, on_call_tool=service.call)
    # the approval round trip's state is sealed and bound to this tool call by the SDK
    server.middleware.append(RequestStateBoundary(RequestStateSecurity.ephemeral(), default_audience="reign"))
    return server


def serve(settings: Settings, *, policies: list[Path], http: bool = False, port: int = 8765) -> None:
    """Serve until the client goes away (stdio) or Ctrl-C (HTTP). Nothing but MCP is written to stdout."""
    from reign.log import configure

    configure()  # structlog to stderr: stdout is the protocol
    service = Service(settings, policies)
    server = build_server(service)
    if http:
        import uvicorn

        app = server.streamable_http_app(host="127.0.0.1")
        uvicorn.run(app, host="127.0.0.1", port=port, log_level="warning")
        return
    import anyio
    from mcp.server.stdio import stdio_server

    async def run() -> None:
        async with stdio_server() as (read, write):
            await server.run(read, write, server.create_initialization_options())

    anyio.run(run)


def _version() -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("reign")
    except PackageNotFoundError:
        return "0"
