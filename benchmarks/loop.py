"""3. Loop overhead per step: a replayed 50-step session with a trivial tool, wall time per step with the
provider's and the tool's own time taken out (both measured and subtracted).

The session is built by reign.wiring.build_agent, as the CLI builds it (lazy tool loading, the real
gate, the audit trail with fsync per record, redaction, truncation). The provider is an in-process replay
of pre-built turns (as tests/conftest.py's ScriptedProvider): step 1 loads the benchmark manager with
`use_tools`, steps 2-50 call `bench_noop`, step 51 answers. References, same run: the same session with
the audit trail off, then also the gate off (allow everything), then also redaction and truncation off
(patched out in this process only), and a bare loop (provider -> tool -> append, nothing else).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from benchmarks import toolimpl
from benchmarks.common import BENCH_DIR, BenchResult, Config, Row, spread, summary

TOOL_STEPS = 50
TARGET_MS = 5.0


class ReplayProvider:
    """Plays pre-built turns; the time spent inside complete() is the provider's, and is subtracted."""

    name = "replay"
    model = "replay-1"

    def __init__(self, turns: list[Any], on_request: Callable[[str, list[Any], list[Any]], None] | None = None):
        self.turns, self.i, self.seconds, self.on_request = turns, 0, 0.0, on_request

    def complete(self, system: str, messages: list[Any], tools: list[Any], *, tool_choice: str = "auto",
                 on_text: Callable[[str], None] | None = None) -> Any:
        started = time.perf_counter()
        if self.on_request is not None:
            self.on_request(system, messages, tools)
        turn = self.turns[self.i]
        self.i += 1
        self.seconds += time.perf_counter() - started
        return turn


def script(tool: str, steps: int, arg: str) -> list[Any]:
    from reign.types import ModelTurn, ToolCall, Usage

    usage = Usage(input_tokens=1000, output_tokens=20)
    turns = [ModelTurn(tool_calls=[ToolCall(id="c0", name="use_tools", args={"managers": ["bench"]})], usage=usage)]
    turns += [ModelTurn(tool_calls=[ToolCall(id=f"c{i}", name=tool, args={arg: i})], usage=usage)
              for i in range(1, steps)]
    turns.append(ModelTurn(text="done", usage=usage))
    return turns


def settings(workdir: Path, audit_dir: Path, steps: int, **extra: Any) -> Any:
    from reign.config import Settings

    return Settings(workspace_root=workdir, audit_dir=audit_dir, tools_dirs=[BENCH_DIR / "tools"],
                    max_steps=steps + 2, token_budget=10**9, time_limit=3600, **extra)


class AllowAll:
    def decide(self, call: Any, tool: Any) -> Any:
        from reign.types import Decision

        return Decision(action="allow", reason="benchmark", rule="bench")


@contextmanager
def no_redaction() -> Any:
    import reign.executor as ex

    saved = ex.redact, ex.cut
    ex.redact = lambda text, values=(): text  # type: ignore[assignment]
    ex.cut = lambda text, limit, **kw: text  # type: ignore[assignment]
    try:
        yield
    finally:
        ex.redact, ex.cut = saved


def run_reign(variant: str, workdir: Path, audit_dir: Path, steps: int = TOOL_STEPS) -> dict[str, float]:
    from reign.wiring import Options, build_agent

    provider = ReplayProvider(script("bench_noop", steps, "n"))
    agent = build_agent(settings(workdir, audit_dir, steps), provider, Options(audit=variant == "reign"))
    if variant in ("no gate", "no redaction"):
        agent.executor.gate = AllowAll()
    parts: dict[str, float] = {}
    if variant == "reign":  # time the seams directly too, in the shipped configuration
        agent.executor.audit = _Timed(agent.executor.audit, "record", parts, "audit")
        agent.executor.gate = _Timed(agent.executor.gate, "decide", parts, "gate")
    toolimpl.CLOCK["tool_s"] = 0.0
    with no_redaction() if variant == "no redaction" else timed_redaction(parts) if variant == "reign" \
            else _nothing():
        started = time.perf_counter()
        result = agent.run("benchmark")
        wall = time.perf_counter() - started
    if result.stop_reason != "completed" or result.steps != steps + 1:
        raise RuntimeError(f"{variant}: session ended {result.stop_reason} after {result.steps} steps: "
                           f"{result.error or [c.output for c in result.tool_calls[-1:]]}")
    bad = [c for c in result.tool_calls if not c.ok]
    if bad:
        raise RuntimeError(f"{variant}: {bad[0].tool} failed: {bad[0].output[:200]}")
    out = _split(wall, provider.seconds, toolimpl.CLOCK["tool_s"], result.steps)
    out.update({f"{k}_ms_per_step": v * 1000 / result.steps for k, v in parts.items()})
    return out


@contextmanager
def _nothing() -> Any:
    yield


class _Timed:
    """Forwards to `inner`, adding the time spent in its method `name` to parts[key]."""

    def __init__(self, inner: Any, name: str, parts: dict[str, float], key: str) -> None:
        self._inner, self._name, self._parts, self._key = inner, name, parts, key
        parts.setdefault(key, 0.0)

    def __getattr__(self, attr: str) -> Any:
        value = getattr(self._inner, attr)
        if attr != self._name:
            return value

        def timed(*args: Any, **kwargs: Any) -> Any:
            started = time.perf_counter()
            try:
                return value(*args, **kwargs)
            finally:
                self._parts[self._key] += time.perf_counter() - started

        return timed


