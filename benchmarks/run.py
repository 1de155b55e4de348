"""Reign's benchmark suite: one command, a summary table, a JSON file for history.

    python -m benchmarks            # or: python benchmarks/run.py
    python -m benchmarks --quick    # fewer repetitions
    python -m benchmarks --only prompt,context --no-peers

Each benchmark prints its figures as it goes, each next to its reference figure from the same run and
the ratio; a benchmark that fails shows its error in the table and the others still run. Peers are
installed from PyPI into virtualenvs under $REIGN_BENCH_CACHE (default /tmp/reign-bench-cache), kept
across runs. Not part of the test run.
"""

from __future__ import annotations

import argparse
import datetime as dt
import importlib
import json
import os
import platform
import sys
import time
import traceback
from pathlib import Path
from typing import Any

if __package__ in (None, ""):  # run as a script: python benchmarks/run.py
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks.common import BENCH_DIR, CACHE, ROOT, BenchResult, Config, Row, Sandbox, fmt_value, tokenizer_source

BENCHES = [("startup", "1 start-up"), ("prompt", "2 prompt"), ("loop", "3 loop"), ("context", "4 context"),
           ("gate", "5 gate"), ("containment", "6 containment"), ("server", "7 server")]
TITLES = {"startup": "Start-up", "prompt": "Fixed prompt overhead", "loop": "Loop overhead per step",
          "context": "Context growth", "gate": "Gate and audit throughput",
          "containment": "Containment: sandbox per process start, audit head",
          "server": "reign serve: runs per second, approval-to-resume latency"}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--runs", type=int, default=10, help="repetitions of each timing (default 10)")
    parser.add_argument("--quick", action="store_true", help="fewer repetitions (5)")
    parser.add_argument("--only", default="", help="comma-separated: " + ",".join(n for n, _ in BENCHES))
    parser.add_argument("--no-peers", action="store_true", help="do not install or measure the peers")
    parser.add_argument("--out", type=Path, default=BENCH_DIR / "results",
                        help="folder for latest.json, latest.md and history.jsonl")
    parser.add_argument("--no-write", action="store_true", help="print only; write no result file")
    args = parser.parse_args(argv)
    only = [s.strip() for s in args.only.split(",") if s.strip()]
    unknown = set(only) - {n for n, _ in BENCHES}
    if unknown:
        parser.error(f"unknown benchmark(s): {', '.join(sorted(unknown))}")
    cfg = Config(runs=5 if args.quick else max(3, args.runs), quick=args.quick, peers=not args.no_peers)
    cfg.sandbox = Sandbox()
    started = time.perf_counter()
    machine = _machine()
    print(f"Reign benchmarks · {machine['when']} · {machine['cpu']} ×{machine['cpus']} · Python {machine['python']}"
          f" · reign {machine['reign']}\ncache: {CACHE}   sandbox: {cfg.sandbox.root}\n", flush=True)
    results: dict[str, dict[str, Any]] = {}
    rows: list[Row] = []
    try:
        if cfg.peers and (not only or {"startup", "prompt"} & set(only)):
            print("== 0. Peers: virtualenvs from PyPI (cached across runs)", flush=True)
            t0 = time.perf_counter()
            try:
                from benchmarks.peers import prepare

                for peer, status in prepare().items():
                    print(f"  {peer}: {status}", flush=True)
            except Exception as exc:
                print(f"  ERROR {type(exc).__name__}: {exc}", flush=True)
            print(f"  ({time.perf_counter() - t0:.1f} s)\n", flush=True)
        for name, label in BENCHES:
            if only and name not in only:
                continue
            print(f"== {label[0]}. {TITLES[name]}", flush=True)
            t0 = time.perf_counter()
            try:
                module = importlib.import_module(f"benchmarks.{name}")
                res: BenchResult = module.bench(cfg)
                error = None
            except Exception as exc:  # one failing benchmark must not take the suite down
                error = f"{type(exc).__name__}: {exc}"
                res = BenchResult(rows=[Row(label, "ERROR", None, "", note=error.splitlines()[0][:300])])
                print(f"  ERROR {error}\n" + "".join(traceback.format_exc().splitlines(True)[-6:]), flush=True)
            seconds = time.perf_counter() - t0
            print(f"  ({seconds:.1f} s)\n", flush=True)
            rows += res.rows
            results[name] = {"seconds": round(seconds, 2), "error": error, "details": res.details}
    finally:
        cfg.sandbox.cleanup()
    total = time.perf_counter() - started
    command = "python -m benchmarks" + (" " + " ".join(argv if argv is not None else sys.argv[1:])).rstrip()
    table = markdown(rows)
    print(f"== Summary ({total:.0f} s; median of repeated runs, spread = inter-quartile range)\n")
    print(table)
    misses = [r for r in rows if r.ok is False or r.measure == "ERROR"]
    print(f"\ntargets: {sum(1 for r in rows if r.ok)} met, {len(misses)} missed or failed"
          + (": " + "; ".join(f"{r.bench} {r.measure}" for r in misses) if misses else ""))
    if not args.no_write:
        _write(args.out, command, machine, total, rows, results, table)
    return 1 if any(r.measure == "ERROR" for r in rows) else 0  # a missed target is a finding, not a failure


