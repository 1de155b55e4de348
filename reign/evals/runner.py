"""Run tasks k times each, every attempt in isolation: setup, agent, expectations, verifier, cleanup.

Every attempt gets a fresh working directory (the task's workspace copied in), its own audit trail
and a deadline (the task's timeout) shared by setup, agent and verifier; cleanup always runs. The
agent is Reign itself, built by the same wiring as `reign run`, driven in-process (live, recording,
or replaying the task's cassette) with unattended approval: routine asks approved, the rest refused.
Success needs every check the task gives to hold: the expectations on the agent's last words, no
forbidden command run, and the verifier (which reads the real state of the engine) exiting 0.
"""

from __future__ import annotations

import datetime as dt
import os
import re
import shutil
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager, nullcontext
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from reign.errors import ReignError
from reign.evals.backends import missing_backends
from reign.evals.commands import command_line
from reign.evals.results import Attempt, CallStats, SuiteResult, TaskResult, estimate_cost
from reign.evals.task import Task
from reign.types import CallRecord, RunResult, ToolCall

Mode = Literal["replay", "live", "record"]
SCRIPT_OUTPUT_CAP = 20_000
CLEANUP_TIMEOUT = 120.0


@dataclass
class EvalConfig:
    k: int = 1
    mode: Mode = "replay"
    provider: str | None = None
    model: str | None = None
    base_url: str | None = None
    price: tuple[float, float] | None = None
    out_dir: Path | None = None  # per-attempt logs (and, when recording, cassettes)
    progress: Callable[[str], None] = field(default=lambda line: None)


def run_suite(tasks: list[Task], cfg: EvalConfig, suites: list[str]) -> SuiteResult:
    from importlib.metadata import PackageNotFoundError, version

    try:
        reign_version = version("reign")
    except PackageNotFoundError:
        reign_version = "unknown"
    suite = SuiteResult(reign_version=reign_version, started=dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
                        mode=cfg.mode, provider=cfg.provider or "", model=cfg.model or "", k=cfg.k, suites=suites)
    for task in tasks:
        ext = task.spec.reign
        result = TaskResult(task=task.id, category=ext.category, difficulty=task.spec.difficulty,
                            backends=list(ext.backends), k=cfg.k)
        missing = missing_backends(list(ext.backends))
        if cfg.mode == "replay" and task.cassette() is None:
            missing = missing or "no cassette to replay (run live with --live)"
        if missing:
            result.skipped = missing
            cfg.progress(f"{task.id}: skipped ({missing})")
        else:
            for n in range(cfg.k):
                attempt = run_attempt(task, cfg, n)
                result.attempts.append(attempt)
                if not suite.model and attempt.answer is not None:
                    suite.model = cfg.model or ""
                why = "; ".join(attempt.failures) or attempt.error
                cfg.progress(f"{task.id} #{n + 1}: {attempt.outcome} ({attempt.wall_s:.1f}s)"
                             + (f": {why[:300]}" if why and not attempt.passed else ""))
        suite.tasks.append(result)
    return suite


def run_attempt(task: Task, cfg: EvalConfig, n: int) -> Attempt:
    attempt = Attempt(task=task.id, attempt=n + 1)
    started = time.monotonic()
    deadline = started + task.timeout_s
    log: list[str] = []
    with tempfile.TemporaryDirectory(prefix=f"reign-eval-{task.id}-") as tmp:
        root = Path(tmp)
        work = root / "work"
        if task.spec.reign.workspace:
            shutil.copytree(task.dir / task.spec.reign.workspace, work, symlinks=True)
        else:
            work.mkdir()
        env = {**_script_env(task, work, n), **task.spec.reign.env}
        try:
            ok = _script(task, "setup", env, deadline, log)
            if not ok:
                attempt.outcome, attempt.error = "error", "setup failed (see the attempt log)"
            else:
                with patched_environ(task.spec.reign.env):
                    _agent(task, cfg, attempt, root, work, deadline, n, log)
                if attempt.outcome != "error":
                    _judge(task, attempt, env, deadline, log)
        except ReignError as exc:
            attempt.outcome, attempt.error = "error", str(exc)
        finally:
            _script(task, "cleanup", env, time.monotonic() + CLEANUP_TIMEOUT, log)
            attempt.wall_s = round(time.monotonic() - started, 2)
            _write_log(cfg, task, n, log, attempt)
    return attempt


