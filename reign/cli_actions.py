"""What each CLI command does, kept out of cli.py (which only parses options) so it can be tested
without click. `reign chat` lives in reign/chat.py."""

from __future__ import annotations

import json
import signal
from collections.abc import Iterator
from contextlib import contextmanager, nullcontext
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any

from reign.config import Settings
from reign.errors import ReignError
from reign.types import RunResult

if TYPE_CHECKING:
    from reign.agent import Agent
    from reign.sessions import SessionStore

_SETTING_FLAGS = ("provider", "model", "base_url", "max_steps", "token_budget", "time_limit", "read_only")


def load_settings(opts: dict[str, Any]) -> Settings:
    from pydantic import ValidationError

    overrides = {k: opts[k] for k in _SETTING_FLAGS if opts.get(k) is not None}
    if opts.get("tools_dirs"):
        overrides["tools_dirs"] = list(opts["tools_dirs"])
    try:
        return Settings(**overrides)
    except ValidationError as exc:
        raise ReignError(settings_error(exc)) from None


def settings_error(exc: Any) -> str:
    """A pydantic ValidationError of Settings as one line naming the setting and where it can be set."""
    first = exc.errors()[0]
    name = ".".join(str(p) for p in first["loc"])
    value = first.get("input")
    shown = f" (got {value!r})" if isinstance(value, str | int | float) else ""
    return (f"bad setting {name}{shown}: {first['msg']}; set it with REIGN_{name.split('.')[0].upper()} "
            "(environment or .env) or in ~/.config/reign/config.toml")


def check_writable(settings: Settings) -> None:
    """The state Reign must write (audit trail, sessions) fails here with the setting to change, not later."""
    import tempfile

    state = ((settings.audit_dir, "REIGN_AUDIT_DIR"), (settings.sessions_db.parent, "REIGN_SESSIONS_DB"))
    for folder, setting in state:
        target = Path(folder).expanduser()
        try:
            target.mkdir(parents=True, exist_ok=True, mode=0o700)
            with tempfile.TemporaryFile(dir=target):
                pass
        except OSError as exc:
            raise ReignError(f"cannot write to {target} ({exc.strerror or exc}); "
                             f"set {setting} to a folder you can write") from None


def env_cassette() -> Path | None:
    """REIGN_CASSETTE works as --cassette, so a harness can replay any entry point."""
    import os

    value = os.environ.get("REIGN_CASSETTE", "").strip()
    return Path(value) if value else None


@contextmanager
def provider_session(settings: Settings, opts: dict[str, Any]) -> Iterator[Any]:
    from reign.cassettes import cassette
    from reign.providers import make_provider

    path: Path | None = opts.get("cassette") or env_cassette()
    if opts.get("record") and path is None:
        raise ReignError("--record needs --cassette FILE to record into")
    replaying = path is not None and not opts.get("record")
    ctx = cassette(path, record=bool(opts.get("record")), provider=settings.provider) if path else nullcontext()
    with ctx:
        yield make_provider(settings, replaying=replaying)


def logger(settings: Settings, opts: dict[str, Any]) -> Any:
    from reign.log import configure_later

    return configure_later(verbose=bool(opts.get("verbose")), level=settings.log_level, file=settings.log_file)


def close_audit(agent: Agent, result: RunResult) -> None:
    """The run's last audit record: how it ended, so an interrupted run is visibly closed in the trail."""
    agent.executor.audit.record("end", stop_reason=result.stop_reason, steps=result.steps,
                                error=result.error[:500])


def run_once(goal: str | None, *, output: str, yes: bool, quiet: bool = False, **opts: Any) -> int:
    """`reign run`: 0 when the run completed, 1 when it stopped otherwise, 128+N when signal N stopped it."""
    from reign import cli, sessions, signals
    from reign.approval import NonInteractive
    from reign.wiring import Options, build_agent

    if goal is not None and not goal.strip():
        raise ReignError("the GOAL is blank: say what to do, e.g. reign run \"list the running containers\"")
    settings = load_settings(opts)
    check_writable(settings)
    session = sessions.plan(settings, opts)  # on --resume: the stored scope, flags checked
    settings = session.settings
    approver = NonInteractive(yes=yes)
    with signals.stop_on_signals(), provider_session(settings, opts) as provider:
        agent = build_agent(settings, provider, Options(plan=session, approver=approver, log=logger(settings, opts)))
        cli.start_collector()
        goal = goal or sessions.DEFAULT_FOLLOW_UP
        if output == "text":
            from reign.console import Console

            console = Console(quiet=quiet, model=provider.model, prices=settings.prices)
            agent.on_step = lambda step, calls: console.show_step(step, agent.messages[-1].text, calls)
            agent.on_result = console.show_outcome
            approver.notify = console.remember_request
            console.busy("waiting for the model")
            try:
                result = session.run(agent, goal)
            finally:
                console.idle()
            close_audit(agent, result)
            signum = signals.received()
            console.show_result(result, stopped_by=signal.Signals(signum).name if signum else "")
            console.note(f"session {session.id} (`reign run --resume {session.id} \"...\"` continues it)")
        else:
            result = session.run(agent, goal)
            close_audit(agent, result)
            from reign.pricing import cost

            dollars = cost(result.usage, provider.model, settings.prices)
            out = {**result_json(result), "estimated_cost_usd": None if dollars is None else round(dollars, 6)}
            from reign.terminal import inert_json

            print(inert_json(out))
    if result.stop_reason == "interrupted":
        return signals.exit_code()
    return 0 if result.stop_reason == "completed" else 1


