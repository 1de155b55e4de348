"""The Model Context Protocol in both directions, always behind Reign's gate.

`reign.mcp.server`: `reign mcp serve` offers the catalogue's tools to MCP clients.
`reign.mcp.client`: MCP servers from the config join the catalogue as `<prefix>_<tool>`.
Both import the `mcp` SDK lazily: nothing here is imported when `reign --help` runs.
"""
