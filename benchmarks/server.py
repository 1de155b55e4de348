"""6. `reign serve`: replayed runs per second, and approval-to-resume latency, on SQLite and PostgreSQL.

A real server process (`reign serve --replay`) on a loopback port, driven over HTTP. Throughput: N runs
posted at once (each a replayed one-call session through the real SDK, real bash, the gate, the audit trail
and the session store, every model turn and tool call a DBOS step), from the first POST until the last run
is completed. Reference, same run: the same N runs one after another in-process through `reign.Reign` (no
HTTP, no durable steps). Latency: a run waits for approval; the time from the approving POST until its
`approval` event is in the run's event log (the workflow received the message and went on), median of the
repetitions. PostgreSQL comes from scripts/postgres.sh (a throwaway cluster); skipped without it.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from benchmarks.common import ROOT, BenchResult, Config, Row, spread, summary

RUNS = 20


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class _Server:
    def __init__(self, home: Path, db_url: str) -> None:
        self.home, self.db_url, self.port = home, db_url, _free_port()
        self.env = {**{k: v for k, v in os.environ.items() if not k.startswith("REIGN_")},
                    "HOME": str(home), "XDG_STATE_HOME": str(home / "state"), "PYTHONPATH": str(ROOT)}
        self.proc: subprocess.Popen[bytes] | None = None

    def cli(self, *args: str) -> str:
        return subprocess.run([sys.executable, "-c", "from reign.cli import entry; entry()", *args], env=self.env,
                              cwd=self.home, capture_output=True, text=True, check=True).stdout.strip()

    def start(self) -> None:
        import httpx

        self.proc = subprocess.Popen([sys.executable, "-c", "from reign.cli import entry; entry()", "serve",
                                      "--replay", "--port", str(self.port), "--database-url", self.db_url,
                                      "--workers", "8"], env=self.env, cwd=self.home,
                                     stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        for _ in range(300):
            try:
                if httpx.get(f"http://127.0.0.1:{self.port}/api/runs", timeout=1).status_code == 401:
                    return
            except httpx.HTTPError:
                time.sleep(0.1)
        raise RuntimeError("reign serve did not start")

    def stop(self) -> None:
        if self.proc is not None:
            self.proc.terminate()
            self.proc.wait(20)


def _cassettes(folder: Path) -> tuple[Path, Path]:
    sys.path.insert(0, str(ROOT / "scripts"))
    import synth_cassettes as synth

    simple, ask = folder / "simple.yaml", folder / "ask.yaml"
    synth.write(simple, "anthropic", "benchmark: one read", [
        {"calls": [synth.call("bash", {"command": "echo hello"})]}, {"text": "done"}])
    synth.write(ask, "anthropic", "benchmark: one write that asks", [
        {"calls": [synth.call("bash", {"command": "echo x >> bench.txt"})]}, {"text": "done"}])
    return simple, ask


def _measure(db_url: str, home: Path, simple: Path, ask: Path, repeats: int) -> dict[str, Any]:
    import httpx

    server = _Server(home, db_url)
    alice = server.cli("users", "add", "alice", "--role", "operator", "--database-url", db_url)
    bob = server.cli("users", "add", "bob", "--role", "approver", "--database-url", db_url)
    server.start()
    base = f"http://127.0.0.1:{server.port}/api/runs"
    a, b = {"Authorization": f"Bearer {alice}"}, {"Authorization": f"Bearer {bob}"}
    try:
        with httpx.Client(timeout=60) as http:
            started = time.perf_counter()
            ids = [http.post(base, headers=a, json={"goal": f"bench {i}", "cassette": str(simple)}).json()["id"]
                   for i in range(RUNS)]
            pending = set(ids)
            while pending:
                done = {r["id"] for r in http.get(base, headers=a).json() if r["status"] in ("completed", "failed")}
                pending -= done
                time.sleep(0.02)
            throughput = RUNS / (time.perf_counter() - started)
            latencies = []
            for i in range(repeats):
                run_id = http.post(base, headers=a, json={"goal": f"ask {i}", "cassette": str(ask)}).json()["id"]
                while not (view := http.get(f"{base}/{run_id}", headers=a).json())["pending"]:
                    time.sleep(0.01)
                digest = view["pending"][0]["digest"]
                t0 = time.perf_counter()
                http.post(f"{base}/{run_id}/approvals/{digest}", headers=b, json={"approve": False})
                while not any(e["kind"] == "approval" for e in _events(http, base, run_id, a)):
                    time.sleep(0.005)
                latencies.append((time.perf_counter() - t0) * 1000)
    finally:
        server.stop()
    return {"runs_per_s": throughput, "latency": summary(latencies)}


def _events(http: Any, base: str, run_id: str, headers: dict[str, str]) -> list[dict[str, Any]]:
    out = []
    with http.stream("GET", f"{base}/{run_id}/events", headers=headers, timeout=5) as response:
        kind = ""
        for line in response.iter_lines():
            if line.startswith("event:"):
                kind = line[6:].strip()
                out.append({"kind": kind})
                if kind in ("approval", "end"):
                    break
    return out


def _in_process(simple: Path, home: Path) -> float:
    home.mkdir(parents=True, exist_ok=True)
    env = {"HOME": str(home), "XDG_STATE_HOME": str(home / "state")}
    code = (f"import time; from reign import Reign; r = Reign(cassette={str(simple)!r}); t = time.perf_counter()\n"
            f"for i in range({RUNS}): r.run('bench')\nprint({RUNS} / (time.perf_counter() - t))")
    out = subprocess.run([sys.executable, "-c", code], env={**os.environ, **env, "PYTHONPATH": str(ROOT)}, cwd=home,
                         capture_output=True, text=True, check=True).stdout
    return float(out.strip().splitlines()[-1])


def bench(cfg: Config) -> BenchResult:
    res = BenchResult()
    repeats = 5 if cfg.quick else 10
    with tempfile.TemporaryDirectory(prefix="reign-bench-server-") as tmp:
        root = Path(tmp)
        simple, ask = _cassettes(root)
        reference = _in_process(simple, root / "inproc")
        targets: list[tuple[str, str]] = [("SQLite", f"sqlite:///{root / 'server.db'}")]
        pg_port = str(_free_port())
        pg_env = {**os.environ, "PG_PORT": pg_port}  # its data folder must be outside this root-only one
        try:
            url = subprocess.run(["bash", str(ROOT / "scripts" / "postgres.sh"), "start"], env=pg_env, check=True,
                                 capture_output=True, text=True).stdout.strip()
            targets.append(("PostgreSQL", url))
        except (OSError, subprocess.CalledProcessError) as exc:
            res.log.append(f"PostgreSQL unavailable: {exc}")
        try:
            for name, url in targets:
                home = root / name
                home.mkdir()
                m = _measure(url, home, simple, ask, repeats)
                res.details[name] = m
                res.rows.append(Row("6 server", f"replayed runs/s, {RUNS} at once, {name}", m["runs_per_s"], "runs/s",
                                    reference="same runs in-process (reign.Reign, one by one)", ref_value=reference,
                                    ref_unit="runs/s"))
                lat = m["latency"]
                res.rows.append(Row("6 server", f"approval → resume latency, {name}", lat["median"], "ms",
                                    spread(lat, lambda v: f"{v:.0f} ms"),
                                    note="POST approval until the run's `approval` event is logged"))
        finally:
            subprocess.run(["bash", str(ROOT / "scripts" / "postgres.sh"), "stop"], env=pg_env, check=False,
                           capture_output=True)
    return res
