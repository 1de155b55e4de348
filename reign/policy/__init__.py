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
    production = is_production(settings, context)
    return GateContext(
        read_only=settings.read_only,
        home=os.path.expanduser("~"),
        workspace_root=str(settings.workspace_root),
        protected_namespaces=tuple(settings.protected_namespaces),
        protected_branches=tuple(settings.protected_branches),
        allowed_namespaces=tuple(settings.kube_namespaces),
        kube_context=context,
        production=production,
        allow_destructive=settings.allow_destructive,
        production_pattern=settings.kube_production_pattern,
        terraform_production=tuple(settings.terraform_production),
        extra={"github_base_url": settings.github_base_url},
    )


def is_production(settings: Settings, *contexts: str) -> bool:
    return any(c and re.search(settings.kube_production_pattern, c) for c in contexts)


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
        for path in sorted(here.rglob("*.py")):  # all of the gate's code: a change anywhere re-checks
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
    settings: Settings | None = None  # when given, the kubeconfig's current context is re-read on each call
    _discovered: tuple[float, tuple[str, ...]] | None = None

    def decide(self, call: ToolCall, tool: Tool | None) -> Decision:
        if tool is None:
            return Decision(action="deny", reason=f"unknown tool {call.name!r}", rule="catalogue")
        try:
            ctx = self.current_context()
            if self.settings is not None and _touches_cluster(call, tool):
                ctx = self.with_discovery(ctx)
        except Exception as exc:  # the context could not be read: nothing can be judged, so fail closed
            return Decision(action="deny", reason=f"the gate could not read its context ({exc}); failing closed",
                            rule="gate-error", effect="unknown", severity="critical", unattended="refuse")
        return decide(GateCall(tool=call.name, args=call.args, effect=tool.effect, manager=tool.manager,
                               command=tool.command), self.policy, ctx)

    def with_discovery(self, ctx: GateContext) -> GateContext:
        """Kinds the API server reports cluster-scoped (custom resources included), asked once per five minutes,
        so that a write to an unknown cluster-wide kind is judged as one. No cluster, no answer: the built-in
        tables still stand, and the manager cannot reach the cluster either."""
        import time

        if self._discovered is None or time.monotonic() - self._discovered[0] > 300:
            self._discovered = (time.monotonic(), _cluster_scoped_kinds(self.settings))
        kinds = self._discovered[1]
        if not kinds or kinds == ctx.cluster_scoped_kinds:
            return ctx
        from dataclasses import replace

        return replace(ctx, cluster_scoped_kinds=kinds)

    def current_context(self) -> GateContext:
        """The session's context, with production re-evaluated when the kubeconfig's current context moved
        (`kubectl config use-context prod` mid-session): a shell kubectl follows the live context."""
        if self.settings is None:
            return self.context
        live = _live_kube_context()
        if not live or live == self.context.kube_context:
            return self.context
        production = self.context.production or is_production(self.settings, live)
        if production == self.context.production:
            return self.context
        from dataclasses import replace

        self.context = replace(self.context, production=production, kube_context=self.context.kube_context or live)
        return self.context


def _touches_cluster(call: ToolCall, tool: Tool) -> bool:
    if tool.manager == "kubernetes":
        return tool.effect != "read"
    command = call.args.get("command") if tool.manager == "bash" else None
    return isinstance(command, str) and ("kubectl" in command or "oc " in command)


def _cluster_scoped_kinds(settings: Settings | None) -> tuple[str, ...]:
    if settings is None:
        return ()
    try:
        from reign.managers.kubernetes.client import api_session
        from reign.managers.kubernetes.discovery import all_resources

        resources = all_resources(api_session(settings), refresh=True)  # the gate keeps its own 5-minute cache
    except Exception:  # no kubeconfig, no client, no cluster: nothing discovered
        return ()
    names: set[str] = set()
    for res in resources:
        if not res.namespaced:
            names |= {res.kind.lower(), res.plural.lower(), res.singular.lower(), *(s.lower() for s in res.short_names)}
            if res.group:
                names |= {f"{res.plural.lower()}.{res.group}", f"{res.kind.lower()}.{res.group}"}
    return tuple(sorted(n for n in names if n))


_LIVE: dict[str, tuple[int, str]] = {}


def _live_kube_context() -> str:
    """current_kube_context(), re-read only when the kubeconfig file changed (one stat per call)."""
    raw = os.environ.get("KUBECONFIG", "")
    paths = [Path(p).expanduser() for p in raw.split(os.pathsep) if p] or [Path.home() / ".kube" / "config"]
    try:
        stamp = max(p.stat().st_mtime_ns for p in paths if p.exists())
    except ValueError:
        return ""
    key = os.pathsep.join(map(str, paths))
    cached = _LIVE.get(key)
    if cached and cached[0] == stamp:
        return cached[1]
    value = current_kube_context()
    _LIVE[key] = (stamp, value)
    return value