def result_json(result: RunResult) -> dict[str, Any]:
    return {
        "final": result.final,
        "stop_reason": result.stop_reason,
        "error": result.error,
        "steps": result.steps,
        "tool_calls": [c.model_dump(include={"tool", "args", "decision", "rule", "approved", "ok", "output"}
                                    | ({"preview"} if c.preview is not None else set()))
                       for c in result.tool_calls],
        "usage": result.usage.model_dump(),
        "session": result.session,
    }


def tool_rows(settings: Settings) -> list[dict[str, Any]]:
    from reign.wiring import load_catalogue

    catalogue = load_catalogue(settings)
    rows = []
    for tool in sorted(catalogue.tools.values(), key=lambda t: (t.manager, t.name)):
        reason = catalogue.unavailable_reason(tool)
        rows.append({"tool": tool.name, "manager": tool.manager, "effect": tool.effect,
                     "available": reason is None, "reason": reason or ""})
    return rows


def list_tools(*, as_json: bool, tools_dirs: list[Path]) -> None:
    settings = load_settings({"tools_dirs": tools_dirs})
    rows = tool_rows(settings)
    if as_json:
        for row in rows:
            print(json.dumps(row))
        return
    from reign.console import Console
    from reign.tables import tools_table

    tools_table(Console().out, rows)


def check_calls(stdin: IO[str], stdout: IO[str], policies: list[Path], *, read_only: bool) -> int:
    """One JSON decision per input line, in order. A malformed line gets an error line, not a crash."""
    from dataclasses import replace

    from reign import cli
    from reign.policy import GateCall, decide, gate_context, load_checked_policy

    settings = load_settings({"read_only": read_only or None})
    policy = load_checked_policy([*settings.policy_files, *policies])
    ctx = gate_context(settings)
    effects = _known_effects(settings)
    cli.start_collector()  # the policy is loaded: the calls may be many
    bad = 0
    for n, line in enumerate(stdin, 1):
        if not line.strip():
            continue
        try:
            item = json.loads(line)
            if not isinstance(item, dict) or not isinstance(item.get("tool"), str) or \
                    not isinstance(item.get("args", {}), dict):
                raise ValueError('expected {"tool": "...", "args": {...}}')
        except ValueError as exc:
            bad += 1
            stdout.write(json.dumps({"decision": "deny", "reason": f"line {n}: {exc}", "rule": "input",
                                     "effect": "unknown", "severity": "critical", "unattended": "refuse"}) + "\n")
            continue
        tool = item["tool"]
        effect, manager, command = effects.get(tool, ("write", tool.split("_")[0], None))
        call = GateCall(tool=tool, args=item.get("args") or {}, effect=str(item.get("effect") or effect),
                        manager=manager, command=command)
        overrides: dict[str, Any] = {k: tuple(v) if isinstance(v, list) else v
                                     for k, v in (item.get("context") or {}).items() if k in _CTX_FIELDS}
        local = replace(ctx, **overrides)
        decision = decide(call, policy, local)
        stdout.write(json.dumps({"decision": decision.action, "reason": decision.reason, "rule": decision.rule,
                                 "effect": decision.effect, "severity": decision.severity,
                                 "unattended": decision.unattended}) + "\n")
    stdout.flush()
    return 1 if bad else 0


_CTX_FIELDS = {"kube_context", "production", "allowed_namespaces", "protected_namespaces", "protected_branches",
               "allow_destructive", "terraform_production", "workspace_root", "cluster_scoped_kinds"}


def _known_effects(settings: Settings) -> dict[str, tuple[str, str, tuple[str, ...] | None]]:
    """Tool effects from the catalogue files alone: no availability probes, no implementations imported."""
    from reign.catalogue import Catalogue

    try:
        catalogue = Catalogue.load(settings.tools_dirs, check_schemas=False)
    except ReignError:
        return {}
    return {t.name: (t.effect, t.manager, t.command) for t in catalogue.tools.values()}


def lint_policy(files: list[Path]) -> None:
    from reign.policy import load_checked_policy

    policy = load_checked_policy(files)
    rules = [r for r in policy.rules if r.layer == "cli"]
    examples = sum(len(r.examples_match) + len(r.examples_not_match) for r in rules)
    print(f"ok: {len(rules)} rules, {examples} examples pass (over {len(policy.rules) - len(rules)} default rules)")


