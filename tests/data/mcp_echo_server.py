"""A small MCP server (the SDK's MCPServer, formerly FastMCP) for the tests of Reign as an MCP client.

`note` appends to the file named by MCP_ECHO_NOTES, so a test can tell whether a call really ran.
"""

from __future__ import annotations

import os
from pathlib import Path

from mcp.server.mcpserver import MCPServer

server = MCPServer("echo")


@server.tool()
def echo(text: str) -> str:
    """Say the text back."""
    return f"echo: {text}"


@server.tool()
def note(text: str) -> str:
    """Append a line to the notes file."""
    with Path(os.environ["MCP_ECHO_NOTES"]).open("a") as fh:
        fh.write(text + "\n")
    return "noted"


@server.tool()
def fail(reason: str = "no reason") -> str:
    """Always fails."""
    raise ValueError(f"failed on purpose: {reason}")


if __name__ == "__main__":
    server.run()
