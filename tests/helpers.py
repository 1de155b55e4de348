"""Builders shared by tests: the real catalogue, policy and executor around a scripted provider."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from reign.agent import Agent, Limits
from reign.approval import Approver, NonInteractive
from reign.audit import AuditTrail
from reign.catalogue import Catalogue
from reign.config import Settings
from reign.executor import Executor
from reign.policy import PolicyGate, gate_context, load_checked_policy
from reign.toolset import Toolset


def make_agent(provider: Any, settings: Settings, *, approver: Approver | None = None,
               audit_path: Path | None = None, limits: Limits | None = None) -> Agent:
    catalogue = Catalogue.load(settings.tools_dirs)
    gate = PolicyGate(load_checked_policy(settings.policy_files), gate_context(settings))
    kwargs: dict[str, Any] = {}
    if audit_path is not None:
        kwargs["audit"] = AuditTrail(audit_path, "test-session")
    executor = Executor(catalogue=catalogue, gate=gate, approver=approver or NonInteractive(),
                        settings=settings, session="test-session", **kwargs)
    toolset = Toolset(catalogue, read_only=settings.read_only, lazy=settings.tool_loading == "lazy")
    executor.toolset = toolset
    return Agent(provider=provider, executor=executor, system="test", limits=limits or Limits(),
                 tools=toolset.specs)
