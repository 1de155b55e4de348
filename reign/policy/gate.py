"""`decide(call, policy, context) -> Decision`: a pure function, no I/O, no model.

Non-shell calls are matched on the tool, its effect, its arguments and its manager's facts.
Shell calls are parsed into every simple command they would run (reign.policy.bash); each is
decided on its own and the call gets the strictest. A command that cannot be parsed cleanly is
never `allow`. When no explicit rule matches, the tool's effect decides (read: allow, else ask).
"""

from __future__ import annotations

import functools
import shlex
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, Any

from reign.policy.facts.cli_options import subcommand
from reign.policy.rules import STRICTNESS, Policy, Rule, arg_at, matches
from reign.types import Decision

if TYPE_CHECKING:
    from reign.policy.bash import Segment

SHELL_TOOLS = frozenset({"bash"})
EFFECT_ORDER = {"read": 0, "write": 1, "unknown": 2, "destructive": 3}
SEVERITY_ORDER = {"routine": 0, "risky": 1, "critical": 2}
_DEFAULT_SEVERITY = {"allow": "routine", "ask": "risky", "deny": "critical"}
_TRUSTED_LAYERS = ("user", "cli")  # where an allow rule may grant one named destructive or unknown action
DESTRUCTIVE_OFF = (
    "destructive operations are off: set REIGN_ALLOW_DESTRUCTIVE=true (or allow_destructive = true in "
    "~/.config/reign/config.toml) so that a person is asked, or allow this one action by name in your user "
    "policy (~/.config/reign/policy.yaml)")


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
    allow_destructive: bool = False  # off: destructive calls are denied; on: a person is asked
    production_pattern: str = r"(^|[-_.])(prod|production|live)([-_.]|$)"
    terraform_production: tuple[str, ...] = ()  # dir/workspace globs the user marks production
    cluster_scoped_kinds: tuple[str, ...] = ()  # kinds API discovery found cluster-scoped
    extra: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class GateCall:
    """What the gate needs of a call: no ids, nothing from the model's prose."""

    tool: str
    args: dict[str, Any]
    effect: str = "write"
    manager: str = ""
    command: tuple[str, ...] | None = None  # argv template of a command-template tool


@dataclass(frozen=True)
class Verdict:
    """One rule's (or fallback's) say on a call or one part of it."""

    action: str
    reason: str
    rule: str
    severity: str
    source: Rule | None = None
    grant: bool = False  # a user-level allow rule that names this action


@dataclass
class Judgement:
    verdicts: list[Verdict]
    effect: str  # what the call really does
    gated: str  # the effect of the parts no user rule allowed by name (what destructive-off and unknown gate)


def decide(call: GateCall, policy: Policy, ctx: GateContext) -> Decision:
    if ctx.read_only and call.effect != "read":
        return Decision(action="deny", reason="read-only mode: only read tools may run", rule="read-only",
                        effect=_effect_name(call.effect), severity="risky", unattended="refuse")
    try:
        judged = judge(call, policy.active(), ctx, severities=policy.severity)
    except Exception as exc:  # a classifier that cannot load or crashes: nothing was judged, so fail closed
        return Decision(action="deny", reason=f"the gate could not judge this call ({exc}); failing closed",
                        rule="gate-error", effect="unknown", severity="critical", unattended="refuse")
    return combine(judged, call, ctx)


