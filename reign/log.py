"""structlog to stderr: JSON when not on a terminal, readable lines when on one."""

from __future__ import annotations

import logging
import sys
from typing import Any


class _Deferred:
    """The logger, configured on its first use: the first record comes after the first model request,
    so importing structlog (~0.15 s) no longer delays it."""

    def __init__(self, verbose: bool, json: bool | None) -> None:
        self._args = (verbose, json)
        self._logger: Any = None

    def __getattr__(self, name: str) -> Any:
        if self._logger is None:
            self._logger = _configure(*self._args)
        return getattr(self._logger, name)


def configure_later(verbose: bool = False, json: bool | None = None) -> Any:
    """Like configure, at the first log record (runs and chats: after their first model request)."""
    return _Deferred(verbose, json)


def configure(verbose: bool = False, json: bool | None = None) -> Any:
    return _configure(verbose, json)


def _configure(verbose: bool, json: bool | None) -> Any:
    import structlog

    as_json = (not sys.stderr.isatty()) if json is None else json
    renderer: Any = structlog.processors.JSONRenderer() if as_json else structlog.dev.ConsoleRenderer(colors=False)
    structlog.configure(
        processors=[structlog.processors.add_log_level, structlog.processors.TimeStamper(fmt="iso"), renderer],
        wrapper_class=structlog.make_filtering_bound_logger(logging.INFO if verbose or as_json else logging.WARNING),
        logger_factory=structlog.PrintLoggerFactory(file=sys.stderr),
        cache_logger_on_first_use=False,
    )
    return structlog.get_logger("reign")
