"""Deciding the entries of the gate's YAML corpora (gate_corpus_v2.yaml, gate_redteam.yaml): the policy and
the catalogue's effects once per module, and one entry, a shell command (`sh`) or a tool call, decided with
destructive operations on or off."""

from __future__ import annotations

from typing import Any

import pytest

from reign.policy import GateCall, GateContext, Policy, decide, load_checked_policy
from reign.types import Decision

WORKSPACE = "/srv/work"
Effects = dict[str, tuple[str, str]]


@pytest.fixture(scope="module")
def policy(tmp_path_factory: pytest.TempPathFactory) -> Policy:
    return load_checked_policy(cwd=tmp_path_factory.mktemp("cwd"))


@pytest.fixture(scope="module")
def effects() -> Effects:
    from reign.catalogue import Catalogue

    return {t.name: (t.effect, t.manager) for t in Catalogue.load([], check_schemas=False).tools.values()}


def decide_entry(entry: dict[str, Any], policy: Policy, effects: Effects, *, on: bool,
                 unknown_tools: bool = False) -> Decision:
    """`unknown_tools`: a tool the catalogue lacks is taken as a write (a delete as destructive) of the manager
    its name starts with, instead of failing the test."""
    overrides = {k: tuple(v) if isinstance(v, list) else v for k, v in (entry.get("context") or {}).items()}
    ctx = GateContext(home="/root", workspace_root=WORKSPACE, allow_destructive=on, **overrides)
    if "sh" in entry:
        return decide(GateCall(tool="bash", args={"command": entry["sh"]}), policy, ctx)
    tool = entry["tool"]
    if unknown_tools:
        effect, manager = effects.get(tool, ("destructive" if "delete" in tool else "write", tool.split("_")[0]))
    else:
        effect, manager = effects[tool]
    return decide(GateCall(tool=tool, args=entry["args"], effect=effect, manager=manager), policy, ctx)


def name(entry: dict[str, Any]) -> str:
    return entry.get("sh") or f"{entry['tool']} {entry['args']}"
