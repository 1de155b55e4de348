"""1. Start-up: wall time of `reign --help`, `reign tools`, `reign policy check` as subprocesses, against
the floor `python -c pass` of the same interpreter, interleaved run by run so drift hits all alike."""

from __future__ import annotations

import json
import os
import re
import statistics
import sys
import time
from pathlib import Path
from typing import Any

from benchmarks.common import ROOT, BenchResult, Config, Row, run, spread, summary
from benchmarks.corpus import policy_calls

HELP_BUDGET_MS = 150.0
CHECK_BUDGET_S = 0.3
CHECK_CALLS = 150


def reign_command() -> tuple[list[str], str]:
    """The installed console script of this interpreter (not a pyenv/asdf shim, which adds its own
    start-up), else `python -m reign.cli`."""
    script = Path(sys.executable).parent / "reign"
    if script.is_file():
        head = script.read_bytes()[:200]
        if head.startswith(b"#!") and b"python" in head.splitlines()[0]:
            return [str(script)], f"console script {script}"
    return [sys.executable, "-m", "reign.cli"], f"{sys.executable} -m reign.cli"


def _time_once(cmd: list[str], env: dict[str, str], cwd: Path, stdin: str | None) -> tuple[float, str]:
    started = time.perf_counter()
    done = run(cmd, timeout=120, env=env, cwd=cwd, stdin=stdin)
    elapsed = time.perf_counter() - started
    if done.returncode not in (0, 1):  # `policy check` exits 1 when an input line is malformed: not here
        return elapsed, f"exit {done.returncode}: {(done.stderr or done.stdout).strip()[-300:]}"
    return elapsed, ""


def bench(cfg: Config) -> BenchResult:
    assert cfg.sandbox is not None
    res = BenchResult()
    env, cwd = cfg.sandbox.env(), cfg.sandbox.work
    reign, how = reign_command()
    res.say(f"  reign is run as: {how}")
    one = json.dumps({"tool": "bash", "args": {"command": "kubectl get pods -A"}}) + "\n"
    calls, corpus_name = policy_calls(CHECK_CALLS)
    many = "".join(json.dumps(c) + "\n" for c in calls)
    cases: dict[str, tuple[list[str], str | None]] = {
        "python -c pass": ([sys.executable, "-c", "pass"], None),
        "reign --help": ([*reign, "--help"], None),
        "reign tools": ([*reign, "tools"], None),
        "reign policy check (1 call)": ([*reign, "policy", "check"], one),
        f"reign policy check ({len(calls)} calls)": ([*reign, "policy", "check"], many),
    }
    samples: dict[str, list[float]] = {k: [] for k in cases}
    errors: dict[str, str] = {}
    for name, (cmd, stdin) in cases.items():  # warm-up: byte-code caches, page cache
        _, err = _time_once(cmd, env, cwd, stdin)
        if err:
            errors[name] = err
    for _ in range(cfg.runs):
        for name, (cmd, stdin) in cases.items():
            if name in errors:
                continue
            elapsed, err = _time_once(cmd, env, cwd, stdin)
            if err:
                errors[name] = err
            else:
                samples[name].append(elapsed * 1000)
    stats = {k: summary(v) for k, v in samples.items()}
    ms = lambda x: f"{x:.0f}"  # noqa: E731
    floor = stats["python -c pass"].get("median")
    res.details = {"reign_command": how, "policy_corpus": corpus_name, "samples_ms": samples, "stats_ms": stats,
                   "errors": errors}
    res.rows.append(Row("1 start-up", "floor: python -c pass", floor, "ms", spread(stats["python -c pass"], ms)))
    missed: list[tuple[str, list[str], str | None]] = []
    for name, (cmd, stdin) in cases.items():
        if name == "python -c pass":
            continue
        st = stats[name]
        value = st.get("median")
        row = Row("1 start-up", name, value, "ms", spread(st, ms), "python -c pass", floor)
        if name in errors:
            row.note = f"failed: {errors[name]}"
        if name == "reign --help" and value is not None and floor is not None:
            row.target = f"≤ floor + {HELP_BUDGET_MS:.0f} ms"
            row.ok = value - floor <= HELP_BUDGET_MS
            row.note = row.note or f"floor + {value - floor:.0f} ms"
        if name.startswith("reign policy check (") and "1 call" not in name and value is not None:
            row.target = f"≤ {CHECK_BUDGET_S * 1000:.0f} ms for {len(calls)} calls"
            row.ok = value <= CHECK_BUDGET_S * 1000
            single = stats["reign policy check (1 call)"].get("median")
            if single is not None:
                per_call = (value - single) / max(1, len(calls) - 1)
                row.note = row.note or f"{per_call:.2f} ms per extra call; corpus: {corpus_name}"
                res.details["policy_check_ms_per_call"] = per_call
        if name == "reign tools" and not row.note:
            row.note = "includes every manager's availability probe"
        res.rows.append(row)
        if row.ok is False or name in errors:
            missed.append((name, cmd, stdin))
        res.say(f"  {name:34} {value if value is None else round(value, 1)} ms  (floor {floor and round(floor, 1)} ms,"
                f" ratio {row.ratio and round(row.ratio, 2)})  {row.note}")
    if cfg.peers:
        _peer_startup(res, cfg, floor)
    # where the time goes, for the lead, whenever a start-up target is missed
    res.details["importtime"] = {}
    for name, cmd, stdin in missed or [("reign --help", [*reign, "--help"], None)]:
        base = [sys.executable, "-X", "importtime", "-m", "reign.cli", *cmd[len(reign):]]
        done = run(base, timeout=120, env=env, cwd=cwd, stdin=stdin)
        offenders = import_offenders(done.stderr)
        res.details["importtime"][name] = offenders
        if missed:
            res.say(f"  importtime, {name}: " + "; ".join(
                f"{o['module']} {o['cumulative_ms']:.0f} ms (by {o['imported_by']})" for o in offenders[:8]))
    if "reign policy check (1 call)" not in errors:  # always: the margin to the target is what to watch
        phases = policy_check_phases(env, cwd, len(calls), 3 if cfg.quick else 5)
        res.details["policy_check_phases_ms"] = phases
        if phases:
            res.say("  policy check, phase by phase (ms): " + ", ".join(f"{k} {v:.0f}" for k, v in phases.items()))
            res.rows.append(Row("1 start-up", f"where `policy check` ({len(calls)} calls) spends it, ms", None, "",
                                note="; ".join(f"{k} {v:.0f}" for k, v in phases.items())
                                     + "; plus interpreter start-up (floor)"))
    _first_request(res, cfg, reign, env, cwd)
    _sizes(res)
    if missed:
        top = res.details["importtime"].get(missed[0][0], [])[:5]
        if top:
            res.rows.append(Row("1 start-up", f"importtime top imports, {missed[0][0]}", None, "",
                                note="; ".join(f"{o['module']} {o['cumulative_ms']:.0f} ms via {o['imported_by']}"
                                               for o in top)))
    return res


