"""4. Context growth: a session of 50 tool steps whose results are large (a synthetic `kubectl get pods -A`
of a 3,000-pod cluster, ~300 KB each, one CrashLoopBackOff pod): tokens sent on the last request
(the one carrying all 50 results), against a naive loop that keeps every output whole (computed from
the very same outputs), and whether the answer (the broken pod's name) is still in context.

Every request is serialised as Reign's OpenAI adapter sends it (system message, reign.providers.openai's
to_wire(messages), tools array) and counted with tiktoken, message by message.

The core's own settings are read at run time (settings.output_cap; Limits.keep_recent and
Limits.old_result_cap when the core compacts older results). Alternatives are simulated here from the
very same outputs, without touching the core, to show which smallest change meets the target.
"""

from __future__ import annotations

import hashlib
import time
from pathlib import Path
from typing import Any

from benchmarks import toolimpl
from benchmarks.cluster import crash_pod
from benchmarks.common import BenchResult, Config, Row, compact_json, count_tokens, summary
from benchmarks.loop import ReplayProvider, script, settings
from benchmarks.prompt import openai_tools

TOOL_STEPS = 50
LINES = 3000
TARGET = 30_000
KEEP_LAST = 3  # the proposal: results of the last K tool steps stay whole


class Counter:
    """Tokens of each request as sent, counting each distinct message once (cached by content hash)."""

    def __init__(self) -> None:
        self.cache: dict[str, int] = {}
        self.per_request: list[int] = []
        self.last: tuple[str, list[Any], list[Any]] | None = None

    def count(self, obj: Any) -> int:
        text = compact_json(obj)
        key = hashlib.sha1(text.encode("utf-8", "surrogatepass")).hexdigest()
        if key not in self.cache:
            self.cache[key] = count_tokens(text)
        return self.cache[key]

    def request_tokens(self, system: str, messages: list[Any], tools: list[Any]) -> int:
        from reign.providers.openai import to_wire

        total = self.count({"role": "system", "content": system})
        total += sum(self.count(m) for m in to_wire(messages))
        return total + (self.count(openai_tools(tools)) if tools else 0)

    def __call__(self, system: str, messages: list[Any], tools: list[Any]) -> None:
        self.per_request.append(self.request_tokens(system, messages, tools))
        self.last = (system, [m.model_copy(deep=True) for m in messages], list(tools))


def session(placement: str, workdir: Path, audit_dir: Path) -> dict[str, Any]:
    from reign.wiring import Options, build_agent

    toolimpl.STATE.update(placement=placement, lines=LINES, outputs={})
    toolimpl.CLOCK["tool_s"] = 0.0
    counter = Counter()
    # step 1 loads the manager (lazy loading), steps 2-51 each get one big result, step 52 answers
    provider = ReplayProvider(script("bench_get_pods", TOOL_STEPS + 1, "step"), on_request=counter)
    agent = build_agent(settings(workdir, audit_dir, TOOL_STEPS + 1), provider, Options())
    started = time.perf_counter()
    result = agent.run("Which pod is crash-looping?")
    wall = time.perf_counter() - started
    if result.stop_reason != "completed":
        raise RuntimeError(f"session ended {result.stop_reason}: {result.error}")
    failed = [c for c in result.tool_calls if not c.ok]
    if failed:
        raise RuntimeError(f"{failed[0].tool} failed: {failed[0].output[:200]}")
    assert counter.last is not None
    return {"counter": counter, "last": counter.last, "outputs": dict(toolimpl.STATE["outputs"]),
            "steps": result.steps, "overhead_ms_per_step":
                (wall - provider.seconds - toolimpl.CLOCK["tool_s"]) * 1000 / result.steps,
            "knobs": _knobs(agent.limits, agent.executor.settings.output_cap)}


def _timed(fn: Any) -> float:
    started = time.perf_counter()
    fn()
    return (time.perf_counter() - started) * 1000


def _in_context(messages: list[Any], needle: str) -> bool:
    return any(needle in r.content for m in messages for r in m.tool_results)


def _steps_of(messages: list[Any]) -> dict[str, int]:
    return {c.id: int(c.args["step"]) for m in messages for c in m.tool_calls if "step" in c.args}


