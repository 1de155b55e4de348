"""6. Containment: what the OS sandbox and the audit head cost.

* Per process start: `reign.process.run_argv(["true"])` inside a tool call's sandbox profile (bubblewrap:
  mount namespace, private /tmp, hidden credential stores, PID namespace) against the same call with no
  profile (a bare fork/exec), in the same run. The difference is the sandbox's overhead per process.
* Building the profile of a call (settings, the tool's declaration, the hidden paths): once per tool call.
* Audit records per second with the chain head written to the sessions database under the trail's lock,
  against the same records without the head.
"""

from __future__ import annotations

import tempfile
import time
from pathlib import Path

from benchmarks.common import BenchResult, Config, Row, spread, summary

STARTS = 40
RECORDS = 100


def _timed(fn: object, n: int, runs: int) -> dict[str, float]:
    """Milliseconds per call: each run makes `n` calls."""
    samples = []
    for _ in range(runs):
        started = time.perf_counter()
        for _ in range(n):
            fn()  # type: ignore[operator]
        samples.append((time.perf_counter() - started) * 1000 / n)
    return summary(samples)


def bench(cfg: Config) -> BenchResult:
    assert cfg.sandbox is not None
    res = BenchResult()
    runs = 3 if cfg.quick else 7
    with cfg.sandbox.active():
        _starts(res, runs, cfg.sandbox.work)
        _audit_head(res, runs, cfg.sandbox.root)
    return res


def _starts(res: BenchResult, runs: int, work: Path) -> None:
    from reign import sandbox
    from reign.catalogue import Catalogue
    from reign.config import Settings
    from reign.process import run_argv

    reason = sandbox.unavailable_reason()
    if reason is not None:
        res.rows.append(Row("6 containment", "sandbox overhead per process start", None, "ms",
                            note=f"not measured: {reason}"))
        return
    settings = Settings(workspace_root=work)
    bash = Catalogue.load().get("bash")
    assert bash is not None
    profile = sandbox.profile_for(settings, bash.sandbox, unattended=True)

    def bare() -> None:
        run_argv(["true"], timeout=10, cap=1000, cwd=work)

    def boxed() -> None:
        with sandbox.confined(profile):
            run_argv(["true"], timeout=10, cap=1000, cwd=work)

    def build() -> None:
        sandbox.profile_for(settings, bash.sandbox, unattended=True)

    bare(), boxed()  # warm the page cache and the availability probe
    plain = _timed(bare, STARTS, runs)
    wrapped = _timed(boxed, STARTS, runs)
    built = _timed(build, 200, runs)
    overhead = wrapped["median"] - plain["median"]
    ms = lambda x: f"{x:.2f} ms"  # noqa: E731
    res.details["sandbox"] = {"bare_ms": plain, "bwrap_ms": wrapped, "profile_ms": built,
                              "overhead_ms": overhead, "starts_per_run": STARTS}
    res.rows.append(Row("6 containment", "process start under bubblewrap (`true`)", wrapped["median"], "ms",
                        spread(wrapped, ms), "bare start, same run", plain["median"], target="overhead < 20 ms",
                        ok=overhead < 20, note=f"overhead {overhead:.2f} ms per process start"))
    res.rows.append(Row("6 containment", "sandbox profile of one call (bash's declarations)", built["median"], "ms",
                        spread(built, ms), note="once per tool call, before any process starts"))
    res.say(f"  sandbox: bare {plain['median']:.2f} ms, bwrap {wrapped['median']:.2f} ms per start "
            f"(+{overhead:.2f} ms); profile {built['median']:.3f} ms")


def _audit_head(res: BenchResult, runs: int, root: Path) -> None:
    from reign.audit import AuditTrail
    from reign.sessions import SessionStore

    folder = Path(tempfile.mkdtemp(prefix="audit-head-", dir=root))
    store = SessionStore(folder / "sessions.db")
    store.db.execute("PRAGMA synchronous = NORMAL")  # as reign.audit's head writer has it
    fields = {"step": 3, "tool": "bash", "args": {"command": "kubectl get pods -A"}, "decision": "allow"}
    count = {"n": 0}

    def trail(head: bool) -> AuditTrail:
        count["n"] += 1
        writer = store.set_audit_head if head else None
        return AuditTrail(folder / f"t{count['n']}.jsonl", "bench", head=writer)

    def rate(head: bool) -> dict[str, float]:
        rates = []
        for _ in range(runs):
            t = trail(head)
            started = time.perf_counter()
            for _ in range(RECORDS):
                t.record("decision", **fields)
            rates.append(RECORDS / (time.perf_counter() - started))
        return summary(rates)

    plain, headed = rate(False), rate(True)
    store.close()
    fmt = lambda x: f"{x:,.0f}"  # noqa: E731
    res.details["audit_head"] = {"records_per_s_with_head": headed, "records_per_s_without": plain,
                         }
    res.rows.append(Row("6 containment", "audit records/s, head kept in the sessions database", headed["median"],
                        "records/s", spread(headed, fmt), "same records, no head", plain["median"],
                        ref_unit="records/s",
                        note=f"{1000 / headed['median']:.2f} ms per record with the head, "
                             f"{1000 / plain['median']:.2f} ms without (each fsync'd)"))
    res.say(f"  audit: {headed['median']:,.0f} records/s with the head, {plain['median']:,.0f}/s without")
