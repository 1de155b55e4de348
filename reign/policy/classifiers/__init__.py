"""Per-manager classifiers: fixed rules (pure functions, no I/O) that derive facts the YAML can match.

A manager registers `facts(tool, args, ctx) -> set[str]` here by its name. Rules then say
`facts: [some_fact]`; decisions stay in the policy, the recognising stays in code.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from reign.policy.gate import GateContext

_REGISTRY = {
    "docker": "reign.policy.classifiers.docker",
    "kubernetes": "reign.policy.classifiers.kubernetes",
    "helm": "reign.policy.classifiers.kubernetes",
    "github": "reign.policy.classifiers.github",
}


def call_facts(manager: str, tool: str, args: dict[str, Any], ctx: GateContext) -> set[str]:
    module = _REGISTRY.get(manager)
    if module is None:
        return set()
    try:
        mod = importlib.import_module(module)
    except ImportError:
        return set()
    result: set[str] = mod.facts(tool, args, ctx)
    return result
