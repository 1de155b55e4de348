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
        if not self.lazy:
            return [t.spec() for t in self.available() if t.loading != "loader"]
        # Only the tools sent are probed: a manager the run has not loaded costs nothing at start-up.
        chosen = [t for t in self._menu_tools() if (t.loading != "manager" or t.manager in self.loaded)
                  and self.catalogue.unavailable_reason(t) is None]
        return [self._loader_spec(t.spec()) if t.loading == "loader" else t.spec() for t in chosen]

    def _menu_tools(self) -> list[Tool]:
        return [t for t in self.catalogue.tools.values() if not self.read_only or t.effect == "read"]

    def menu(self) -> dict[str, list[Tool]]:
        """Managers by name with their tools, without asking whether this machine can serve them: a
        manager is probed when the model loads it (an unavailable one answers why)."""
        groups: dict[str, list[Tool]] = {}
        for tool in self._menu_tools():
            if tool.loading == "manager":
                groups.setdefault(tool.manager, []).append(tool)
        return groups

    def _loader_spec(self, base: ToolSpec) -> ToolSpec:
        """The loader's schema lists the managers not loaded yet (an enum, so the model cannot guess)."""
        groups = self.menu()
        menu = "; ".join(f"{m} ({len(ts)} tools)" for m, ts in sorted(groups.items()) if m not in self.loaded)
        schema = dict(base.input_schema)
        schema["properties"] = {"managers": {"type": "array", "minItems": 1,
                                             "items": {"type": "string", "enum": sorted(groups) or ["none"]}}}
        return ToolSpec(name=base.name, description=f"{base.description} Not loaded yet: {menu or 'none'}.",
                        input_schema=schema)

    def load(self, managers: list[str]) -> dict[str, Any]:
        menu = self.menu()
        unknown = [m for m in managers if m not in menu]
        if unknown:
            raise ToolError(f"no such manager: {', '.join(unknown)}; managers: {', '.join(sorted(menu))}")
        groups: dict[str, list[Tool]] = {}
        for manager in managers:  # probed now, when the model first asks for the manager
            served = [t for t in menu[manager] if self.catalogue.unavailable_reason(t) is None]
            if not served:
                reason = self.catalogue.unavailable_reason(menu[manager][0])
                raise ToolError(f"{manager} is unavailable on this machine: {reason}")
            groups[manager] = served
        self.loaded.update(managers)
        return {m: [f"{t.name}: {t.description.split('. ')[0]}" for t in groups[m]] for m in managers}


def use_tools(*, managers: list[str], ctx: ToolContext) -> dict[str, Any]:
    """Make a manager's tools callable from the next step on (`loading: loader` in tools/core.yaml)."""
    if not isinstance(ctx.toolset, Toolset):
        raise ToolError("tool loading is not available in this session")
    return {"loaded": ctx.toolset.load(managers), "note": "these tools can be called from now on"}
