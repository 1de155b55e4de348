"""The safety-policy gate. `decide` is pure; this module only wires it to settings and the catalogue."""

from __future__ import annotations

import contextlib
import os
import re
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from reign.kubeconfig import current_context as current_kube_context
from reign.policy.gate import GateCall, GateContext, decide
from reign.policy.rules import Policy, load_policy
from reign.types import Decision, ToolCall

if TYPE_CHECKING:
    from reign.catalogue import Tool
    from reign.config import Settings

__all__ = ["GateCall", "GateContext", "Policy", "PolicyGate", "decide", "gate_context", "load_checked_policy"]


def gate_context(settings: Settings) -> GateContext:
    context = settings.kube_context or current_kube_context()
    production = bool(context and re.search(settings.kube_production_pattern, context))
    return GateContext(
        read_only=settings.read_only,
        home=os.path.expanduser("~"),
        workspace_root=str(settings.workspace_root),
        protected_namespaces=tuple(settings.protected_namespaces),
        protected_branches=tuple(settings.protected_branches),
        allowed_namespaces=tuple(settings.kube_namespaces),
        kube_context=context,
        production=production,
    )


def load_checked_policy(extra: list[Path] | None = None, *, cwd: Path | None = None) -> Policy:
    """Load every layer and run every rule's examples; raises PolicyError naming the rule on failure.

    A passing check is remembered under a hash of every policy file and of the gate's own code, so an
    unchanged policy is not re-checked on every start (reign policy check is called in loops)."""
    from reign.policy.examples import check_examples

    policy = load_policy(extra, cwd=cwd)
    marker = _examples_marker(policy)
    if marker is not None and marker.exists():
        return policy
    check_examples(policy)
    if marker is not None:
        with contextlib.suppress(OSError):
            marker.parent.mkdir(parents=True, exist_ok=True)
            marker.touch()
    return policy


def _examples_marker(policy: Policy) -> Path | None:
    import hashlib

    digest = hashlib.sha256()
    here = Path(__file__).parent
    try:
        for path in sorted([*here.glob("*.py"), *here.glob("classifiers/*.py")]):
            digest.update(path.read_bytes())
        for layer in policy.layers:
            path = Path(layer.split(": ", 1)[1])
            digest.update(layer.encode() + b"\0" + path.read_bytes())
    except OSError:
        return None
    base = Path(os.environ.get("XDG_CACHE_HOME", Path.home() / ".cache")) / "reign" / "policy-examples"
    return base / f"{digest.hexdigest()}.ok"


@dataclass
class PolicyGate:
    policy: Policy
    context: GateContext

    def decide(self, call: ToolCall, tool: Tool | None) -> Decision:
        if tool is None:
            return Decision(action="deny", reason=f"unknown tool {call.name!r}", rule="catalogue")
        return decide(GateCall(tool=call.name, args=call.args, effect=tool.effect, manager=tool.manager,
                               command=tool.command), self.policy, self.context)
