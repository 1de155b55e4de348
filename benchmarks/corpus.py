"""The calls the gate benchmarks decide: the shell corpus of the tests when there is one
(tests/data/*corpus*.yaml holding tool calls or shell commands), else every example of the shipped
default policy (reign/policy/defaults/*.yaml): each rule's `match` and `not_match` examples."""

from __future__ import annotations

from functools import lru_cache
from typing import Any

import yaml

from benchmarks.common import ROOT


def _calls_in(data: Any) -> list[dict[str, Any]]:
    """Tool calls ({tool, args}) or shell commands ({command: ...} / plain strings under a `commands`-like
    key) found anywhere in a YAML document."""
    found: list[dict[str, Any]] = []

    def walk(node: Any, key: str = "") -> None:
        if isinstance(node, dict):
            if isinstance(node.get("tool"), str) and isinstance(node.get("args", {}), dict):
                found.append({"tool": node["tool"], "args": dict(node.get("args") or {})})
                return
            shell = node.get("command", node.get("sh"))  # `sh: COMMAND` in tests/data/gate_corpus_v2.yaml
            if isinstance(shell, str) and "secret" not in node:
                found.append({"tool": "bash", "args": {"command": shell}})
                return
            for k, v in node.items():
                walk(v, str(k))
        elif isinstance(node, list):
            for item in node:
                if isinstance(item, str) and key in ("commands", "shell", "allow", "ask", "deny"):
                    found.append({"tool": "bash", "args": {"command": item}})
                else:
                    walk(item, key)

    walk(data)
    return found


@lru_cache(maxsize=1)
def gate_corpus() -> tuple[tuple[dict[str, Any], ...], str]:
    for path in sorted((ROOT / "tests" / "data").glob("*corpus*.y*ml")):
        try:
            calls = _calls_in(yaml.safe_load(path.read_text()))
        except (OSError, yaml.YAMLError):
            continue
        if len(calls) >= 20:
            return tuple(calls), str(path.relative_to(ROOT))
    calls = []
    folder = ROOT / "reign" / "policy" / "defaults"
    for path in sorted(folder.glob("*.yaml")):
        for rule in (yaml.safe_load(path.read_text()) or {}).get("rules") or []:
            examples = rule.get("examples") or {}
            for kind in ("match", "not_match"):
                for ex in examples.get(kind) or []:
                    if isinstance(ex, dict) and isinstance(ex.get("tool"), str):
                        call = {"tool": ex["tool"], "args": dict(ex.get("args") or {})}
                        if "effect" in ex:
                            call["effect"] = ex["effect"]
                        calls.append(call)
    names = [p.name for p in (ROOT / "tests" / "data").glob("*corpus*.y*ml")]
    why = f" ({', '.join(names)}: no tool calls in it)" if names else ""
    return tuple(calls), f"examples of reign/policy/defaults/*.yaml{why}"


def policy_calls(n: int) -> tuple[list[dict[str, Any]], str]:
    calls, name = gate_corpus()
    if not calls:
        return [], name
    return [dict(calls[i % len(calls)]) for i in range(n)], name