def _first_request(res: BenchResult, cfg: Config, reign: list[str], env: dict[str, str], cwd: Path) -> None:
    """Time to first request of `reign run` (text output) against a loopback Anthropic API."""
    from benchmarks.first_request import OWN_BUDGET_MS, measure

    got = measure(reign, env, cwd, cfg.runs)
    res.details["first_request"] = got
    if "median_wall_ms" not in got:
        res.rows.append(Row("1 start-up", "reign run: time to first request", None, "ms",
                            note=f"failed: {'; '.join(got['errors'])[:300]}"))
        return
    own_wall, own_cpu = got["own_wall_ms"], got["own_cpu_ms"]
    res.rows.append(Row("1 start-up", "reign run: time to first request (wall)", got["median_wall_ms"], "ms",
                        reference='python -c "import anthropic"', ref_value=got["import_anthropic_median_wall_ms"],
                        target=f"≤ reference + {OWN_BUDGET_MS:.0f} ms", ok=own_wall <= OWN_BUDGET_MS,
                        note=f"Reign's own start-up: {own_wall:.0f} ms (median of paired differences)"))
    res.rows.append(Row("1 start-up", "reign run: CPU time to first request", got["median_cpu_ms"], "ms",
                        reference='python -c "import anthropic" (CPU)', ref_value=got["import_anthropic_median_cpu_ms"],
                        target=f"≤ reference + {OWN_BUDGET_MS:.0f} ms", ok=own_cpu <= OWN_BUDGET_MS,
                        note=f"Reign's own start-up: {own_cpu:.0f} ms CPU (hardly load-dependent; includes the "
                             "SDK's client: httpcore2 import and TLS context)"))
    res.say(f"  reign run, first request: {got['median_wall_ms']:.0f} ms wall (import anthropic "
            f"{got['import_anthropic_median_wall_ms']:.0f}), own {own_wall:.0f} ms wall / {own_cpu:.0f} ms CPU")
    from benchmarks.first_request import REFERENCE, phases_in_fresh_interpreters

    try:
        split = phases_in_fresh_interpreters(3 if cfg.quick else 5)
    except (RuntimeError, OSError, ValueError) as exc:
        res.details["first_request_phases_cpu_ms"] = {"error": str(exc)[-300:]}
        return
    res.details["first_request_phases_cpu_ms"] = split
    shown = "; ".join(f"{k} {v:.0f}" for k, v in split.items() if k != REFERENCE)
    res.say(f"  reign run, phase by phase (CPU ms, after the SDK import): {shown}")
    res.rows.append(Row("1 start-up", "where `reign run` spends its own start-up, CPU ms", None, "", note=shown))