def policy_rows(policies: list[Path], settings: Settings | None = None) -> tuple[list[str], list[dict[str, Any]]]:
    from reign.policy import load_checked_policy

    settings = settings or load_settings({})
    policy = load_checked_policy([*settings.policy_files, *policies])
    rows = [{"id": r.id, "decision": r.decision, "layer": r.layer, "disabled_by": policy.disabled.get(r.id, ""),
             "reason": r.reason, "match": r.match} for r in policy.rules]
    return policy.layers, rows


def explain_policy(policies: list[Path], *, as_json: bool) -> None:
    layers, rows = policy_rows(policies)
    if as_json:
        print(json.dumps({"layers": layers, "rules": rows}, indent=2))
        return
    from reign.console import Console
    from reign.tables import policy_table

    policy_table(Console().out, layers, rows)


def _audit_path(path: Path | None) -> Path:
    from reign.audit import default_path

    return path or default_path(load_settings({}).audit_dir)


def filter_audit(records: list[dict[str, Any]], *, tool: str | None = None, decision: str | None = None,
                 tail: int | None = None) -> list[dict[str, Any]]:
    """Records of one tool and/or of calls with one decision (with their approval and result), the last N."""
    if tool:
        records = [r for r in records if r.get("tool") == tool]
    if decision:
        calls = {(r.get("session"), r.get("call_id")) for r in records
                 if r.get("kind") == "decision" and r.get("decision") == decision}
        records = [r for r in records if (r.get("session"), r.get("call_id")) in calls]
    return records[-tail:] if tail else records


def show_audit(path: Path | None, session: str | None, *, as_json: bool, tool: str | None = None,
               decision: str | None = None, tail: int | None = None) -> None:
    from reign.audit import read

    target = _audit_path(path)
    if not target.is_file():
        raise ReignError(f"no audit trail at {target}")
    records = filter_audit(read(target, session), tool=tool, decision=decision, tail=tail)
    if as_json:
        for rec in records:
            print(json.dumps(rec))
        return
    from reign.console import Console
    from reign.tables import audit_table

    audit_table(Console().out, records)


def verify_audit(path: Path | None, *, expect: str | None = None) -> int:
    """The chain, each record's MAC (with audit_key), the head kept in the sessions database and an anchor
    given with --expect; prints the head so it can be kept somewhere else."""
    import re

    from reign.audit import Head, key_of, verify
    from reign.sessions import SessionStore

    settings = load_settings({})
    target = path or _audit_path(None)
    if not target.is_file():
        raise ReignError(f"no audit trail at {target}")
    anchor = None
    if expect is not None:
        found = re.fullmatch(r"(\d+):([0-9a-f]{64})", expect.strip())
        if not found:
            raise ReignError("--expect takes SEQ:HASH as `reign audit verify` printed it (head: seq N, sha256 H)")
        anchor = Head(int(found.group(1)), found.group(2))
    store = SessionStore.existing(settings.database)
    head = store.audit_head(target) if store is not None else None
    report = verify(target, key=key_of(settings), head=head, expect=anchor)
    for problem in report.problems:
        print(problem)
    for warning in report.warnings:
        print(f"warning: {warning}")
    if head is None:
        where = store.where if store else settings.sessions_db
        print(f"warning: no head for this trail in {where}: a cut at the end of the file "
              "cannot be detected here (compare with a head kept elsewhere: --expect SEQ:HASH)")
    for what in report.checked:
        print(f"checked: {what}")
    print(f"head: seq {report.last_seq} sha256 {report.last_hash}"
          + (f" mac {report.last_mac}" if report.last_mac else "")
          + f"  (keep it elsewhere; `reign audit verify --expect {report.last_seq}:{report.last_hash}` checks it)")
    print(f"{'ok' if report.ok else 'FAILED'}: {report.records} records in {target}")
    return 0 if report.ok else 1


def _session_store() -> SessionStore:
    from reign.sessions import SessionStore

    settings = load_settings({})
    store = SessionStore.existing(settings.database)
    if store is None:
        raise ReignError(f"no session database at {settings.sessions_db}")
    return store


def list_sessions(*, as_json: bool, limit: int) -> None:
    from reign.sessions import SessionStore, list_text

    store = SessionStore.existing(load_settings({}).database)
    infos = store.recent(limit) if store else []
    from reign.terminal import inert, inert_json

    if as_json:
        for info in infos:
            print(inert_json(info.row()))
        return

    print(inert(list_text(infos)))


def show_session(ref: str) -> None:
    from reign.sessions import transcript_text
    from reign.terminal import inert

    store = _session_store()
    print(inert(transcript_text(store, ref)))


def export_session(ref: str, out: Path | None) -> None:

    store = _session_store()
    from reign.terminal import inert_json

    text = inert_json(store.export(ref), indent=2)
    if out is None:
        print(text)
    else:
        out.write_text(text + "\n")


def serve_mcp(*, http: bool, port: int, read_only: bool, policies: list[Path], tools_dirs: list[Path]) -> None:
    from reign.mcp.server import serve

    settings = load_settings({"read_only": read_only or None, "tools_dirs": tools_dirs})
    serve(settings, policies=policies, http=http, port=port)