def combine(judged: Judgement, call: GateCall, ctx: GateContext) -> Decision:
    """Strictest verdict wins; then the effect decides who may approve (see docs/POLICY.md)."""
    effect, gated, verdicts = judged.effect, judged.gated, judged.verdicts
    denies = [v for v in verdicts if v.action == "deny"]
    if denies:
        return _decision(max(denies, key=lambda v: (SEVERITY_ORDER[v.severity], _specific(v))), effect)
    if gated == "destructive" and not ctx.allow_destructive:
        return Decision(action="deny", reason=DESTRUCTIVE_OFF, rule="destructive-off", effect="destructive",
                        severity="risky", unattended="refuse")
    top = max(verdicts, key=lambda v: (STRICTNESS[v.action], SEVERITY_ORDER[v.severity], v.grant, _specific(v)))
    if top.action == "allow":
        grants = [v for v in verdicts if v.grant]
        if ctx.production and effect != "read" and call.tool not in SHELL_TOOLS and call.command is None:
            top = Verdict("ask", f"production context {ctx.kube_context!r}: writes ask", "production-context",
                          "risky")
        elif grants:
            return _decision(replace(grants[0], reason=f"{grants[0].reason} (allowed by name in your policy)",
                                     severity="routine"), effect)
        elif gated in ("destructive", "unknown"):
            top = Verdict("ask", f"{top.reason}; but it is {gated}", top.rule, "risky", top.source)
    if top.action == "ask":
        severity = max([top.severity] + [v.severity for v in verdicts if v.action == "ask"],
                       key=SEVERITY_ORDER.__getitem__)
        if gated in ("destructive", "unknown") and severity == "routine":
            severity = "risky"
        top = replace(top, severity=severity)
    return _decision(top, effect)


CRITICAL_HINT = ("critical: Reign never runs this, whoever approves; a person who means it runs it themselves "
                 "(or disables rule {rule} in ~/.config/reign/policy.yaml)")


def _specific(v: Verdict) -> bool:
    """Between equal verdicts, the rule that names its tool or program says why better than a generic one."""
    return v.source is not None and bool({"tool", "program"} & v.source.match.keys())


def _decision(v: Verdict, effect: str) -> Decision:
    run = v.action == "allow" or (v.action == "ask" and v.severity == "routine" and effect in ("read", "write"))
    if v.action == "deny" and v.severity == "critical" and v.source is not None:
        v = replace(v, reason=f"{v.reason} - {CRITICAL_HINT.format(rule=v.rule)}")
    return Decision(action=v.action, reason=v.reason, rule=v.rule, effect=_effect_name(effect),  # type: ignore[arg-type]
                    severity=v.severity, unattended="run" if run else "refuse")  # type: ignore[arg-type]


def _effect_name(effect: str) -> Any:
    return effect if effect in EFFECT_ORDER else "unknown"


def _max_effect(*effects: str) -> str:
    return max((_effect_name(e) for e in effects), key=EFFECT_ORDER.__getitem__, default="read")


def judge(call: GateCall, rules: list[Rule], ctx: GateContext, *, severities: dict[str, str] | None = None,
          depth: int = 0) -> Judgement:
    """Every verdict the rules give on a call and its parts, and the call's real effect."""
    sev = severities or {}
    shell = _shell_command(call)
    if shell is not None:
        return _judge_shell(shell, call, rules, ctx, sev, depth)
    from reign.policy.facts import call_facts, call_targets, embedded_commands

    candidates = _candidates(tuple(rules), call.tool, call.manager, call.effect)
    facts = call_facts(call, ctx) if any("facts" in r.match for r in candidates) else set()
    targets = call_targets(call, ctx) if any("target" in r.match for r in candidates) else {}
    verdicts = [_verdict(r, sev) for r in candidates if _call_matches(r, call, ctx, facts, targets)]
    if not verdicts:
        action = "allow" if call.effect == "read" else "ask"
        verdicts.append(Verdict(action, f"{call.effect} tool", f"fallback-{call.effect}",
                                "routine" if call.effect in ("read", "write") else "risky"))
    effect = call.effect
    verdicts, gated = _granted(verdicts, effect)
    for text, where_runs in embedded_commands(call):
        if depth > 3:
            verdicts.append(Verdict("ask", "commands nested too deep to judge", "nested-commands", "risky"))
            effect = _max_effect(effect, "unknown")
            continue
        # container paths are not the host's: no workspace confinement inside, and an unknown program there
        # is the container's business; what it destroys (volume data) and what a rule stops still count
        inner = _judge_shell(text, GateCall(tool="bash", args={"command": text}), rules,
                             replace(ctx, workspace_root=""), sev, depth + 1)
        where = f" (in the command `{text.strip()[:80]}` of {call.tool})"
        if where_runs == "live":
            verdicts += [replace(v, reason=v.reason + where) for v in inner.verdicts if v.action != "allow"]
            effect, gated = _max_effect(effect, inner.effect), _max_effect(gated, inner.gated)
        elif where_runs == "new":
            verdicts += [replace(v, reason=v.reason + where) for v in inner.verdicts
                         if v.action != "allow" and v.rule != "shell-fallback"]
            if inner.effect == "destructive":
                effect = "destructive"
            if inner.gated == "destructive":
                gated = "destructive"
        else:
            verdicts += [replace(v, reason=v.reason + where) for v in inner.verdicts if v.action == "deny"]
    return Judgement(verdicts, _effect_name(effect), _effect_name(gated))