def naive(messages: list[Any], outputs: dict[int, str]) -> list[Any]:
    """The same conversation, every tool output kept whole."""
    steps = _steps_of(messages)
    out = []
    for m in messages:
        m = m.model_copy(deep=True)
        for r in m.tool_results:
            if r.call_id in steps:
                r.content = outputs[steps[r.call_id]]
        out.append(m)
    return out


def rebuilt(messages: list[Any], outputs: dict[int, str], output_cap: int, keep_recent: int,
            old_cap: int | None) -> list[Any]:
    """The same conversation as Reign would hold it under other settings, from the same raw outputs:
    each result redacted and cut to `output_cap`; results older than `keep_recent` tool steps shrunk to
    `old_cap` characters with reign.truncate.compact, or to a one-line stub when old_cap is 0 (None:
    not shrunk at all)."""
    try:
        from reign.truncate import compact
    except ImportError:  # a core without compaction: the stub only
        compact = None
    steps = _steps_of(messages)
    tool_msgs = [i for i, m in enumerate(messages) if m.role == "tool"]
    old = set(tool_msgs[:-keep_recent] if keep_recent else tool_msgs)
    out = []
    for i, m in enumerate(messages):
        m = m.model_copy(deep=True)
        for r in m.tool_results:
            if r.call_id not in steps:
                continue
            content = _capped(outputs[steps[r.call_id]], output_cap)
            if i in old and old_cap is not None:
                if old_cap == 0 or compact is None:
                    content = (f"[{r.name} result elided after {keep_recent} steps: {len(content)} chars; "
                               "call the tool again if you need it]")
                else:
                    content = compact(content, old_cap)
            r.content = content
        out.append(m)
    return out


_CAPPED: dict[tuple[str, int], str] = {}


def _capped(raw: str, cap: int) -> str:
    """What the executor makes of a raw output (redacted, then cut), computed once per output."""
    from reign.redact import redact, secret_env_values
    from reign.truncate import cut

    key = (hashlib.sha1(raw.encode()).hexdigest(), cap)
    if key not in _CAPPED:
        _CAPPED[key] = cut(redact(raw, secret_env_values()), cap)
    return _CAPPED[key]


def _knobs(limits: Any, cap: int) -> dict[str, Any]:
    return {"output_cap": cap, "keep_recent": getattr(limits, "keep_recent", None),
            "old_result_cap": getattr(limits, "old_result_cap", None)}


