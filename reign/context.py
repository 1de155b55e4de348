"""What a tool implementation may know about the run it is part of."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from reign.config import Settings


@dataclass
class ToolContext:
    settings: Settings
    cwd: Path = field(default_factory=Path.cwd)
    approved_digest: str | None = None  # hash of the approved call (+ preview), when the call was asked
    approved_preview: str | None = None  # the exact plan/diff text the user approved, to re-check before acting
    session: str = ""
    toolset: Any = None  # reign.toolset.Toolset of the running session, for `use_tools`