def _granted(verdicts: list[Verdict], effect: str) -> tuple[list[Verdict], str]:
    """A part a user rule allows by name keeps only that grant (and any deny, and a project's asks)."""
    if not any(v.grant for v in verdicts):
        return verdicts, effect
    kept = [v for v in verdicts if v.grant or v.action == "deny" or (
        v.action == "ask" and v.source is not None and v.source.layer == "project")]
    return kept, "read"


def _verdict(rule: Rule, sev: dict[str, str], where: str = "") -> Verdict:
    reason = f"{rule.reason} (in `{where}`)" if where else rule.reason
    severity = sev.get(rule.id) or _DEFAULT_SEVERITY[rule.decision]
    return Verdict(rule.decision, reason, rule.id, severity, rule, grant=_is_grant(rule))


def _is_grant(rule: Rule) -> bool:
    """A user-level allow rule that names its tool or program (no wildcard-only match) grants that action."""
    if rule.decision != "allow" or rule.layer not in _TRUSTED_LAYERS:
        return False
    named = rule.match.get("tool", rule.match.get("program"))
    names = named if isinstance(named, list) else [named]
    return bool(names) and all(isinstance(n, str) and n.strip("*?") != "" and n != "*" for n in names)


@functools.lru_cache(maxsize=2048)
def _candidates(rules: tuple[Rule, ...], tool: str, manager: str, effect: str) -> tuple[Rule, ...]:
    """The call rules whose tool, manager and effect keys fit (the cheap part of matching, remembered)."""
    out = []
    for rule in rules:
        m = rule.match
        if rule.is_segment_rule or ("tool" in m and not matches(_listify(m["tool"]), tool)) or \
                ("manager" in m and not matches(_listify(m["manager"]), manager)) or \
                ("effect" in m and effect not in _listify(m["effect"])):
            continue
        out.append(rule)
    return tuple(out)


@functools.lru_cache(maxsize=256)
def _segment_rules(rules: tuple[Rule, ...], tool: str) -> tuple[Rule, ...]:
    return tuple(r for r in rules if r.is_segment_rule and (
        "tool" not in r.match or matches(_listify(r.match["tool"]), tool)))


def _context_matches(rule: Rule, ctx: GateContext) -> bool:
    """`context:` predicates on the session (production, kube_context, read_only), not on the call."""
    wanted = rule.match.get("context") or {}
    return all(matches(p, getattr(ctx, k, ctx.extra.get(k))) for k, p in wanted.items())


def _call_matches(rule: Rule, call: GateCall, ctx: GateContext, facts: set[str],
                  targets: dict[str, list[str]]) -> bool:
    """The rest of a call rule's match, for a rule `_candidates` kept (tool, manager and effect fit)."""
    m = rule.match
    if not _context_matches(rule, ctx):
        return False
    if "args" in m and not all(matches(p, arg_at(call.args, k)) for k, p in m["args"].items()):
        return False
    if "facts" in m and not set(_listify(m["facts"])) <= facts:
        return False
    return "target" not in m or all(matches(p, targets.get(k) or None) for k, p in m["target"].items())


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


def _command_level(rule: Rule) -> bool:
    """A rule about the whole command's parse problems (not about one simple command of it)."""
    return set(rule.match) - {"tool", "context"} == {"problems"}