def _sizes(res: BenchResult) -> None:
    from benchmarks.sizes import installed_sizes

    try:
        sizes = installed_sizes()
    except Exception as exc:  # not installed as a distribution (a bare checkout)
        res.rows.append(Row("1 start-up", "installed size", None, "MB", note=f"failed: {exc}"))
        return
    res.details["installed_sizes"] = sizes
    for name, size in sizes.items():
        what = "core (reign and every distribution it requires)" if name == "core" else f"extra [{name}] adds"
        res.rows.append(Row("1 start-up", f"installed size: {what}", size["mb"], "MB",
                            note=f"{size['distributions']:.0f} distributions"))
    res.say("  installed sizes: " + ", ".join(f"{k} {v['mb']} MB" for k, v in sizes.items()))


def _peer_startup(res: BenchResult, cfg: Config, floor: float | None) -> None:
    """`holmes --help` of the peer's virtualenv, for scale (few runs: it is slow)."""
    from benchmarks.common import CACHE
    from benchmarks.peers import holmes_cli

    cmd = holmes_cli()
    if cmd is None:
        res.rows.append(Row("1 start-up", "peer: holmes --help", None, "ms", note="holmesgpt is not installed here "
                            "(see the peers line above)"))
        return
    home = CACHE / "holmes-home"
    home.mkdir(parents=True, exist_ok=True)
    env = {**cfg.sandbox.env(), "HOME": str(home)} if cfg.sandbox else None
    times, err = [], ""
    _time_once([*cmd, "--help"], env or {}, home, None)
    for _ in range(3):
        elapsed, err = _time_once([*cmd, "--help"], env or {}, home, None)
        if err:
            break
        times.append(elapsed * 1000)
    st = summary(times)
    res.rows.append(Row("1 start-up", "peer: holmes --help (holmesgpt)", st.get("median"), "ms",
                        spread(st, lambda x: f"{x:.0f}"), "python -c pass", floor,
                        note=f"failed: {err}" if err else "for scale; its virtualenv's interpreter"))
    res.say(f"  peer holmes --help: {st.get('median') and round(st['median'])} ms {err}")


def policy_check_phases(env: dict[str, str], cwd: Path, n: int, runs: int) -> dict[str, float]:
    """Median time of each phase of `reign policy check`, each run in a fresh interpreter."""
    env = {**env, "PYTHONPATH": os.pathsep.join(p for p in (str(ROOT), env.get("PYTHONPATH", "")) if p)}
    samples: dict[str, list[float]] = {}
    for _ in range(runs):
        done = run([sys.executable, "-m", "benchmarks.phases", str(n)], timeout=120, env=env, cwd=cwd)
        if done.returncode:
            return {"error": done.stderr.strip()[-300:]}  # type: ignore[dict-item]
        for k, v in json.loads(done.stdout).items():
            samples.setdefault(k, []).append(v)
    return {k: statistics.median(v) for k, v in samples.items()}


_LINE = re.compile(r"^import time:\s+(\d+) \|\s+(\d+) \|( *)(\S+)")


def import_offenders(stderr: str) -> list[dict[str, Any]]:
    """`-X importtime` output as a tree; the imports made by reign's own modules, costliest first.

    The log is post-order (children before their parent, one more indent per level): each entry
    adopts the pending entries one level deeper."""
    pending: list[dict[str, Any]] = []
    for line in stderr.splitlines():
        m = _LINE.match(line)
        if not m:
            continue
        node = {"module": m.group(4), "self_us": int(m.group(1)), "cum_us": int(m.group(2)),
                "level": len(m.group(3)) // 2, "children": []}
        while pending and pending[-1]["level"] > node["level"]:
            node["children"].insert(0, pending.pop())
        pending.append(node)
    found: list[dict[str, Any]] = []

    def walk(node: dict[str, Any], owner: str) -> None:
        name = node["module"]
        mine = name == "reign" or name.startswith("reign.")
        if not mine and owner:
            found.append({"module": name, "cumulative_ms": node["cum_us"] / 1000, "imported_by": owner})
            return
        for child in node["children"]:
            walk(child, name if mine else owner)

    for root in pending:
        walk(root, "")
    found.sort(key=lambda o: -o["cumulative_ms"])
    return found[:15]

