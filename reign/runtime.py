"""Moved to reign.wiring. Kept as a re-export while other branches still import it; remove once nothing does."""

from reign.wiring import Options, build_agent, build_executor, load_catalogue, new_session_id, system_prompt

__all__ = ["Options", "build_agent", "build_executor", "load_catalogue", "new_session_id", "system_prompt"]
