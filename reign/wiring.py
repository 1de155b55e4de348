"""The one place a run is put together from settings: catalogue, policy gate, approver, executor, audit trail
and session journal. `reign run`, `reign chat`, `reign mcp serve` and the tests all build through here, so what
the tests drive is what a user runs, and every part gets what it needs when it is made: nothing is patched in
after it is built.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

from reign.agent import Agent, Limits
from reign.approval import Approver, NonInteractive, SessionMemory
from reign.catalogue import Catalogue, shipped_dir
from reign.config import Settings
from reign.executor import Audit, Executor, NoAudit
from reign.policy import PolicyGate, gate_context, load_checked_policy
from reign.providers.base import Provider
from reign.toolset import Toolset

if TYPE_CHECKING:
    from reign.sessions import Carried, Plan


@dataclass
class Options:
    """How to build: everything that is not a setting. The defaults are those of a plain `reign run`."""

    policy_files: list[Path] = field(default_factory=list)  # on top of settings.policy_files
    approver: Approver = field(default_factory=NonInteractive)
    audit: bool = True  # append to the hash-chained trail in settings.audit_dir
    session: str = ""  # the session id when there is no `plan` (empty: a new id)
    log: Any = None
    plan: Plan | None = None  # a stored session (reign.sessions): its id, journal and approvals; on resume
    #                           also its history, folder and loaded managers
    limits: Limits | None = None  # default: from settings
    system: str | None = None  # default: prompts/system.md
    audit_path: Path | None = None  # default: the trail file in settings.audit_dir
    cwd: Path | None = None  # default: the current directory (a resumed session: its own folder)


def system_prompt() -> str:
    return (shipped_dir("prompts") / "system.md").read_text()


def new_session_id() -> str:
    return uuid.uuid4().hex[:12]


def load_catalogue(settings: Settings) -> Catalogue:
    """The catalogue files, plus the tools of the MCP servers in `mcp_servers` (started once per process).
    Availability probes run with these settings (a resumed session's scope), not the environment's."""
    catalogue = Catalogue.load(settings.tools_dirs, settings=settings)
    if settings.mcp_servers:
        from reign.mcp.client import attach

        attach(catalogue, settings)
    return catalogue


def build_gate(settings: Settings, opts: Options) -> PolicyGate:
    """Every policy layer, its rules' examples checked; PolicyError names the rule that fails."""
    policies = opts.plan.policies if opts.plan is not None else opts.policy_files
    # settings: production follows the live kube context
    return PolicyGate(load_checked_policy([*settings.policy_files, *policies]), gate_context(settings), settings)


def build_executor(settings: Settings, opts: Options, *, catalogue: Catalogue | None = None,
                   gate: PolicyGate | None = None, toolset: Toolset | None = None,
                   memory: SessionMemory | None = None) -> Executor:
    """Catalogue -> validation -> gate -> approval -> manager -> redact -> cut, with its audit trail."""
    catalogue = catalogue if catalogue is not None else load_catalogue(settings)
    session = opts.plan.id if opts.plan is not None else opts.session or new_session_id()
    return Executor(catalogue=catalogue, gate=gate or build_gate(settings, opts), approver=opts.approver,
                    settings=settings, session=session, audit=_audit(settings, opts, session),
                    memory=memory if memory is not None else SessionMemory(),
                    cwd=opts.cwd or Path.cwd(), toolset=toolset)


def build_agent(settings: Settings, provider: Provider, opts: Options) -> Agent:
    """The loop around an executor. With `opts.plan`, the session is opened here (once the policy has loaded)
    and carried in."""
    catalogue = load_catalogue(settings)
    gate = build_gate(settings, opts)
    carried = _open(opts.plan, provider, catalogue)
    toolset = Toolset(catalogue, read_only=settings.read_only, lazy=settings.tool_loading == "lazy",
                      loaded=_still_served(catalogue, carried.managers, settings.read_only) if carried else set())
    if carried is not None and carried.cwd is not None and opts.cwd is None:
        opts = replace(opts, cwd=carried.cwd)
    executor = build_executor(settings, opts, catalogue=catalogue, gate=gate, toolset=toolset,
                              memory=carried.memory if carried else None)
    limits = opts.limits or Limits(settings.max_steps, settings.token_budget, settings.time_limit)
    return Agent(provider=provider, executor=executor, system=opts.system or system_prompt(), tools=toolset.specs,
                 limits=limits, log=opts.log, messages=carried.messages if carried else [],
                 journal=opts.plan.journal if opts.plan else None)


def _still_served(catalogue: Catalogue, managers: set[str], read_only: bool) -> set[str]:
    """The managers a resumed session had loaded that this machine still serves. Only these are probed: a
    manager the run has not loaded costs nothing at start-up."""
    return {t.manager for t in catalogue.tools.values() if t.manager in managers
            and (not read_only or t.effect == "read") and catalogue.unavailable_reason(t) is None}


def _open(plan: Plan | None, provider: Provider, catalogue: Catalogue) -> Carried | None:
    if plan is None:
        return None
    loaders = frozenset(t.name for t in catalogue.tools.values() if t.loading == "loader")
    return plan.open(provider=provider.name, model=provider.model, loaders=loaders)


def _audit(settings: Settings, opts: Options, session: str) -> Audit:
    if not opts.audit:
        return NoAudit()
    from reign.audit import open_trail

    return open_trail(settings, session, path=opts.audit_path)