@contextmanager
def patched_environ(extra: dict[str, str]) -> Iterator[None]:
    """os.environ with `extra` set for the block, then as it was (unset names unset again)."""
    saved = {k: os.environ.get(k) for k in extra}
    os.environ.update(extra)
    try:
        yield
    finally:
        for key, value in saved.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value


def _script_env(task: Task, work: Path, n: int) -> dict[str, str]:
    from reign.process import child_env

    return child_env({"REIGN_EVAL_WORKDIR": str(work), "REIGN_EVAL_TASK": task.id,
                      "REIGN_EVAL_ATTEMPT": str(n + 1), "REIGN_EVAL_TASK_DIR": str(task.dir)})


def _script(task: Task, kind: Literal["setup", "verifier", "cleanup"], env: dict[str, str], deadline: float,
            log: list[str]) -> bool:
    """Run one of the task's scripts in the task directory; True when it exits 0 (or there is none)."""
    from reign.process import run_argv

    path = task.script(kind)
    if path is None:
        return True
    argv = [str(path)] if os.access(path, os.X_OK) else ["bash", str(path)]
    left = max(1.0, deadline - time.monotonic())
    done = run_argv(argv, timeout=left, cap=SCRIPT_OUTPUT_CAP, cwd=task.dir, env=env)
    status = "timed out" if done.timed_out else f"exit {done.exit_code}"
    log.append(f"--- {kind}: {path.name} ({status})\n{done.stdout}{done.stderr}")
    return done.exit_code == 0


def _agent(task: Task, cfg: EvalConfig, attempt: Attempt, root: Path, work: Path, deadline: float, n: int,
           log: list[str]) -> None:
    from reign.cassettes import cassette, header_line
    from reign.cli_actions import load_settings
    from reign.evals.unattended import RecordingGate, Unattended
    from reign.providers import make_provider
    from reign.wiring import Options, build_agent

    tape = _tape(task, cfg, root, n)
    provider_name = cfg.provider
    if cfg.mode == "replay" and tape is not None and not provider_name:
        provider_name = "openai" if "openai wire format" in header_line(tape) else "anthropic"
    left = max(1.0, deadline - time.monotonic())
    settings = load_settings({"provider": provider_name, "model": cfg.model, "base_url": cfg.base_url,
                              "max_steps": task.spec.reign.max_steps, "time_limit": left})
    settings = settings.model_copy(update={"workspace_root": work, "audit_dir": root / "audit",
                                           "sessions_db": root / "sessions.db", "database_url": None})
    approver = Unattended()
    ctx = cassette(tape, record=cfg.mode == "record", provider=settings.provider) if tape else nullcontext()
    results: list[RunResult] = []
    t0 = time.monotonic()
    with ctx:
        provider = make_provider(settings, replaying=cfg.mode == "replay", base_wait=0.0 if tape else 1.0)
        agent = build_agent(settings, provider, Options(approver=approver, session=f"eval-{task.id}-{n + 1}"))
        gate = RecordingGate(agent.executor.gate)
        agent.executor.gate = gate
        agent.executor.cwd = work
        for prompt in task.prompts():
            agent.limits.time_limit = max(1.0, deadline - time.monotonic())
            result = agent.run(prompt)
            results.append(result)
            why = f": {result.error}" if result.error else ""
            log.append(f"--- prompt\n{prompt}\n--- agent ({result.stop_reason}{why})")
            for record in result.tool_calls:
                note = f" {record.rule}: {record.reason}" if record.decision != "allow" else ""
                log.append(f"Running: {command_line(record.tool, record.args)}  [{_verdict(record)}{note}]")
                if not record.ok:
                    log.append(f"  -> {record.output[:300]}")
            log.append(result.final)
            if result.stop_reason in ("error", "interrupted"):
                break
        model = provider.model
    attempt.agent_s = round(time.monotonic() - t0, 2)
    _account(attempt, results, agent.messages, gate.effects, set(approver.refused))
    attempt.cost_usd = estimate_cost(model, attempt.input_tokens, attempt.output_tokens, cfg.price)
    errors = [r.error for r in results if r.stop_reason == "error"]
    if errors:
        attempt.outcome, attempt.error = "error", f"agent error: {errors[0]}"


