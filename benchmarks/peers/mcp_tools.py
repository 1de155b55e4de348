"""Run INSIDE the kubernetes-mcp-server virtualenv: start the server over stdio with the MCP SDK's
client, `initialize`, `tools/list`, and print the tools and the server's instructions as JSON.

Usage: python mcp_tools.py COMMAND [ARGS...]
"""

from __future__ import annotations

import json
import os
import sys
from typing import Any


async def main(argv: list[str]) -> None:
    from mcp import ClientSession, StdioServerParameters
    from mcp.client.stdio import stdio_client

    params = StdioServerParameters(command=argv[0], args=argv[1:], env=dict(os.environ))
    async with stdio_client(params) as (read, write), ClientSession(read, write) as session:
        init = await session.initialize()
        listed = await session.list_tools()
        tools: list[dict[str, Any]] = []
        for tool in listed.tools:
            raw = tool.model_dump(mode="json", by_alias=True, exclude_none=True)
            tools.append(raw)
        server = getattr(init, "server_info", None) or getattr(init, "serverInfo", None)
        json.dump({"tools": tools, "instructions": getattr(init, "instructions", None) or "",
                   "server": server.model_dump(mode="json") if server is not None else {}}, sys.stdout)


if __name__ == "__main__":
    import anyio

    anyio.run(main, sys.argv[1:])
