"""Policy as data: rules loaded from YAML layers, each rule's examples checked when it loads.

Layers, in order: the shipped defaults (reign/policy/defaults/*.yaml), the user file
(~/.config/reign/policy.yaml), the project file (./.reign/policy.yaml), then each --policy FILE.
A project file lives in a repository the model may have written to, so it may only tighten:
it cannot add `allow` rules or disable rules.
"""

from __future__ import annotations

import fnmatch
import functools
import os
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from reign.errors import PolicyError

ACTIONS = ("allow", "ask", "deny")
STRICTNESS = {"allow": 0, "ask": 1, "deny": 2}
# context: the session (production...); target: the kinds, namespaces, names and contexts a call touches
CALL_KEYS = {"tool", "effect", "args", "facts", "manager", "context", "target"}
SEGMENT_KEYS = {"program", "subcommand", "argv", "paths", "redirect", "pipe_from", "wrapped_by",
                "problems", "segment_facts"}
MATCHER_KEYS = {"glob", "regex", "in", "any_glob", "any_regex", "any_in", "present", "not_glob"}


@dataclass(frozen=True, eq=False)  # compared and hashed by identity: one object per loaded rule
class Rule:
    id: str
    decision: str
    reason: str
    match: dict[str, Any]
    layer: str
    examples_match: tuple[dict[str, Any], ...] = ()
    examples_not_match: tuple[dict[str, Any], ...] = ()
    network: bool = True  # `sandbox: {network: false}`: the call's processes run without a network

    @functools.cached_property
    def is_segment_rule(self) -> bool:
        """Rules about programs and their arguments apply to each simple command of a shell call."""
        return bool(SEGMENT_KEYS & self.match.keys())


@dataclass
class Policy:
    rules: list[Rule] = field(default_factory=list)
    disabled: dict[str, str] = field(default_factory=dict)  # rule id -> layer that disabled it
    severity: dict[str, str] = field(default_factory=dict)  # rule id -> routine | risky | critical
    layers: list[str] = field(default_factory=list)

    def active(self) -> list[Rule]:
        return [r for r in self.rules if r.id not in self.disabled]


def defaults_dir() -> Path:
    return Path(__file__).parent / "defaults"


def user_policy_file() -> Path:
    base = Path(os.environ.get("XDG_CONFIG_HOME", Path.home() / ".config"))
    return base / "reign" / "policy.yaml"


def project_policy_file(cwd: Path | None = None) -> Path:
    return (cwd or Path.cwd()) / ".reign" / "policy.yaml"


def load_policy(extra: list[Path] | None = None, *, cwd: Path | None = None, user: bool = True,
                project: bool = True) -> Policy:
    """Load every layer; raises PolicyError naming the file and rule on any problem."""
    policy = Policy()
    for path in sorted(defaults_dir().glob("*.yaml")):
        _add_layer(policy, path, "default")
    if user and user_policy_file().is_file():
        _add_layer(policy, user_policy_file(), "user")
    if project and project_policy_file(cwd).is_file():
        _add_layer(policy, project_policy_file(cwd), "project")
    for path in extra or []:
        if not path.is_file():
            raise PolicyError(f"policy file not found: {path}")
        _add_layer(policy, path, "cli")
    unknown = set(policy.disabled) - {r.id for r in policy.rules}
    if unknown:
        raise PolicyError(f"`disable` names rules that do not exist: {', '.join(sorted(unknown))}")
    return policy


def _add_layer(policy: Policy, path: Path, layer: str) -> None:
    from reign.yamlcache import BadYaml, load_text

    try:
        data = load_text(path.read_text()) or {}  # yaml.safe_load, cached by content
    except (OSError, BadYaml) as exc:
        raise PolicyError(f"{path}: cannot read policy: {exc}") from exc
    if not isinstance(data, dict) or set(data) - {"rules", "disable", "severity"}:
        raise PolicyError(f"{path}: a policy file has `rules:` and optionally `disable:` and `severity:`")
    _add_severities(policy, data.get("severity") or {}, path, layer)
    policy.layers.append(f"{layer}: {path}")  # "<layer>: <path>", also the examples cache key
    for rule_id in data.get("disable") or []:
        if layer == "project":
            raise PolicyError(f"{path}: a project policy may only tighten; it cannot disable {rule_id!r}")
        policy.disabled[str(rule_id)] = f"{layer}: {path}"
    seen = {r.id for r in policy.rules}
    for raw in data.get("rules") or []:
        rule = parse_rule(raw, f"{path}", layer)
        if rule.id in seen:
            raise PolicyError(f"{path}: rule {rule.id!r} is defined twice (ids are unique across layers)")
        if layer == "project" and rule.decision == "allow":
            raise PolicyError(f"{path}: rule {rule.id!r}: a project policy may only tighten (ask or deny), "
                              "put allow rules in your user policy or pass --policy")
        seen.add(rule.id)
        policy.rules.append(rule)


SEVERITIES = ("routine", "risky", "critical")


def _add_severities(policy: Policy, table: Any, path: Path, layer: str) -> None:
    """`severity: {rule-id: routine|risky|critical}`: how far an ask may be approved without a person.
    Allow rules default to routine, ask rules to risky, deny rules to critical; a project may only raise."""
    if not isinstance(table, dict):
        raise PolicyError(f"{path}: `severity:` maps rule ids to routine, risky or critical")
    for rule_id, level in table.items():
        if level not in SEVERITIES:
            raise PolicyError(f"{path}: severity of {rule_id!r} must be routine, risky or critical")
        current = policy.severity.get(str(rule_id), "risky")
        if layer == "project" and SEVERITIES.index(level) < SEVERITIES.index(current):
            raise PolicyError(f"{path}: a project policy may only raise a severity ({rule_id!r})")
        policy.severity[str(rule_id)] = str(level)