def _judge_shell(command: str, call: GateCall, rules: list[Rule], ctx: GateContext, sev: dict[str, str],
                 depth: int) -> Judgement:
    from reign.policy.bash import parse
    from reign.policy.classifiers.shell import NETWORK_SENDERS, staged_payload
    from reign.policy.facts import shell_calls

    analysis = parse(command)
    seg_rules = _segment_rules(tuple(rules), call.tool)
    out: list[Verdict] = []
    effect = gated = "read"
    problems = set(analysis.problems)
    where = command.strip()[:120]
    for rule in seg_rules:
        if _command_level(rule) and _context_matches(rule, ctx) and \
                problems & set(_listify(rule.match["problems"])):
            out.append(_verdict(rule, sev, where))
    if problems:
        out.append(Verdict("ask", f"cannot prove safe: {', '.join(sorted(problems))}", "shell-unparsed", "risky"))
        effect = gated = "unknown"
    if not analysis.segments:
        out.append(Verdict("ask", "nothing recognisable to run", "shell-empty", "risky"))
        effect = gated = _max_effect(effect, "unknown")
    views = [segment_view(seg, ctx) for seg in analysis.segments]
    if any("credential_path" in v["segment_facts"] for v in views) and \
            any(v["program"] in NETWORK_SENDERS for v in views):
        out.append(Verdict("deny", "credentials read and sent over the network in one command",
                           "shell-exfiltration", "critical"))
    staged = staged_payload(analysis.segments, ctx)
    if staged:
        out.append(Verdict("deny", f"runs a file it just downloaded or decoded: {staged}",
                           "shell-run-downloaded-file", "critical"))
    by_program, anywhere = _index(tuple(r for r in seg_rules if not _command_level(r)))
    for seg, facts in zip(analysis.segments, views, strict=True):
        candidates = by_program.get(facts["program"], ()) + anywhere
        text = seg.text.strip()[:120]
        found = [_verdict(r, sev, text) for r in candidates
                 if _context_matches(r, ctx) and _segment_matches(r, facts, problems)]
        translated = shell_calls(seg, ctx)
        if translated:
            part_gated = "read"
            for sub in translated:
                inner = judge(sub, rules, ctx, severities=sev, depth=depth + 1)
                found += [replace(v, reason=f"{v.reason} (in `{text}`)") for v in inner.verdicts]
                effect, part_gated = _max_effect(effect, inner.effect), _max_effect(part_gated, inner.gated)
            if _computed_targets(seg) and _effect_name(part_gated) == "write":
                # `docker kill $(docker ps -q)`, `... | xargs helm uninstall`: a bulk action whose targets
                # are only known at run time
                found.append(Verdict("ask", f"acts on targets computed at run time (in `{text}`)",
                                     "shell-computed-targets", "risky"))
                effect, part_gated = _max_effect(effect, "unknown"), "unknown"
            found, part_gated = _granted(found, part_gated)
            out += found
            gated = _max_effect(gated, part_gated)
            continue
        seg_effect = segment_effect(seg, ctx, found)
        if seg_effect == "write" and "xargs" in seg.wrappers:  # `... | xargs redis-cli del`
            found.append(Verdict("ask", f"writes to targets fed by xargs at run time (in `{text}`)",
                                 "shell-computed-targets", "risky"))
            seg_effect = "unknown"
        effect = _max_effect(effect, seg_effect)
        written = facts["redirect"] if seg.redirects and _reads_only(seg, ctx) else facts["paths"]
        outside = _outside_workspace(written, ctx) if seg_effect in ("write", "destructive") else []
        if outside:
            found.append(Verdict("ask", f"changes paths outside the workspace: {', '.join(outside[:3])} (in `{text}`)",
                                 "shell-outside-workspace", "risky"))
        if not found:
            found = [Verdict("ask", f"`{facts['program']}` is not known to be read-only", "shell-fallback",
                             "routine" if seg_effect in ("read", "write") else "risky")]
        found, seg_gated = _granted(found, seg_effect)
        gated = _max_effect(gated, seg_gated)
        out.append(max(found, key=lambda v: (STRICTNESS[v.action], SEVERITY_ORDER[v.severity])))
        out += [v for v in found if v.grant]
    return Judgement(out, _effect_name(effect), _effect_name(gated))


def _computed_targets(seg: Segment) -> bool:
    """Operands computed at run time (`$(...)`, `$VAR`) or fed by xargs, after the verb."""
    return "xargs" in seg.wrappers or any(i >= 2 for i in getattr(seg, "dynamic_args", ()))


