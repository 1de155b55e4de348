"""Which tool schemas each request carries. Tokens are a budget paid on every request, so by default
the model starts with the tools marked `loading: always` (bash) and the loader (`loading: loader`:
use_tools), and a manager's schemas are sent only once the model asks for that manager
(`tool_loading = "lazy"`); `"eager"` sends every available schema every time, and no loader.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from reign.catalogue import Catalogue, Tool
from reign.errors import ToolError
from reign.toolcontext import ToolContext
from reign.types import ToolSpec


@dataclass
class Toolset:
    catalogue: Catalogue
    read_only: bool = False
    lazy: bool = True
    loaded: set[str] = field(default_factory=set)  # managers loaded (a resumed session starts with its own)

    def available(self) -> list[Tool]:
        return self.catalogue.offered(read_only=self.read_only)

    def managers(self) -> dict[str, list[Tool]]:
        groups: dict[str, list[Tool]] = {}
        for tool in self.available():
            if tool.loading == "manager":
                groups.setdefault(tool.manager, []).append(tool)
        return groups

    def specs(self) -> list[ToolSpec]:
        tools = self.available()
        if not self.lazy:
            return [t.spec() for t in tools if t.loading != "loader"]
        chosen = [t for t in tools if t.loading != "manager" or t.manager in self.loaded]
        return [self._loader_spec(t.spec()) if t.loading == "loader" else t.spec() for t in chosen]

    def _loader_spec(self, base: ToolSpec) -> ToolSpec:
        """The loader's schema lists the managers not loaded yet (an enum, so the model cannot guess)."""
        groups = self.managers()
        menu = "; ".join(f"{m} ({len(ts)} tools)" for m, ts in sorted(groups.items()) if m not in self.loaded)
        schema = dict(base.input_schema)
        schema["properties"] = {"managers": {"type": "array", "minItems": 1,
                                             "items": {"type": "string", "enum": sorted(groups) or ["none"]}}}
        return ToolSpec(name=base.name, description=f"{base.description} Not loaded yet: {menu or 'none'}.",
                        input_schema=schema)

    def load(self, managers: list[str]) -> dict[str, Any]:
        groups = self.managers()
        unknown = [m for m in managers if m not in groups]
        if unknown:
            raise ToolError(f"no such manager (or unavailable here): {', '.join(unknown)}; "
                            f"available: {', '.join(sorted(groups))}")
        self.loaded.update(managers)
        return {m: [f"{t.name}: {t.description.split('. ')[0]}" for t in groups[m]] for m in managers}


def use_tools(*, managers: list[str], ctx: ToolContext) -> dict[str, Any]:
    """Make a manager's tools callable from the next step on (`loading: loader` in tools/core.yaml)."""
    if not isinstance(ctx.toolset, Toolset):
        raise ToolError("tool loading is not available in this session")
    return {"loaded": ctx.toolset.load(managers), "note": "these tools can be called from now on"}