def _tape(task: Task, cfg: EvalConfig, root: Path, n: int) -> Path | None:
    if cfg.mode == "replay":
        return task.cassette()
    if cfg.mode == "record":
        base = cfg.out_dir or root
        path = base / "cassettes" / task.id / f"attempt-{n + 1}.yaml"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.unlink(missing_ok=True)
        return path
    return None


def _verdict(record: CallRecord) -> str:
    if record.decision == "ask":
        return "approved" if record.approved else "refused"
    return record.decision


def _account(attempt: Attempt, results: list[RunResult], messages: list[Any], effects: dict[str, str],
             refused: set[str]) -> None:
    """Sum the runs of every script step into the attempt's metrics."""
    calls_by_id: dict[str, ToolCall] = {c.id: c for m in messages for c in m.tool_calls}
    stats = CallStats()
    for result in results:
        attempt.steps += result.steps
        attempt.input_tokens += result.usage.input_tokens
        attempt.output_tokens += result.usage.output_tokens
        attempt.stop_reasons.append(result.stop_reason)
        for record in result.tool_calls:
            stats.total += 1
            setattr(stats, record.decision, getattr(stats, record.decision) + 1)
            stats.approved += record.approved is True
            attempt.commands.append(f"{command_line(record.tool, record.args)}  [{_verdict(record)}]")
    for call_id, effect in effects.items():
        if call_id in calls_by_id:
            stats.destructive_attempts += effect == "destructive"
    stats.refused_unattended = len(refused)
    attempt.calls = stats
    attempt.answer = next((r.final for r in reversed(results) if r.final), "")


def _judge(task: Task, attempt: Attempt, env: dict[str, str], deadline: float, log: list[str]) -> None:
    """Every check the task gives must hold (k8s-ai-bench passes on the verifier OR the expectations)."""
    failures: list[str] = []
    for exp in task.spec.expect:
        if exp.contains and not re.search(exp.contains, attempt.answer):
            failures.append(f"expected /{exp.contains}/ in the answer")
        if exp.not_contains and re.search(exp.not_contains, attempt.answer):
            failures.append(f"/{exp.not_contains}/ must not be in the answer")
    ran = [c.rsplit("  [", 1)[0] for c in attempt.commands if not c.endswith(("[deny]", "[refused]"))]
    for rx in task.spec.reign.must_not_run:
        hits = [c for c in ran if re.search(rx, c)]
        if hits:
            failures.append(f"ran a forbidden command /{rx}/: {hits[0][:200]}")
    if task.spec.verifier and not _script(task, "verifier", env, deadline, log):
        failures.append("verifier failed: the real state is not what the task asks for")
    if not task.spec.verifier and not task.spec.expect and not task.spec.reign.must_not_run:
        failures.append("the task has no verifier, expectations or mustNotRun: nothing can pass it")
    attempt.failures = failures
    attempt.outcome = "fail" if failures else "pass"


def _write_log(cfg: EvalConfig, task: Task, n: int, log: list[str], attempt: Attempt) -> None:
    if cfg.out_dir is None:
        return
    path = cfg.out_dir / "logs" / task.id / f"attempt-{n + 1}.log"
    path.parent.mkdir(parents=True, exist_ok=True)
    head = f"task {task.id} attempt {n + 1}: {attempt.outcome}\n" + "".join(f"  - {f}\n" for f in attempt.failures)
    if attempt.error:
        head += f"  error: {attempt.error}\n"
    path.write_text(head + "\n".join(log) + "\n")
