"""Where `reign policy check` spends its time, phase by phase, in a fresh interpreter (run as a
subprocess by the start-up benchmark: `python -m benchmarks.phases N`). Prints one JSON object (ms)."""

from __future__ import annotations

import json
import sys
import time


def main() -> None:
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 150
    marks: dict[str, float] = {}
    t = time.perf_counter()

    def mark(name: str) -> None:
        nonlocal t
        now = time.perf_counter()
        marks[name] = round((now - t) * 1000, 2)
        t = now

    import click  # noqa: F401  (what `reign` itself imports first)

    import reign.cli  # noqa: F401
    mark("import reign.cli (click)")
    import reign.cli_actions as commands
    mark("import reign.cli_actions (pydantic, pydantic-settings)")
    settings = commands.load_settings({})
    mark("Settings()")
    from reign.policy import decide, gate_context, load_checked_policy
    mark("import reign.policy")
    policy = load_checked_policy([*settings.policy_files])
    mark("load policy YAML layers (their examples checked once per content hash)")
    effects = commands._known_effects(settings)
    mark("catalogue load (YAML + JSON-Schema checks)")
    from benchmarks.corpus import policy_calls
    from reign.policy import GateCall

    calls, _ = policy_calls(n)
    mark("(benchmark: corpus)")
    ctx = gate_context(settings)
    for item in calls:
        effect, manager, command = effects.get(item["tool"], ("write", item["tool"].split("_")[0], None))
        decide(GateCall(tool=item["tool"], args=item["args"], effect=item.get("effect", effect), manager=manager,
                        command=command), policy, ctx)
    mark(f"{n} decisions")
    marks.pop("(benchmark: corpus)")
    print(json.dumps(marks))


if __name__ == "__main__":
    main()
