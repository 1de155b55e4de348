"""`decide(call, policy, context) -> Decision`: a pure function, no I/O, no model.

Non-shell calls are matched on the tool, its effect, its arguments and its manager's facts.
Shell calls are parsed into every simple command they would run (reign.policy.bash); each is
decided on its own and the call gets the strictest. A command that cannot be parsed cleanly is
never `allow`. When no explicit rule matches, the tool's effect decides (read: allow, else ask).
"""

from __future__ import annotations

import functools
import shlex
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from reign.policy.rules import STRICTNESS, Policy, Rule, arg_at, matches
from reign.types import Action, Decision

if TYPE_CHECKING:
    from reign.policy.bash import Segment

SHELL_TOOLS = frozenset({"bash"})

# Global options that take a value, so that `kubectl -n ns get pods` has the subcommand `get pods`.
_VALUE_OPTIONS = {
    "kubectl": {"-n", "--namespace", "--context", "--cluster", "--kubeconfig", "-s", "--server", "--user",
                "-l", "--selector", "-o", "--output", "-f", "--filename", "-c", "--container", "--as"},
    "helm": {"-n", "--namespace", "--kube-context", "--kubeconfig", "-f", "--values", "--set", "-o", "--output"},
    "git": {"-C", "-c", "--git-dir", "--work-tree", "--namespace"},
    "docker": {"-H", "--host", "--context", "-c", "--config", "-l", "--log-level"},
    "terraform": {"-chdir"},
}


@dataclass(frozen=True)
class GateContext:
    read_only: bool = False
    home: str = "/root"
    workspace_root: str = ""
    protected_namespaces: tuple[str, ...] = ("kube-system", "kube-public", "kube-node-lease")
    protected_branches: tuple[str, ...] = ("main", "master", "release/*")
    allowed_namespaces: tuple[str, ...] = ()  # empty: no namespace scoping
    kube_context: str = ""
    production: bool = False
    extra: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class GateCall:
    """What the gate needs of a call: no ids, nothing from the model's prose."""

    tool: str
    args: dict[str, Any]
    effect: str = "write"
    manager: str = ""
    command: tuple[str, ...] | None = None  # argv template of a command-template tool


def decide(call: GateCall, policy: Policy, ctx: GateContext) -> Decision:
    rules = policy.active()
    if ctx.read_only and call.effect != "read":
        return Decision(action="deny", reason="read-only mode: only read tools may run", rule="read-only")
    verdicts = [_verdict(r) for r in rules if not r.is_segment_rule and _call_matches(r, call, ctx)]
    shell = _shell_command(call)
    if shell is not None:
        verdicts += _shell_verdicts(shell, call, rules, ctx)
    elif not verdicts:
        action: Action = "allow" if call.effect == "read" else "ask"
        verdicts.append(Decision(action=action, reason=f"{call.effect} tool", rule=f"fallback-{call.effect}"))
    decision = max(verdicts, key=lambda d: STRICTNESS[d.action])
    # An allowed shell call is one whose every command a rule allows (the read-only ones by default).
    if ctx.production and decision.action == "allow" and call.effect != "read" and shell is None:
        return Decision(action="ask", reason=f"production context {ctx.kube_context!r}: writes ask",
                        rule="production-context")
    return decision


def _verdict(rule: Rule, where: str = "") -> Decision:
    reason = f"{rule.reason} (in `{where}`)" if where else rule.reason
    return Decision(action=rule.decision, reason=reason, rule=rule.id)  # type: ignore[arg-type]


def _context_matches(rule: Rule, ctx: GateContext) -> bool:
    """`context:` predicates on the session (production, kube_context, read_only), not on the call."""
    wanted = rule.match.get("context") or {}
    return all(matches(p, getattr(ctx, k, ctx.extra.get(k))) for k, p in wanted.items())


def _call_matches(rule: Rule, call: GateCall, ctx: GateContext) -> bool:
    m = rule.match
    if not _context_matches(rule, ctx):
        return False
    if "tool" in m and not matches(m["tool"] if isinstance(m["tool"], list) else [m["tool"]], call.tool):
        return False
    if "manager" in m and not matches(_listify(m["manager"]), call.manager):
        return False
    if "effect" in m and call.effect not in _listify(m["effect"]):
        return False
    if "args" in m and not all(matches(p, arg_at(call.args, k)) for k, p in m["args"].items()):
        return False
    if "facts" in m:
        from reign.policy.classifiers import call_facts

        if not set(_listify(m["facts"])) <= call_facts(call.manager, call.tool, call.args, ctx):
            return False
    return True


