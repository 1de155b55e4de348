"""Time to first request: from starting `reign run` to the provider API receiving its first request.

A loopback server speaks the Anthropic Messages API (one `end_turn` answer), and `reign run --base-url`
points at it, so the clock stops at the moment the request arrives, as it would at the real API. The
reference, interleaved run by run, is `python -c "import anthropic"`: the SDK import every run pays.
Reign's own start-up work is the difference (target: at most 200 ms).

Run alone: python -m benchmarks.first_request [RUNS]      (phases: python -m benchmarks.first_request --phases)
"""

from __future__ import annotations

import json
import os
import statistics
import subprocess
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

OWN_BUDGET_MS = 200.0
ANSWER = {"id": "msg_bench", "type": "message", "role": "assistant", "model": "claude-bench",
          "content": [{"type": "text", "text": "ok"}], "stop_reason": "end_turn", "stop_sequence": None,
          "usage": {"input_tokens": 10, "output_tokens": 1}}


def cpu_ms(pid: int) -> float:
    """CPU time (user + system) a running process has used so far, from /proc."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) * 1000 / os.sysconf("SC_CLK_TCK")


class FakeAnthropic:
    """127.0.0.1 only; records the wall-clock arrival of each request and the CPU time its sender had
    used by then (CPU time does not grow with the machine's load; wall time does)."""

    def __init__(self) -> None:
        arrivals = self.arrivals = []  # type: list[float]
        cpu = self.cpu = []  # type: list[float]
        self.pid = 0
        api = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                arrivals.append(time.time())
                try:
                    cpu.append(cpu_ms(api.pid))
                except (OSError, IndexError, ValueError):
                    cpu.append(float("nan"))
                self.rfile.read(int(self.headers.get("content-length") or 0))
                body = json.dumps(ANSWER).encode()
                self.send_response(200)
                self.send_header("content-type", "application/json")
                self.send_header("content-length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self) -> None:
        self.server.shutdown()


def kubeconfig(home: Path) -> Path:
    """A kubeconfig like the one an infrastructure user has (kind's shape: one cluster, one user with a client
    certificate; random bytes, no cluster behind it): `reign run` reads its current context at start."""
    import base64
    import secrets

    blob = lambda n: base64.b64encode(secrets.token_bytes(n)).decode()  # noqa: E731
    path = home / ".kube" / "config"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(f"""apiVersion: v1
clusters:
- cluster:
    certificate-authority-data: {blob(800)}
    server: https://127.0.0.1:6443
  name: kind-dev
contexts:
- context:
    cluster: kind-dev
    user: kind-dev
  name: kind-dev
current-context: kind-dev
kind: Config
preferences: {{}}
users:
- name: kind-dev
  user:
    client-certificate-data: {blob(850)}
    client-key-data: {blob(1200)}
""")
    return path


def measure(reign: list[str], env: dict[str, str], cwd: Path, runs: int) -> dict[str, Any]:
    api = FakeAnthropic()
    env = {**env, "ANTHROPIC_API_KEY": "bench-not-a-key", "REIGN_PROVIDER": "anthropic",
           "KUBECONFIG": str(kubeconfig(Path(env["HOME"])))}
    env.pop("PYTHONDONTWRITEBYTECODE", None)  # an installed package has its byte-code
    cmd = [*reign, "run", "--base-url", api.url, "say ok"]  # text output, as a person runs it
    ref_cmd = [sys.executable, "-c", "import anthropic, sys; print('x', flush=True); sys.stdin.read()"]
    first: list[float] = []  # sampled the same way for both: when the request (or the import) is done,
    ref: list[float] = []    # before the interpreter's teardown
    first_cpu: list[float] = []
    ref_cpu: list[float] = []
    errors: list[str] = []
    try:
        for i in range(runs + 1):  # the first round warms byte-code and page caches
            t0 = time.time()
            proc = subprocess.Popen(ref_cmd, env=env, cwd=cwd, stdin=subprocess.PIPE, stdout=subprocess.PIPE)
            assert proc.stdout is not None and proc.stdin is not None
            ready = proc.stdout.read(1)  # the import is done: sample before the interpreter's teardown
            ref_ms = (time.time() - t0) * 1000
            ref_cpu_ms = cpu_ms(proc.pid) if ready else float("nan")
            proc.stdin.close()
            proc.wait()
            before = len(api.arrivals)
            t0 = time.time()
            child = subprocess.Popen(cmd, env=env, cwd=cwd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
            api.pid = child.pid
            out_text, err_text = child.communicate(timeout=120)
            if child.returncode != 0 or len(api.arrivals) == before or proc.returncode != 0:
                errors.append((err_text or out_text).strip()[-300:])
                continue
            if i:
                first.append((api.arrivals[before] - t0) * 1000)
                first_cpu.append(api.cpu[before])
                ref.append(ref_ms)
                ref_cpu.append(ref_cpu_ms)
    finally:
        api.close()
    out: dict[str, Any] = {"wall_ms": first, "import_anthropic_wall_ms": ref, "cpu_ms": first_cpu,
                           "import_anthropic_cpu_ms": ref_cpu, "errors": errors[:3]}
    if first and ref:
        out["median_wall_ms"] = statistics.median(first)
        out["import_anthropic_median_wall_ms"] = statistics.median(ref)
        out["own_wall_ms"] = statistics.median(f - r for f, r in zip(first, ref, strict=True))
        out["median_cpu_ms"] = statistics.median(first_cpu)
        out["import_anthropic_median_cpu_ms"] = statistics.median(ref_cpu)
        out["own_cpu_ms"] = out["median_cpu_ms"] - out["import_anthropic_median_cpu_ms"]
    return out


REFERENCE = "import anthropic (the reference)"


class Marks:
    """CPU ms per phase (time.process_time: what the machine's load does not inflate), and the time the
    cycle collector took (gc.callbacks)."""

    def __init__(self) -> None:
        import gc

        self.ms: dict[str, float] = {}
        self.gc_ms = 0.0
        self._gc_started = 0.0
        self.t = time.process_time()
        gc.callbacks.append(self._on_gc)

    def _on_gc(self, phase: str, info: dict[str, Any]) -> None:
        if phase == "start":
            self._gc_started = time.process_time()
        else:
            self.gc_ms += (time.process_time() - self._gc_started) * 1000

    def __call__(self, name: str, now: float | None = None) -> None:
        now = time.process_time() if now is None else now
        self.ms[name] = round((now - self.t) * 1000, 1)
        self.t = now

    def close(self) -> None:
        import gc

        gc.callbacks.remove(self._on_gc)


def phases() -> dict[str, float]:
    """In one interpreter, CPU ms of each phase of `reign run` up to the moment the provider is asked, step by
    step as `reign.cli_actions.run_once` does it, after the reference (`import anthropic`): so each line is
    Reign's own addition, not a module the SDK imports anyway (pydantic, asyncio...). A guide: `reign run`
    imports the SDK later, and the collector's work (gc) then falls differently; `measure` is the figure."""
    mark = Marks()
    import anthropic  # noqa: F401

    mark(REFERENCE)
    sdk_gc = mark.gc_ms
    import reign.cli

    reign.cli.OWN_PROCESS = True  # as under the console script
    mark("import reign.cli (click)")
    from reign import cli_actions

    mark("import reign.cli_actions (settings: pydantic-settings)")
    from reign import sessions, signals
    from reign.approval import NonInteractive  # noqa: F401
    from reign.wiring import Options, build_agent  # noqa: F401

    mark("import run_once's modules (sessions, wiring: agent, executor, gate)")
    reign.cli.rest_collector()
    settings = cli_actions.load_settings({})
    cli_actions.check_writable(settings)
    mark("Settings(), state folders writable")
    session = sessions.plan(settings, {})
    settings = session.settings
    mark("sessions.plan")
    with signals.stop_on_signals(), cli_actions.provider_session(settings, {}) as provider:
        mark("provider client (anthropic.Anthropic: httpx transport, TLS context)")
        _first_request(session, provider, settings, mark)
    mark.close()
    marks = mark.ms
    marks["reign total"] = round(sum(v for k, v in marks.items() if k != REFERENCE), 1)
    marks["of which garbage collection"] = round(mark.gc_ms - sdk_gc, 1)
    return marks


def _first_request(session: Any, provider: Any, settings: Any, mark: Marks) -> None:
    """build_agent up to the first request, as run_once does it; the provider's answer is stubbed."""
    from reign.approval import NonInteractive
    from reign.cli_actions import logger
    from reign.console import Console
    from reign.types import ModelTurn
    from reign.wiring import Options, build_agent

    asked: list[float] = []

    def first_request(*args: Any, **kwargs: Any) -> ModelTurn:
        asked.append(time.process_time())
        return ModelTurn(text="ok", finish="end_turn")

    provider.complete = first_request
    opening = [0.0]  # CPU ms of Plan.open inside build_agent: the session store, shown on its own line
    plan_open = session.open

    def timed_open(*args: Any, **kwargs: Any) -> Any:
        started = time.process_time()
        try:
            return plan_open(*args, **kwargs)
        finally:
            opening[0] += (time.process_time() - started) * 1000

    session.open = timed_open
    agent = build_agent(settings, provider, Options(plan=session, approver=NonInteractive(),
                                                   log=logger(settings, {})))
    mark("build_agent (catalogue, policy gate, audit trail)")
    built = "build_agent (catalogue, policy gate, audit trail)"
    mark.ms[built] = round(mark.ms[built] - opening[0], 1)
    mark.ms["session store opened by build_agent (Plan.open)"] = round(opening[0], 1)
    console = Console(model=provider.model, prices=settings.prices)
    console.busy("waiting for the model")
    mark("text console (spinner on a terminal only)")
    started = time.process_time()
    session.run(agent, "say ok")
    console.idle()
    mark("session.run up to the request (journal, tool specs)", asked[0] if asked else started)


def phases_in_fresh_interpreters(runs: int) -> dict[str, float]:
    """Median of each phase over fresh interpreters sharing one throwaway HOME (its caches warmed first, as
    every start but a user's first finds them)."""
    import tempfile

    with tempfile.TemporaryDirectory() as tmp:
        env = {**os.environ, "HOME": tmp, "XDG_STATE_HOME": tmp, "XDG_CONFIG_HOME": tmp, "XDG_CACHE_HOME": tmp,
               "ANTHROPIC_API_KEY": "bench-not-a-key", "REIGN_PROVIDER": "anthropic",
               "KUBECONFIG": str(kubeconfig(Path(tmp)))}
        root = str(Path(__file__).resolve().parent.parent)  # this checkout's benchmarks package
        env["PYTHONPATH"] = os.pathsep.join(p for p in (root, os.environ.get("PYTHONPATH", "")) if p)
        env.pop("PYTHONDONTWRITEBYTECODE", None)
        samples: dict[str, list[float]] = {}
        for i in range(runs + 1):
            done = subprocess.run([sys.executable, "-m", "benchmarks.first_request", "--phases-once"], env=env,
                                  cwd=tmp, capture_output=True, text=True, timeout=120)
            if done.returncode:
                raise RuntimeError(done.stderr.strip()[-500:])
            if i:
                for k, v in json.loads(done.stdout).items():
                    samples.setdefault(k, []).append(v)
    return {k: statistics.median(v) for k, v in samples.items()}


if __name__ == "__main__":
    if "--phases-once" in sys.argv:
        print(json.dumps(phases()))
    elif "--phases" in sys.argv:
        print(json.dumps(phases_in_fresh_interpreters(5), indent=1))
    else:
        import tempfile

        from benchmarks.startup import reign_command

        n = int(sys.argv[1]) if len(sys.argv) > 1 else 5
        with tempfile.TemporaryDirectory() as tmp:
            env = {**os.environ, "HOME": tmp, "XDG_STATE_HOME": tmp, "XDG_CONFIG_HOME": tmp}
            print(json.dumps(measure(reign_command()[0], env, Path(tmp), n), indent=1))
