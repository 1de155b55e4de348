"""Moved to reign.toolcontext (the name no longer collides with kube contexts and GateContext).
Kept as a re-export while other branches still import it; remove once nothing does."""

from reign.toolcontext import ToolContext

__all__ = ["ToolContext"]
