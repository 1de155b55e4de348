"""Each rule's own examples, checked when the policy loads: a rule that does not do what it says does not load."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from reign.errors import PolicyError
from reign.policy.gate import GateCall, GateContext, rule_matches
from reign.policy.rules import Policy, Rule


def example_call(example: Any, rule: Rule) -> GateCall:
    if not isinstance(example, dict) or not isinstance(example.get("tool"), str):
        raise PolicyError(f"rule {rule.id!r}: each example needs `tool` and `args`")
    tool = example["tool"]
    return GateCall(tool=tool, args=dict(example.get("args") or {}), effect=str(example.get("effect", "write")),
                    manager=str(example.get("manager", tool.split("_")[0])))


def check_examples(policy: Policy, ctx: GateContext | None = None) -> None:
    ctx = ctx or GateContext()
    failures = []
    for rule in policy.rules:
        for ex in rule.examples_match:
            if not rule_matches(rule, example_call(ex, rule), _with(ctx, ex)):
                failures.append(f"rule {rule.id!r} ({rule.layer}) should match {_show(ex)} but does not")
        for ex in rule.examples_not_match:
            if rule_matches(rule, example_call(ex, rule), _with(ctx, ex)):
                failures.append(f"rule {rule.id!r} ({rule.layer}) should not match {_show(ex)} but does")
    if failures:
        raise PolicyError("policy examples failed:\n  " + "\n  ".join(failures))


def _with(ctx: GateContext, example: Any) -> GateContext:
    """An example may set the session it is decided in: `context: {production: true, ...}`."""
    extra = example.get("context") if isinstance(example, dict) else None
    if not extra:
        return ctx
    known: dict[str, Any] = {k: (tuple(v) if isinstance(v, list) else v) for k, v in extra.items() if hasattr(ctx, k)}
    return replace(ctx, **known)


def _show(example: dict[str, Any]) -> str:
    args = example.get("args") or {}
    return repr(args.get("command")) if "command" in args else f"{example.get('tool')} {args}"
