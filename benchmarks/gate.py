"""5. Gate throughput and audit trail throughput.

* Policy decisions per second, in process, over the corpus (see benchmarks/corpus.py), with the shipped
  default policy; reference: the shell parser alone on the corpus's `bash` commands (what a shell
  decision cannot do without).
* AuditTrail.record per second with its fsync per record (on disk: when the sandbox is on a RAM
  filesystem, in a temporary folder under ~/.cache instead); reference: the same writes with fsync made
  a no-op (in this process only).
"""

from __future__ import annotations

import os
import shutil
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from benchmarks.common import BenchResult, Config, Row, spread, summary
from benchmarks.corpus import gate_corpus

AUDIT_RECORDS = 200


def _rate(fn: Callable[[], int], runs: int, min_seconds: float = 0.3) -> dict[str, float]:
    """Items per second: each run repeats `fn` (which returns how many items it did) for min_seconds."""
    rates = []
    for _ in range(runs):
        done, started = 0, time.perf_counter()
        while True:
            done += fn()
            elapsed = time.perf_counter() - started
            if elapsed >= min_seconds:
                break
        rates.append(done / elapsed)
    return summary(rates)


def bench(cfg: Config) -> BenchResult:
    assert cfg.sandbox is not None
    res = BenchResult()
    runs = 3 if cfg.quick else 7
    with cfg.sandbox.active():
        _gate(res, runs)
        _audit(res, runs, cfg.sandbox.root, cfg.sandbox.real_home)
    return res


def _gate(res: BenchResult, runs: int) -> None:
    from reign.catalogue import Catalogue
    from reign.config import Settings
    from reign.policy import GateCall, decide, gate_context, load_checked_policy
    from reign.policy.bash import parse

    corpus, name = gate_corpus()
    settings = Settings()
    policy = load_checked_policy([*settings.policy_files])
    ctx = gate_context(settings)
    catalogue = Catalogue.load()
    calls = []
    for item in corpus:
        tool = catalogue.get(item["tool"])
        effect = item.get("effect") or (tool.effect if tool else "write")
        calls.append(GateCall(tool=item["tool"], args=item["args"], effect=effect,
                              manager=tool.manager if tool else item["tool"].split("_")[0],
                              command=tool.command if tool else None))
    commands = [str(c.args.get("command", "")) for c in calls if c.tool == "bash"]
    decisions: dict[str, int] = {}
    for c in calls:
        d = decide(c, policy, ctx)
        decisions[d.action] = decisions.get(d.action, 0) + 1

    def all_calls() -> int:
        for c in calls:
            decide(c, policy, ctx)
        return len(calls)

    def shell_calls() -> int:
        for c in calls:
            if c.tool == "bash":
                decide(c, policy, ctx)
        return len(commands)

    def parse_only() -> int:
        for cmd in commands:
            parse(cmd)
        return len(commands)

    all_rate = _rate(all_calls, runs)
    shell_rate = _rate(shell_calls, runs)
    parse_rate = _rate(parse_only, runs)
    rate = lambda x: f"{x:,.0f}"  # noqa: E731
    res.details["gate"] = {"corpus": name, "calls": len(calls), "bash_calls": len(commands), "decisions": decisions,
                           "decisions_per_s": all_rate, "shell_decisions_per_s": shell_rate,
                           "parses_per_s": parse_rate, "rules": len(policy.rules)}
    res.rows.append(Row("5 gate", f"policy decisions/s, whole corpus ({len(calls)} calls)", all_rate["median"],
                        "decisions/s", spread(all_rate, rate), "shell parse alone (bash calls)", parse_rate["median"],
                        ref_unit="parses/s",
                        note=f"{1e6 / all_rate['median']:.0f} µs per decision; corpus: {name}; "
                             + ", ".join(f"{k} {v}" for k, v in sorted(decisions.items()))))
    res.rows.append(Row("5 gate", f"policy decisions/s, `bash` calls only ({len(commands)})", shell_rate["median"],
                        "decisions/s", spread(shell_rate, rate), "shell parse alone", parse_rate["median"],
                        ref_unit="parses/s",
                        note=f"{1e6 / shell_rate['median']:.0f} µs per shell decision"))
    res.say(f"  gate: {all_rate['median']:,.0f} decisions/s over {len(calls)} calls ({name}); bash only "
            f"{shell_rate['median']:,.0f}/s; parse alone {parse_rate['median']:,.0f}/s")


class _NoFsync:
    """The os module as reign.audit sees it, with fsync a no-op: the reference without durability."""

    def __getattr__(self, name: str) -> Any:
        return getattr(os, name)

    @staticmethod
    def fsync(fd: int) -> None:
        return None


def _audit(res: BenchResult, runs: int, sandbox: Path, real_home: Path) -> None:
    import reign.audit as audit_mod

    # fsync on a RAM filesystem costs nothing: then measure on the filesystem of the user's home instead
    base = sandbox
    if _fstype(sandbox) in ("tmpfs", "ramfs") and _fstype(real_home) not in ("tmpfs", "ramfs"):
        base = real_home / ".cache"
        base.mkdir(parents=True, exist_ok=True)
    folder = Path(tempfile.mkdtemp(prefix="reign-bench-audit-", dir=base))
    fields = {"step": 3, "call_id": "toolu_01ABCDEF", "tool": "bash", "args": {"command": "kubectl get pods -A"},
              "call_digest": "ab" * 32, "decision": "allow", "rule": "shell-read-only-programs",
              "reason": "read-only program (in `kubectl get pods -A`)"}
    try:
        def write(sync: bool) -> dict[str, float]:
            rates = []
            for i in range(runs):
                trail = audit_mod.AuditTrail(folder / f"{'sync' if sync else 'nosync'}-{i}.jsonl", "benchsession")
                saved = audit_mod.os
                if not sync:
                    audit_mod.os = _NoFsync()  # type: ignore[assignment]
                try:
                    started = time.perf_counter()
                    for _ in range(AUDIT_RECORDS):
                        trail.record("decision", **fields)
                    rates.append(AUDIT_RECORDS / (time.perf_counter() - started))
                finally:
                    audit_mod.os = saved
            return summary(rates)

        write(True)  # warm-up
        synced, unsynced = write(True), write(False)
        ok = audit_mod.verify(folder / "sync-0.jsonl")
    finally:
        shutil.rmtree(folder, ignore_errors=True)
    fs = _fstype(base)
    rate = lambda x: f"{x:,.0f}"  # noqa: E731
    res.details["audit"] = {"records_per_run": AUDIT_RECORDS, "fsync_per_s": synced, "no_fsync_per_s": unsynced,
                            "folder": str(base), "filesystem": fs, "chain_ok": ok.ok}
    res.rows.append(Row("5 gate", "audit records/s, fsync per record", synced["median"], "records/s",
                        spread(synced, rate), "same writes, no fsync", unsynced["median"],
                        note=f"{1000 / synced['median']:.2f} ms per record; 2 records per tool call; "
                             f"filesystem {fs}; chain verifies: {ok.ok}"))
    res.say(f"  audit: {synced['median']:,.0f} records/s with fsync, {unsynced['median']:,.0f}/s without "
            f"({fs} at {base})")


def _fstype(path: Path) -> str:
    try:
        best, kind = "", "unknown"
        target = str(path.resolve())
        with open("/proc/mounts") as fh:
            for line in fh:
                parts = line.split()
                if len(parts) > 2 and target.startswith(parts[1]) and len(parts[1]) > len(best):
                    best, kind = parts[1], parts[2]
        return kind
    except OSError:
        return "unknown"