def parse_rule(raw: Any, where: str, layer: str) -> Rule:
    if not isinstance(raw, dict) or not isinstance(raw.get("id"), str):
        raise PolicyError(f"{where}: every rule needs an `id`")
    rid = raw["id"]
    unknown = set(raw) - {"id", "decision", "reason", "match", "examples", "sandbox"}
    if unknown:
        raise PolicyError(f"{where}: rule {rid!r}: unknown fields {sorted(unknown)}")
    if raw.get("decision") not in ACTIONS:
        raise PolicyError(f"{where}: rule {rid!r}: `decision` must be allow, ask or deny")
    match = raw.get("match") or {}
    if not isinstance(match, dict) or not match:
        raise PolicyError(f"{where}: rule {rid!r}: `match` must be a non-empty mapping")
    bad = set(match) - CALL_KEYS - SEGMENT_KEYS
    if bad:
        raise PolicyError(f"{where}: rule {rid!r}: unknown match keys {sorted(bad)}")
    for key, matcher in match.items():
        _check_matcher(matcher, f"{where}: rule {rid!r}: match.{key}")
    examples = raw.get("examples") or {}
    if not isinstance(examples, dict) or set(examples) - {"match", "not_match"}:
        raise PolicyError(f"{where}: rule {rid!r}: `examples` has `match` and `not_match` lists")
    box = raw.get("sandbox") or {}
    if not isinstance(box, dict) or set(box) - {"network"} or not isinstance(box.get("network", True), bool):
        raise PolicyError(f"{where}: rule {rid!r}: `sandbox` may only hold `network: false`")
    return Rule(id=rid, decision=raw["decision"], reason=str(raw.get("reason") or rid), match=match, layer=layer,
                examples_match=tuple(examples.get("match") or ()),
                examples_not_match=tuple(examples.get("not_match") or ()), network=box.get("network", True))


def _check_matcher(matcher: Any, where: str) -> None:
    if isinstance(matcher, dict) and not where.endswith(("match.args", "match.context", "match.target")):
        bad = set(matcher) - MATCHER_KEYS
        if bad:
            raise PolicyError(f"{where}: unknown matcher {sorted(bad)} (use {', '.join(sorted(MATCHER_KEYS))})")
        for key in ("regex", "any_regex"):
            if key in matcher:
                try:
                    re.compile(str(matcher[key]))
                except re.error as exc:
                    raise PolicyError(f"{where}: bad regex {matcher[key]!r}: {exc}") from exc
    elif isinstance(matcher, dict):
        for arg, sub in matcher.items():
            _check_matcher(sub, f"{where}.{arg}")


def _as_list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [value]


def matches(matcher: Any, value: Any) -> bool:
    """One predicate against one value. A list value matches a plain list matcher on any element."""
    if isinstance(matcher, dict):
        return all(_matches_op(op, arg, value) for op, arg in matcher.items())
    if isinstance(matcher, list):
        values = value if isinstance(value, list) else [value]
        return any(_glob(str(v), [str(m) for m in matcher]) for v in values if v is not None)
    if isinstance(matcher, bool) or matcher is None:
        return value is matcher or value == matcher
    if isinstance(matcher, str):
        return value is not None and _glob(str(value), [matcher])
    return bool(value == matcher)


def _matches_op(op: str, arg: Any, value: Any) -> bool:
    if op == "present":
        return (value is not None) is bool(arg)
    if value is None:
        return False
    items = list(value.keys()) if isinstance(value, dict) else _as_list(value)
    if op == "glob":
        return _glob(str(value), [str(a) for a in _as_list(arg)])
    if op == "not_glob":
        return not _glob(str(value), [str(a) for a in _as_list(arg)])
    if op == "regex":
        return re.search(str(arg), str(value)) is not None
    if op == "in":
        return value in _as_list(arg)
    if op == "any_glob":
        return any(_glob(str(v), [str(a) for a in _as_list(arg)]) for v in items)
    if op == "any_regex":
        return any(re.search(str(arg), str(v)) is not None for v in items)
    if op == "any_in":
        return any(v in _as_list(arg) for v in items)
    return False


def _glob(value: str, patterns: list[str]) -> bool:
    return any(glob_matcher(p)(value) for p in patterns)


@functools.lru_cache(maxsize=8192)
def glob_matcher(pattern: str) -> Callable[[str], bool]:
    """fnmatch.fnmatchcase(value, pattern) as a function of value. Most policy globs are a literal or a literal
    with one trailing or leading `*`: string comparisons answer those without compiling a regex each (hundreds of
    distinct globs compiled on every `reign policy check` start)."""
    special = "*?["
    body = pattern.strip("*")
    if not any(c in special for c in body):
        head, tail = pattern.startswith("*"), pattern.endswith("*") and len(pattern) > 1
        if not head and not tail:
            return pattern.__eq__
        if tail and not head:
            return lambda value: value.startswith(body)
        if head and not tail:
            return lambda value: value.endswith(body)
        return lambda value: body in value
    return functools.partial(_fnmatch, pattern=pattern)


def _fnmatch(value: str, *, pattern: str) -> bool:
    return fnmatch.fnmatchcase(value, pattern)


def arg_at(args: dict[str, Any], dotted: str) -> Any:
    cur: Any = args
    for part in dotted.split("."):
        if not isinstance(cur, dict) or part not in cur:
            return None
        cur = cur[part]
    return cur