_SCRATCH = ("/tmp", "/var/tmp", "/dev/null", "/dev/stdout", "/dev/stderr", "/dev/fd", "/proc/self/fd")  # noqa: S108


def _reads_only(seg: Segment, ctx: GateContext) -> bool:
    """A reader whose output is redirected (`ls /etc > list.txt`) changes only its redirect targets."""
    from dataclasses import replace as replace_fields

    from reign.policy.classifiers import shell as shell_classifier

    return bool(shell_classifier.generic_effect(replace_fields(seg, redirects=()), ctx) == "read")


def _outside_workspace(paths: list[str], ctx: GateContext) -> list[str]:
    """Absolute (or `~`) paths a writing command names outside the workspace root (scratch places aside)."""
    root = ctx.workspace_root.rstrip("/")
    if not root:
        return []
    out = []
    for path in paths:
        full = ctx.home.rstrip("/") + path[1:] if path == "~" or path.startswith("~/") else path
        if not full.startswith("/"):
            if ".." not in full.split("/"):
                continue
            full = root + "/" + full  # a relative path that climbs: judged from the workspace root
        full = collapse_path(full)
        home = ctx.home.rstrip("/")
        in_home = bool(home) and (full == home or full.startswith(home + "/"))
        if full == root or full.startswith(root + "/") or (full.startswith(_SCRATCH) and not in_home):
            continue
        out.append(path)
    return out


# A floor for simple commands the shell classifier has no effect for (see segment_effect).
_DESTRUCTIVE_PROGRAMS = frozenset({"rm", "rmdir", "shred", "unlink", "wipefs", "mkfs", "dd", "truncate",
                                   "srm", "fdisk", "parted", "sgdisk", "blkdiscard"})
_WRITE_PROGRAMS = frozenset({"mkdir", "touch", "cp", "mv", "ln", "chmod", "chown", "chgrp", "tee", "install",
                             "git", "tar", "unzip", "gzip", "gunzip", "zip", "patch", "rsync", "scp", "cd",
                             "pushd", "popd", "export", "exit", "unset", "wait", "curl", "wget"})


def segment_effect(seg: Segment, ctx: GateContext, found: list[Verdict]) -> str:
    """What one simple command really does: the shell classifier's generic effect where it has one."""
    from reign.policy.classifiers import shell as shell_classifier

    generic = getattr(shell_classifier, "generic_effect", None)
    if generic is not None:
        effect = generic(seg, ctx)
        if effect is not None:
            return str(effect)
    if found and all(v.action == "allow" for v in found):
        return "read"
    program = seg.program
    if program in _DESTRUCTIVE_PROGRAMS or program.startswith("mkfs."):
        return "destructive"
    if program in _WRITE_PROGRAMS or any(r.op.lstrip("0123456789&").startswith(">") for r in seg.redirects):
        return "write"
    return "unknown"


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
    resolved = list(seg.path_argv[1:]) if len(seg.path_argv) == len(seg.argv) else args
    for word in dict.fromkeys(args + resolved):  # as written and resolved against the tracked directory
        values.append(word)
        if (word.startswith("-") and "=" in word) or ("=" in word and not word.startswith("-")):
            values.append(word.split("=", 1)[1])
    # as written and resolved against the tracked directory (`cd ~ && echo x > .bashrc` writes ~/.bashrc)
    redirects = list(dict.fromkeys(normal_path(p, ctx) for r in seg.redirects for p in (r.target, r.resolved)))
    writes = list(dict.fromkeys(normal_path(p, ctx) for r in seg.redirects if ">" in r.op
                                for p in (r.target, r.resolved)))
    return {
        "program": seg.program,
        "subcommand": subcommand(seg.program, args),
        "argv": args,
        "paths": [normal_path(v, ctx) for v in values] + redirects,
        "redirect": writes,
        "pipe_from": list(seg.pipe_from),
        "wrapped_by": list(seg.wrappers),
        "segment_facts": segment_facts(seg, ctx),
    }


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
    """Does this one rule say anything on the call? Decided by the very code `decide` runs (judge)."""
    judged = judge(call, [rule], ctx)
    return any(v.source is rule for v in judged.verdicts)
