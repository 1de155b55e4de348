"""What a tool implementation may know about the run it is part of (`ctx`, injected by the executor)."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from reign.config import Settings
from reign.errors import ToolError

if TYPE_CHECKING:
    from reign.toolset import Toolset

STALE = "what would be done changed since it was approved; ask again"


@dataclass(frozen=True)
class ToolContext:
    settings: Settings
    cwd: Path = field(default_factory=Path.cwd)
    approved_digest: str | None = None  # hash of the approved call (+ preview), when the call was asked
    approved_preview: str | None = None  # the exact plan/diff text the user approved, to re-check before acting
    session: str = ""
    toolset: Toolset | None = None  # the running session's tool loading, for `use_tools`

    def check_approved(self, preview: str, stale: str = STALE) -> None:
        """Refuse to act when the call was approved on a preview (plan, diff) other than what would be done now:
        the world moved between the question and the answer. A call that was not asked has nothing to check."""
        if self.approved_preview is not None and self.approved_preview != preview:
            raise ToolError(stale)
