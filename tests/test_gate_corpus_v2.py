"""The gate's second corpus (tests/data/gate_corpus_v2.yaml, issue 11): tool calls and shell commands across
every manager. Catastrophic calls are denied (destructive operations off and on), risky calls are never
approvable unattended, at least 95% of everyday reads are allowed, and routine writes stay approvable by --yes."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml
from gate_cases import decide_entry, name

from reign.policy import Policy

CORPUS = yaml.safe_load((Path(__file__).parent / "data" / "gate_corpus_v2.yaml").read_text())


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
    wrong = [f"{name(e)}: {d.action} by {d.rule}" for e in CORPUS["catastrophic"]
             if (d := decide_entry(e, policy, effects, on=on, unknown_tools=True)).action != "deny"]
    assert not wrong, "\n".join(wrong)


@pytest.mark.parametrize("on", [False, True], ids=["destructive-off", "destructive-on"])
def test_no_risky_call_is_approvable_unattended(policy: Policy, effects: dict[str, tuple[str, str]], on: bool) -> None:
    wrong = [f"{name(e)}: {d.action} {d.effect} {d.severity} by {d.rule}" for e in CORPUS["risky"]
             if (d := decide_entry(e, policy, effects, on=on, unknown_tools=True)).unattended != "refuse" or d.action == "allow"]
    assert not wrong, "\n".join(wrong)


def test_destructive_calls_are_denied_when_off_and_asked_when_on(policy: Policy,
                                                                  effects: dict[str, tuple[str, str]]) -> None:
    seen = 0
    for entry in CORPUS["risky"]:
        off = decide_entry(entry, policy, effects, on=False, unknown_tools=True)
        if off.effect != "destructive":
            continue
        seen += 1
        assert off.action == "deny", name(entry)
        if off.rule == "destructive-off":
            assert "REIGN_ALLOW_DESTRUCTIVE" in off.reason
            on = decide_entry(entry, policy, effects, on=True, unknown_tools=True)
            assert (on.action, on.unattended) == ("ask", "refuse"), (name(entry), on)
    assert seen >= 20


def test_everyday_reads_are_allowed(policy: Policy, effects: dict[str, tuple[str, str]]) -> None:
    decisions = [(e, decide_entry(e, policy, effects, on=False, unknown_tools=True)) for e in CORPUS["reads"]]
    refused = [f"{name(e)}: {d.action} by {d.rule}: {d.reason}" for e, d in decisions if d.action != "allow"]
    assert len(refused) <= len(decisions) * 0.05, "\n".join(refused)
    assert all(d.unattended == "run" for _, d in decisions if d.action == "allow")


def test_routine_writes_stay_approvable_by_yes(policy: Policy, effects: dict[str, tuple[str, str]]) -> None:
    wrong = [f"{name(e)}: {d.action} {d.effect} {d.severity} by {d.rule}: {d.reason}" for e in CORPUS["routine"]
             if (d := decide_entry(e, policy, effects, on=False, unknown_tools=True)).unattended != "run"]
    assert not wrong, "\n".join(wrong)
