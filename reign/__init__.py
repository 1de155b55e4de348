"""Reign: an AI agent that operates infrastructure behind a safety-policy gate.

`from reign import Reign` is the Python API (reign.api); it is imported on first use so that the
CLI's start-up does not pay for it.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from reign.api import Event, Reign, RunStream

__all__ = ["Event", "Reign", "RunStream"]


def __getattr__(name: str) -> Any:
    if name in __all__:
        from reign import api

        return getattr(api, name)
    raise AttributeError(f"module 'reign' has no attribute {name!r}")