def bench(cfg: Config) -> BenchResult:
    assert cfg.sandbox is not None
    res = BenchResult()
    with cfg.sandbox.active():
        audit_dir = cfg.sandbox.home / ".local" / "state" / "reign" / "audit-context"
        runs = {p: session(p, cfg.sandbox.work, audit_dir) for p in ("tail", "head", "middle")}
        main = runs["tail"]
        knobs = main["knobs"]
        counter: Counter = main["counter"]
        system, messages, tools = main["last"]
        last = counter.per_request[-1]
        raw_chars = len(main["outputs"][1])
        naive_tokens = counter.request_tokens(system, naive(messages, main["outputs"]), tools)
        presence = {}
        for p, r in runs.items():
            name, line, total = crash_pod(p, LINES)
            presence[p] = {"pod": name, "line": line, "of_lines": total,
                           "in_context": _in_context(r["last"][1], name)}
        # alternatives, from the very same outputs: which smallest change of the knobs meets the target
        cap, keep, old_cap = knobs["output_cap"], knobs["keep_recent"] or 0, knobs["old_result_cap"]
        candidates: list[tuple[str, int, int | None]] = []
        for k, c in ((keep or 3, 1000), (keep or 3, 600), (2, old_cap or 1500), (2, 600), (keep or 3, 0)):
            if (k, c) != (keep, old_cap) and (k, c) not in [(a, b) for _, a, b in candidates]:
                label = (f"keep_recent={k}, older results → 1-line stub" if c == 0 else
                         f"keep_recent={k}, old_result_cap={c:,}")
                candidates.append((label, k, c))
        alternatives = []
        for label, k, c in candidates:
            tokens = counter.request_tokens(system, rebuilt(messages, main["outputs"], cap, k, c), tools)
            answer = {p: _in_context(rebuilt(r["last"][1], r["outputs"], cap, k, c), crash_pod(p, LINES)[0])
                      for p, r in runs.items()}
            alternatives.append({"label": label, "keep_recent": k, "old_result_cap": c, "tokens": tokens,
                                 "answer": answer})
        from reign.redact import redact, secret_env_values
        from reign.truncate import cut

        raw = main["outputs"][1]
        secrets = secret_env_values()
        redact_ms = summary([_timed(lambda: redact(raw, secrets)) for _ in range(5)])["median"]
        cut_ms = summary([_timed(lambda: cut(raw, cap)) for _ in range(5)])["median"]
    found = presence["tail"]["in_context"]
    growth = {n: counter.per_request[n - 1] for n in (1, 2, 5, 10, 25, 40, len(counter.per_request))
              if n <= len(counter.per_request)}
    recent = [m for m in messages if m.role == "tool"][-1].tool_results[0].content
    per_recent = counter.count({"role": "tool", "tool_call_id": "c1", "content": recent})
    oldest = [m for m in messages if m.role == "tool"][1].tool_results[0].content
    per_old = counter.count({"role": "tool", "tool_call_id": "c1", "content": oldest})
    res.details = {"knobs": knobs, "lines": LINES, "raw_chars_per_output": raw_chars,
                   "tokens_per_request": counter.per_request, "last_request": last, "naive_last_request": naive_tokens,
                   "tokens_per_recent_result": per_recent, "tokens_per_older_result": per_old,
                   "answer": presence, "alternatives": alternatives, "redact_ms_per_output": redact_ms,
                   "cut_ms_per_output": cut_ms,
                   "overhead_ms_per_step_big_outputs": {p: r["overhead_ms_per_step"] for p, r in runs.items()}}
    knob_text = ", ".join(f"{k} {v:,}" if isinstance(v, int) else f"{k} {v}" for k, v in knobs.items())
    res.say(f"  core settings: {knob_text}; each raw output {raw_chars:,} chars; a recent result ≈{per_recent:,} "
            f"tokens, an older one ≈{per_old:,}")
    res.say("  tokens by request: " + ", ".join(f"#{n}: {v:,}" for n, v in growth.items())
            + f"; naive at the last: {naive_tokens:,}")
    where = "; ".join(f"{p} (line {v['line']} of {v['of_lines']}): {'in context' if v['in_context'] else 'CUT'}"
                      for p, v in presence.items())
    res.say(f"  answer: {where}")
    for alt in alternatives:
        res.say(f"  alternative {alt['label']}: {alt['tokens']:,} tokens; answer in context: "
                + ", ".join(f"{p} {'yes' if ok else 'NO'}" for p, ok in alt["answer"].items()))
    n_results = sum(1 for m in messages if m.role == "tool") - 1  # minus the use_tools result
    res.rows.append(Row("4 context", f"tokens on the last request ({n_results} results of {LINES:,}-line "
                                      f"`kubectl get pods -A`, {raw_chars // 1000} KB each)", last, "tokens",
                        reference="naive loop, every output whole", ref_value=naive_tokens,
                        target=f"< {TARGET:,}, answer in context", ok=last < TARGET and found,
                        note=f"{knob_text}; recent result ≈{per_recent:,} tokens, older ≈{per_old:,}; by request: "
                             + ", ".join(f"#{n} {v:,}" for n, v in growth.items())))
    res.rows.append(Row("4 context", "answer (the one CrashLoopBackOff pod) in context at the last request", None,
                        "", note=where + " (kubectl sorts by namespace, then name)"))
    for alt in alternatives:
        ok = alt["tokens"] < TARGET and alt["answer"]["tail"]
        res.rows.append(Row("4 context", f"simulated: {alt['label']}", alt["tokens"], "tokens",
                            reference="naive loop", ref_value=naive_tokens, target=f"< {TARGET:,}, answer in context",
                            ok=ok, note="answer: " + ", ".join(f"{p} {'yes' if v else 'no'}"
                                                               for p, v in alt["answer"].items())))
    res.rows.append(Row("4 context", f"loop overhead per step with {raw_chars // 1000} KB outputs",
                        main["overhead_ms_per_step"], "ms",
                        note=f"of which redaction of the whole output (before the cut) {redact_ms:.1f} ms, "
                             f"cut {cut_ms:.1f} ms; the rest: audit fsync, gate, digests"))
    return res
