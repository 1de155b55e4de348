"""Builds a run from settings: catalogue, policy gate, audit trail, provider and the loop.

The CLI and the tests share this, so that what the tests drive is what a user runs.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from reign.agent import Agent, Limits
from reign.approval import Approver, NonInteractive
from reign.catalogue import Catalogue, shipped_dir
from reign.config import Settings
from reign.executor import Executor
from reign.policy import PolicyGate, gate_context, load_checked_policy
from reign.providers.base import Provider
from reign.toolset import Toolset


@dataclass
class Options:
    policy_files: list[Path] = field(default_factory=list)
    approver: Approver = field(default_factory=NonInteractive)
    audit: bool = True
    session: str = ""
    log: Any = None


def system_prompt() -> str:
    return (shipped_dir("prompts") / "system.md").read_text()


def new_session_id() -> str:
    return uuid.uuid4().hex[:12]


def load_catalogue(settings: Settings) -> Catalogue:
    """The catalogue files, plus the tools of the MCP servers in `mcp_servers` (started once per process)."""
    catalogue = Catalogue.load(settings.tools_dirs)
    if settings.mcp_servers:
        from reign.mcp.client import attach

        attach(catalogue, settings)
    return catalogue


def build_agent(settings: Settings, provider: Provider, opts: Options) -> Agent:
    catalogue = load_catalogue(settings)
    policy = load_checked_policy([*settings.policy_files, *opts.policy_files])
    session = opts.session or new_session_id()
    audit: Any = None
    if opts.audit:
        from reign.audit import open_trail

        audit = open_trail(settings, session)
    executor = Executor(catalogue=catalogue, gate=PolicyGate(policy, gate_context(settings)),
                        approver=opts.approver, settings=settings, session=session,
                        **({"audit": audit} if audit is not None else {}))
    toolset = Toolset(catalogue, read_only=settings.read_only, lazy=settings.tool_loading == "lazy")
    executor.toolset = toolset
    return Agent(provider=provider, executor=executor, system=system_prompt(), tools=toolset.specs,
                 limits=Limits(settings.max_steps, settings.token_budget, settings.time_limit), log=opts.log)