@contextmanager
def timed_redaction(parts: dict[str, float]) -> Any:
    import reign.executor as ex

    saved = ex.redact, ex.cut
    ex.redact = _Timed(type("R", (), {"f": staticmethod(saved[0])})(), "f", parts, "redaction").f  # type: ignore
    ex.cut = _Timed(type("C", (), {"f": staticmethod(saved[1])})(), "f", parts, "truncation").f  # type: ignore
    try:
        yield
    finally:
        ex.redact, ex.cut = saved


def run_bare(steps: int = TOOL_STEPS) -> dict[str, float]:
    """The least a tool loop can do: ask, run the function, append the result, repeat."""
    from reign.types import Message, ToolResult

    provider = ReplayProvider(script("bench_noop", steps, "n"))
    funcs = {"bench_noop": toolimpl.noop, "use_tools": lambda **kw: "loaded"}
    toolimpl.CLOCK["tool_s"] = 0.0
    messages = [Message(role="user", text="benchmark")]
    n = 0
    started = time.perf_counter()
    while True:
        n += 1
        turn = provider.complete("system", messages, [])
        messages.append(Message(role="assistant", text=turn.text, tool_calls=turn.tool_calls))
        if not turn.tool_calls:
            break
        results = [ToolResult(call_id=c.id, name=c.name, content=str(funcs[c.name](**c.args)))
                   for c in turn.tool_calls]
        messages.append(Message(role="tool", tool_results=results))
    wall = time.perf_counter() - started
    return _split(wall, provider.seconds, toolimpl.CLOCK["tool_s"], n)


def _split(wall: float, provider_s: float, tool_s: float, steps: int) -> dict[str, float]:
    overhead = wall - provider_s - tool_s
    return {"wall_ms": wall * 1000, "provider_ms": provider_s * 1000, "tool_ms": tool_s * 1000, "steps": steps,
            "per_step_ms": overhead * 1000 / steps}


VARIANTS = ["reign", "no audit", "no gate", "no redaction", "bare loop"]
LABELS = {"reign": "Reign as shipped (gate + audit fsync + redaction)", "no audit": "… without the audit trail",
          "no gate": "… and without the gate (allow all)", "no redaction": "… and without redaction/truncation",
          "bare loop": "bare minimal loop"}


def bench(cfg: Config) -> BenchResult:
    assert cfg.sandbox is not None
    res = BenchResult()
    samples: dict[str, list[dict[str, float]]] = {v: [] for v in VARIANTS}
    with cfg.sandbox.active():
        audit_dir = cfg.sandbox.home / ".local" / "state" / "reign" / "audit"
        for v in VARIANTS:  # warm-up: imports, validators, policy
            run_bare() if v == "bare loop" else run_reign(v, cfg.sandbox.work, audit_dir)
        runs = max(3, cfg.runs // 2) if cfg.quick else max(5, cfg.runs)
        for _ in range(runs):
            for v in VARIANTS:  # interleaved, so drift hits every variant alike
                samples[v].append(run_bare() if v == "bare loop" else run_reign(v, cfg.sandbox.work, audit_dir))
    per = {v: summary([s["per_step_ms"] for s in samples[v]]) for v in VARIANTS}
    med = {v: per[v]["median"] for v in VARIANTS}
    ms = lambda x: f"{x:.2f}"  # noqa: E731
    steps = samples["reign"][0]["steps"]
    res.details = {"steps_per_session": steps, "samples": samples, "per_step_ms": per,
                   "cost_ms_per_step": {"audit (2 fsync'd records per call)": med["reign"] - med["no audit"],
                                        "gate": med["no audit"] - med["no gate"],
                                        "redaction + truncation": med["no gate"] - med["no redaction"],
                                        "rest of executor + loop (validation, records, specs)":
                                            med["no redaction"] - med["bare loop"]}}
    direct = {k[: -len("_ms_per_step")]: summary([s[k] for s in samples["reign"]])["median"]
              for k in samples["reign"][0] if k.endswith("_ms_per_step") and k != "per_step_ms"}
    res.details["measured_in_shipped_variant_ms_per_step"] = direct
    costs = res.details["cost_ms_per_step"]
    res.rows.append(Row("3 loop", f"overhead per step ({steps - 1} tool steps + answer, replayed)", med["reign"], "ms",
                        spread(per["reign"], ms), "bare minimal loop", med["bare loop"],
                        target=f"< {TARGET_MS:g} ms", ok=med["reign"] < TARGET_MS,
                        note="timed inside, ms/step: " + ", ".join(f"{k} {v:.3f}" for k, v in direct.items())
                             + f"; rest {med['reign'] - sum(direct.values()):.3f}"))
    for v in VARIANTS[1:-1]:
        res.rows.append(Row("3 loop", LABELS[v], med[v], "ms", spread(per[v], ms), "bare minimal loop",
                            med["bare loop"]))
    for v in VARIANTS:
        s = samples[v][len(samples[v]) // 2]
        res.say(f"  {LABELS[v]:52} {med[v]:.3f} ms/step  (e.g. wall {s['wall_ms']:.1f} ms, provider "
                f"{s['provider_ms']:.2f} ms, tool {s['tool_ms']:.2f} ms, {s['steps']:.0f} steps)")
    res.say("  cost per step, by difference of variants: " + "; ".join(f"{k} {v:.3f} ms" for k, v in costs.items()))
    res.say("  timed inside the shipped variant, ms per step: " + ", ".join(f"{k} {v:.3f}" for k, v in direct.items()))
    return res
