"""The shell corpus (tests/data/shell_corpus.yaml): every dangerous and benign bash call, decided by the
shipped default policy, must get its expected decision -- in process through `decide`, and once, in
order, through `reign policy check`."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections import Counter
from pathlib import Path
from typing import Any

import pytest
import yaml

from reign.policy import GateCall, GateContext, Policy, decide, load_checked_policy

CORPUS = Path(__file__).parent / "data" / "shell_corpus.yaml"
HOME = "/root"  # the home directory the corpus is decided with (in process and in the CLI subprocess)
KEYS = {"command", "expect", "why", "context", "xfail"}
CONTEXT_KEYS = {"protected_namespaces", "protected_branches", "allowed_namespaces", "kube_context", "production"}


def _load() -> list[tuple[str, dict[str, Any]]]:
    data = yaml.safe_load(CORPUS.read_text())
    return [(kind, entry) for kind in ("dangerous", "benign") for entry in data[kind]]


ENTRIES = _load()


def _ids() -> list[str]:
    seen: Counter[str] = Counter()
    out = []
    for kind, entry in ENTRIES:
        text = " ".join(str(entry.get("command", "")).split())
        base = f"{kind}:{text[:70]}"
        seen[base] += 1
        out.append(base if seen[base] == 1 else f"{base}#{seen[base]}")
    return out


def _params() -> list[Any]:
    params = []
    for (kind, entry), pid in zip(ENTRIES, _ids(), strict=True):
        marks = [pytest.mark.xfail(reason=str(entry["xfail"]), strict=True, raises=AssertionError)] \
            if entry.get("xfail") else []
        params.append(pytest.param(kind, entry, id=pid, marks=marks))
    return params


def _context(entry: dict[str, Any]) -> GateContext:
    """This corpus is about what the shell parser finds, so destructive operations are on here (a person is
    asked); tests/data/gate_corpus_v2.yaml decides with the shipped defaults (destructive off)."""
    overrides = {k: tuple(v) if isinstance(v, list) else v for k, v in (entry.get("context") or {}).items()}
    return GateContext(home=HOME, allow_destructive=True, **overrides)


@pytest.fixture(scope="module")
def policy() -> Policy:
    return load_checked_policy(cwd=CORPUS.parent)


@pytest.mark.parametrize(("kind", "entry"), _params())
def test_corpus_decision(policy: Policy, kind: str, entry: dict[str, Any]) -> None:
    decision = decide(GateCall(tool="bash", args={"command": entry["command"]}), policy, _context(entry))
    assert decision.action == entry["expect"], (
        f"{kind} call {entry['command']!r} ({entry['why']}): expected {entry['expect']}, "
        f"got {decision.action} by {decision.rule}: {decision.reason}")


def test_corpus_size_and_shape() -> None:
    counts = Counter(kind for kind, _ in ENTRIES)
    assert counts["dangerous"] >= 150 and counts["benign"] >= 150, counts
    commands = [entry["command"] for _, entry in ENTRIES]
    assert len(commands) == len(set(commands)), "a command appears twice"
    for kind, entry in ENTRIES:
        assert set(entry) <= KEYS and isinstance(entry.get("command"), str) and entry["command"].strip(), entry
        assert entry.get("expect") in ("allow", "ask", "deny") and str(entry.get("why") or "").strip(), entry
        assert set(entry.get("context") or {}) <= CONTEXT_KEYS, entry
        # a dangerous call is never run unasked; a benign one is never refused outright
        assert (kind, entry["expect"]) not in (("dangerous", "allow"), ("benign", "deny")), entry
    xfails = [entry for _, entry in ENTRIES if entry.get("xfail")]
    assert len(xfails) <= 10, "xfails are for the few cases that need parser or engine work"
    assert all(kind == "dangerous" for kind, entry in ENTRIES if entry.get("xfail")), "benign calls must pass"


def test_policy_check_cli_answers_the_whole_corpus_in_order(tmp_path: Path) -> None:
    lines = []
    for _, entry in ENTRIES:
        item: dict[str, Any] = {"tool": "bash", "args": {"command": entry["command"]},
                                "context": {**(entry.get("context") or {}), "allow_destructive": True}}
        lines.append(json.dumps(item))
    # no extra policy, no pinned or kubeconfig context (a production context would turn allows into asks)
    env = {k: v for k, v in os.environ.items() if not k.startswith("REIGN_")}
    env.update(HOME=HOME, XDG_CONFIG_HOME=str(tmp_path / "config"), XDG_STATE_HOME=str(tmp_path / "state"),
               XDG_CACHE_HOME=str(tmp_path / "cache"), KUBECONFIG=str(tmp_path / "no-kubeconfig"))
    proc = subprocess.run([sys.executable, "-m", "reign.cli", "policy", "check"], input="\n".join(lines) + "\n",
                          capture_output=True, text=True, check=False, cwd=tmp_path, env=env, timeout=120)
    assert proc.returncode == 0, proc.stderr
    answers = [json.loads(line) for line in proc.stdout.splitlines()]
    assert len(answers) == len(ENTRIES)
    wrong = []
    for (kind, entry), answer in zip(ENTRIES, answers, strict=True):
        assert set(answer) == {"decision", "reason", "rule", "effect", "severity", "unattended"}
        if not entry.get("xfail") and answer["decision"] != entry["expect"]:
            wrong.append(f"{kind} {entry['command']!r}: expected {entry['expect']}, got {answer}")
        if entry.get("xfail") and answer["decision"] == entry["expect"]:
            wrong.append(f"{kind} {entry['command']!r} is marked xfail but the CLI decides it: remove the mark")
    assert not wrong, "\n".join(wrong)
