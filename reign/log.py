"""structlog step logs: off unless asked for (`-v`, REIGN_LOG_LEVEL), to stderr or REIGN_LOG_FILE.
Errors (a tool that crashed: a bug) are always logged.

A person reading a run wants the run, not JSON; the logs are for debugging and for machines, so they
are opt-in. JSON when the target is not a terminal, readable lines when it is.
"""

from __future__ import annotations

import logging
import sys
from pathlib import Path
from typing import Any, TextIO

_LEVELS = {"debug": logging.DEBUG, "info": logging.INFO, "warning": logging.WARNING, "error": logging.ERROR}


class _Deferred:
    """The logger, configured on its first use: a run's first record comes after its first model request,
    so importing structlog (~0.15 s) does not delay that request."""

    def __init__(self, configure_now: Any) -> None:
        self._configure_now = configure_now
        self._logger: Any = None

    def __getattr__(self, name: str) -> Any:
        if self._logger is None:
            self._logger = self._configure_now()
        return getattr(self._logger, name)


def configure_later(verbose: bool = False, json: bool | None = None, *, level: str | None = None,
                    file: Path | None = None) -> Any:
    """Like configure, but structlog is set up at the first record; bad settings still fail now."""
    level = _checked_level(level)
    return _Deferred(lambda: configure(verbose, json, level=level, file=file))


def _checked_level(level: str | None) -> str | None:
    import os

    from reign.errors import ReignError

    if level is None:  # callers without settings at hand (reign mcp serve) still honour REIGN_LOG_LEVEL
        level = os.environ.get("REIGN_LOG_LEVEL", "").strip().lower() or None
    if level is not None and level not in _LEVELS:
        raise ReignError(f"REIGN_LOG_LEVEL must be one of {', '.join(_LEVELS)}, not {level!r}")
    return level


def configure(verbose: bool = False, json: bool | None = None, *, level: str | None = None,
              file: Path | None = None) -> Any:
    import structlog

    from reign.errors import ReignError

    level = _checked_level(level)
    target: TextIO = sys.stderr
    if file is not None:
        try:
            file.parent.mkdir(parents=True, exist_ok=True)
            target = file.open("a", encoding="utf-8")  # lives as long as the process
        except OSError as exc:
            raise ReignError(f"cannot write the log file {file} (REIGN_LOG_FILE): {exc.strerror or exc}") from None
    if level:
        threshold = _LEVELS[level]
    elif verbose or file is not None:
        threshold = logging.INFO
    else:
        threshold = logging.ERROR  # step logs (info) off; a tool that crashed (a bug) still shows
    as_json = (not target.isatty()) if json is None else json
    renderer: Any = structlog.processors.JSONRenderer() if as_json else structlog.dev.ConsoleRenderer(colors=False)
    structlog.configure(
        processors=[structlog.processors.add_log_level, structlog.processors.TimeStamper(fmt="iso"), renderer],
        wrapper_class=structlog.make_filtering_bound_logger(threshold),
        logger_factory=structlog.PrintLoggerFactory(file=target),
        cache_logger_on_first_use=False,
    )
    return structlog.get_logger("reign")
