"""Builders shared by tests: the real wiring (reign.wiring) around a scripted provider."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from reign.agent import Agent, Limits
from reign.approval import Approver, NonInteractive
from reign.config import Settings
from reign.wiring import Options, build_agent


def make_agent(provider: Any, settings: Settings, *, approver: Approver | None = None,
               audit_path: Path | None = None, limits: Limits | None = None) -> Agent:
    """What `reign run` builds, with a short system prompt and an audit trail only when asked for."""
    return build_agent(settings, provider, Options(approver=approver or NonInteractive(), session="test-session",
                                                   audit=audit_path is not None, audit_path=audit_path,
                                                   limits=limits or Limits(), system="test"))