def _listify(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [value]


def _shell_command(call: GateCall) -> str | None:
    if call.tool in SHELL_TOOLS:
        return str(call.args.get("command", ""))
    if call.command is not None:
        from reign.managers.template import render

        try:
            return shlex.join(render(call.command, call.args))
        except Exception:
            return "\x00unrenderable"  # parses as an error: never allow
    return None


def _shell_verdicts(command: str, call: GateCall, rules: list[Rule], ctx: GateContext) -> list[Decision]:
    from reign.policy.bash import parse
    from reign.policy.classifiers.shell import NETWORK_SENDERS, staged_payload

    analysis = parse(command)
    seg_rules = [r for r in rules if r.is_segment_rule and (
        "tool" not in r.match or matches(_listify(r.match["tool"]), call.tool))]
    out: list[Decision] = []
    problems = set(analysis.problems)
    for rule in seg_rules:
        if set(rule.match) == {"problems"} | ({"tool"} & set(rule.match)) and \
                problems & set(_listify(rule.match["problems"])):
            out.append(_verdict(rule, command.strip()[:120]))
    if problems:
        out.append(Decision(action="ask", reason=f"cannot prove safe: {', '.join(sorted(problems))}",
                            rule="shell-unparsed"))
    if not analysis.segments:
        out.append(Decision(action="ask", reason="nothing recognisable to run", rule="shell-empty"))
    views = [segment_view(seg, ctx) for seg in analysis.segments]
    if any("credential_path" in v["segment_facts"] for v in views) and \
            any(v["program"] in NETWORK_SENDERS for v in views):
        out.append(Decision(action="deny", reason="credentials read and sent over the network in one command",
                            rule="shell-exfiltration"))
    staged = staged_payload(analysis.segments, ctx)
    if staged:
        out.append(Decision(action="deny", reason=f"runs a file it just downloaded or decoded: {staged}",
                            rule="shell-run-downloaded-file"))
    by_program, anywhere = _index(tuple(r for r in seg_rules if set(r.match) - {"tool", "problems", "context"}))
    for seg, facts in zip(analysis.segments, views, strict=True):
        candidates = by_program.get(facts["program"], ()) + anywhere
        found = [_verdict(r, seg.text.strip()[:120]) for r in candidates
                 if _context_matches(r, ctx) and _segment_matches(r, facts, problems)]
        if not found:
            found = [Decision(action="ask", reason=f"`{facts['program']}` is not known to be read-only",
                              rule="shell-fallback")]
        out.append(max(found, key=lambda d: STRICTNESS[d.action]))
    return out


@functools.lru_cache(maxsize=64)
def _index(rules: tuple[Rule, ...]) -> tuple[dict[str, tuple[Rule, ...]], tuple[Rule, ...]]:
    """Rules that name plain programs are looked up by program; the rest are tried on every command."""
    by_program: dict[str, list[Rule]] = {}
    anywhere: list[Rule] = []
    for rule in rules:
        programs = rule.match.get("program")
        names = programs if isinstance(programs, list) else [programs]
        if programs is None or not all(isinstance(n, str) and not set(n) & set("*?[") for n in names):
            anywhere.append(rule)
            continue
        for name in names:
            by_program.setdefault(str(name), []).append(rule)
    return {k: tuple(v) for k, v in by_program.items()}, tuple(anywhere)


def segment_view(seg: Segment, ctx: GateContext) -> dict[str, Any]:
    """The facts a rule sees of one simple command, with paths normalised (`$HOME`, the home dir -> `~`)."""
    from reign.policy.classifiers.shell import segment_facts

    args = list(seg.argv[1:])
    values = []
    for word in args:
        values.append(word)
        if (word.startswith("-") and "=" in word) or ("=" in word and not word.startswith("-")):
            values.append(word.split("=", 1)[1])
    redirects = [normal_path(r.target, ctx) for r in seg.redirects]
    writes = [normal_path(r.target, ctx) for r in seg.redirects if ">" in r.op]
    return {
        "program": seg.program,
        "subcommand": _subcommand(seg.program, args),
        "argv": args,
        "paths": [normal_path(v, ctx) for v in values] + redirects,
        "redirect": writes,
        "pipe_from": list(seg.pipe_from),
        "wrapped_by": list(seg.wrappers),
        "segment_facts": segment_facts(seg, ctx),
    }


def _subcommand(program: str, args: list[str]) -> str:
    takes_value = _VALUE_OPTIONS.get(program, set())
    words, skip = [], False
    for word in args:
        if skip:
            skip = False
            continue
        if word.startswith("-"):
            skip = word in takes_value
            continue
        words.append(word)
    return " ".join(words)


def normal_path(word: str, ctx: GateContext) -> str:
    for prefix in ("${HOME}", "$HOME", ctx.home.rstrip("/")):
        if prefix and (word == prefix or word.startswith(prefix + "/")):
            word = "~" + word[len(prefix):]
            break
    if word.startswith("/") and ".." in word:
        word = collapse_path(word)
    return word


def collapse_path(path: str) -> str:
    """`/a/./b//../c` -> `/a/c`, without touching the filesystem."""
    parts: list[str] = []
    for part in path.split("/"):
        if part == "..":
            if parts:
                parts.pop()
        elif part not in ("", "."):
            parts.append(part)
    return "/" + "/".join(parts)


def _segment_matches(rule: Rule, view: dict[str, Any], problems: set[str]) -> bool:
    m = rule.match
    for key, matcher in m.items():
        if key in ("tool", "context"):
            continue
        if key == "problems":
            if not problems & set(_listify(matcher)):
                return False
        elif key == "segment_facts":
            if not set(_listify(matcher)) <= view["segment_facts"]:
                return False
        elif key in ("program", "subcommand"):
            if not matches(matcher if isinstance(matcher, dict | list) else [matcher], view[key]):
                return False
        elif not matches(matcher, view[key]):
            return False
    return True


def rule_matches(rule: Rule, call: GateCall, ctx: GateContext) -> bool:
    """Does this one rule match the call (for a shell rule: any of its simple commands)?"""
    if not rule.is_segment_rule:
        return _call_matches(rule, call, ctx)
    command = _shell_command(call)
    if command is None or ("tool" in rule.match and not matches(_listify(rule.match["tool"]), call.tool)):
        return False
    from reign.policy.bash import parse

    analysis = parse(command)
    problems = set(analysis.problems)
    if set(rule.match) - {"tool"} == {"problems"}:
        return bool(problems & set(_listify(rule.match["problems"])))
    return _context_matches(rule, ctx) and any(
        _segment_matches(rule, segment_view(seg, ctx), problems) for seg in analysis.segments)
