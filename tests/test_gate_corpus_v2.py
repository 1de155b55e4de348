"""The gate's second corpus (tests/data/gate_corpus_v2.yaml, issue 11): tool calls and shell commands across
every manager. Catastrophic calls are denied (destructive operations off and on), risky calls are never
approvable unattended, at least 95% of everyday reads are allowed, and routine writes stay approvable by --yes."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml

from reign.policy import GateCall, GateContext, Policy, decide, load_checked_policy
from reign.types import Decision

CORPUS = yaml.safe_load((Path(__file__).parent / "data" / "gate_corpus_v2.yaml").read_text())
WORKSPACE = "/srv/work"


@pytest.fixture(scope="module")
def policy(tmp_path_factory: pytest.TempPathFactory) -> Policy:
    return load_checked_policy(cwd=tmp_path_factory.mktemp("cwd"))


@pytest.fixture(scope="module")
def effects() -> dict[str, tuple[str, str]]:
    from reign.catalogue import Catalogue

    return {t.name: (t.effect, t.manager) for t in Catalogue.load([], check_schemas=False).tools.values()}


def _decide(entry: dict[str, Any], policy: Policy, effects: dict[str, tuple[str, str]], *, on: bool) -> Decision:
    overrides = {k: tuple(v) if isinstance(v, list) else v for k, v in (entry.get("context") or {}).items()}
    ctx = GateContext(home="/root", workspace_root=WORKSPACE, allow_destructive=on, **overrides)
    if "sh" in entry:
        return decide(GateCall(tool="bash", args={"command": entry["sh"]}), policy, ctx)
    effect, manager = effects.get(entry["tool"], ("destructive" if "delete" in entry["tool"] else "write",
                                                  entry["tool"].split("_")[0]))
    return decide(GateCall(tool=entry["tool"], args=entry["args"], effect=effect, manager=manager), policy, ctx)


def _name(entry: dict[str, Any]) -> str:
    return entry.get("sh") or f"{entry['tool']} {entry['args']}"


def test_corpus_size_covers_every_manager_and_both_paths() -> None:
    entries = [e for section in CORPUS.values() for e in section]
    assert len(entries) >= 300
    shell = [e for e in entries if "sh" in e]
    tools = {e["tool"].split("_")[0] for e in entries if "tool" in e}
    assert len(shell) >= 100 and len(entries) - len(shell) >= 100
    assert {"k8s", "helm", "docker", "terraform", "github", "cicd"} <= tools
    for program in ("kubectl", "helm", "docker", "terraform", "gh", "git", "curl"):
        assert any(e["sh"].split()[0] == program or f" {program} " in e["sh"] for e in shell), program


@pytest.mark.parametrize("on", [False, True], ids=["destructive-off", "destructive-on"])
def test_every_catastrophic_call_is_denied(policy: Policy, effects: dict[str, tuple[str, str]], on: bool) -> None:
    wrong = [f"{_name(e)}: {d.action} by {d.rule}" for e in CORPUS["catastrophic"]
             if (d := _decide(e, policy, effects, on=on)).action != "deny"]
    assert not wrong, "\n".join(wrong)


@pytest.mark.parametrize("on", [False, True], ids=["destructive-off", "destructive-on"])
def test_no_risky_call_is_approvable_unattended(policy: Policy, effects: dict[str, tuple[str, str]], on: bool) -> None:
    wrong = [f"{_name(e)}: {d.action} {d.effect} {d.severity} by {d.rule}" for e in CORPUS["risky"]
             if (d := _decide(e, policy, effects, on=on)).unattended != "refuse" or d.action == "allow"]
    assert not wrong, "\n".join(wrong)


def test_destructive_calls_are_denied_when_off_and_asked_when_on(policy: Policy,
                                                                  effects: dict[str, tuple[str, str]]) -> None:
    seen = 0
    for entry in CORPUS["risky"]:
        off = _decide(entry, policy, effects, on=False)
        if off.effect != "destructive":
            continue
        seen += 1
        assert off.action == "deny", _name(entry)
        if off.rule == "destructive-off":
            assert "REIGN_ALLOW_DESTRUCTIVE" in off.reason
            on = _decide(entry, policy, effects, on=True)
            assert (on.action, on.unattended) == ("ask", "refuse"), (_name(entry), on)
    assert seen >= 20


def test_everyday_reads_are_allowed(policy: Policy, effects: dict[str, tuple[str, str]]) -> None:
    decisions = [(e, _decide(e, policy, effects, on=False)) for e in CORPUS["reads"]]
    refused = [f"{_name(e)}: {d.action} by {d.rule}: {d.reason}" for e, d in decisions if d.action != "allow"]
    assert len(refused) <= len(decisions) * 0.05, "\n".join(refused)
    assert all(d.unattended == "run" for _, d in decisions if d.action == "allow")


def test_routine_writes_stay_approvable_by_yes(policy: Policy, effects: dict[str, tuple[str, str]]) -> None:
    wrong = [f"{_name(e)}: {d.action} {d.effect} {d.severity} by {d.rule}: {d.reason}" for e in CORPUS["routine"]
             if (d := _decide(e, policy, effects, on=False)).unattended != "run"]
    assert not wrong, "\n".join(wrong)