def markdown(rows: list[Row], notes: bool = True) -> str:
    head = ["#", "measure", "Reign", "spread", "reference", "ref.", "ratio", "target", "met"]
    if notes:
        head.append("note")
    lines = ["| " + " | ".join(head) + " |", "|" + "|".join("---" for _ in head) + "|"]
    for r in rows:
        ref_unit = r.ref_unit if r.ref_unit is not None else r.unit if r.unit != "passed" else ""
        cells = [r.bench.split()[0], r.measure, fmt_value(r.value, r.unit), r.spread, r.reference,
                 fmt_value(r.ref_value, ref_unit) if r.ref_value is not None else "",
                 _ratio(r.ratio), r.target,
                 {True: "yes", False: "**no**", None: ""}[r.ok]]
        if notes:
            cells.append(r.note)
        lines.append("| " + " | ".join(c.replace("|", "\\|").replace("\n", " ") for c in cells) + " |")
    return "\n".join(lines)


def _ratio(ratio: float | None) -> str:
    if ratio is None:
        return ""
    if ratio >= 100:
        return f"×{ratio:,.0f}"
    return f"×{ratio:.2f}" if ratio >= 0.1 else f"×{ratio:.2g}"


def _machine() -> dict[str, Any]:
    cpu = platform.processor() or platform.machine()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    try:
        from importlib.metadata import version

        reign = version("reign")
    except Exception:
        reign = "not installed"
    return {"when": dt.datetime.now(dt.UTC).strftime("%Y-%m-%d %H:%M UTC"), "cpu": cpu, "cpus": os.cpu_count(),
            "python": platform.python_version(), "platform": platform.platform(), "reign": reign,
            "executable": sys.executable}


def _write(out: Path, command: str, machine: dict[str, Any], total: float, rows: list[Row],
           results: dict[str, Any], table: str) -> None:
    out.mkdir(parents=True, exist_ok=True)
    doc = {"command": command, "machine": machine, "seconds": round(total, 1), "tokenizer": tokenizer_source(),
           "rows": [r.as_dict() for r in rows], "benchmarks": results}
    (out / "latest.json").write_text(json.dumps(doc, indent=1, default=str) + "\n")
    (out / "latest.md").write_text(f"Command: `{command}` · {machine['when']} · {machine['cpu']} ×{machine['cpus']}"
                                   f" · Python {machine['python']}\n\n{table}\n")
    brief = {"when": machine["when"], "command": command, "reign": machine["reign"],
             "rows": [{k: v for k, v in r.as_dict().items() if k in ("bench", "measure", "value", "unit",
                                                                     "ref_value", "ratio", "ok")} for r in rows]}
    with (out / "history.jsonl").open("a") as fh:
        fh.write(json.dumps(brief, default=str) + "\n")
    try:
        shown = out.relative_to(ROOT)
    except ValueError:
        shown = out
    print(f"\nwritten: {shown}/latest.json, latest.md, history.jsonl")


if __name__ == "__main__":
    sys.exit(main())
