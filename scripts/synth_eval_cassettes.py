"""Write each eval task's cassette.yaml from its turns.yaml (the synthesized model's side of the task).

No LLM API is reachable where these were made, so the model's turns are written by hand in each task's
turns.yaml and rendered here in the provider's documented wire format (Anthropic Messages or OpenAI Chat
Completions, as in scripts/synth_cassettes.py), with a `synthesized` header. The tools still run for
real against the engines when the task replays.

    python scripts/synth_eval_cassettes.py [examples/evals] [--check]

turns.yaml:
    provider: anthropic            # or openai
    description: what the model does
    turns:
      - text: "optional words"
        calls: [{name: k8s_get, args: {kind: pods, namespace: shop}}]
      - text: "the final answer"
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

import yaml

sys.path.insert(0, str(Path(__file__).resolve().parent))
from synth_cassettes import interaction

ROOT = Path(__file__).resolve().parent.parent
HEADER = ("# reign cassette: synthesized ({provider} wire format, written by scripts/synth_eval_cassettes.py from "
          "turns.yaml; not recorded from a live API)\n# scenario: {description}\n")


def render(spec: dict[str, Any]) -> str:
    provider = spec.get("provider", "anthropic")
    if provider not in ("anthropic", "openai"):
        raise ValueError(f"provider must be anthropic or openai, not {provider!r}")
    turns = spec.get("turns")
    if not isinstance(turns, list) or not turns:
        raise ValueError("turns.yaml needs a non-empty `turns:` list")
    doc = {"interactions": [interaction(provider, turns, i) for i in range(len(turns))], "version": 1}
    header = HEADER.format(provider=provider, description=" ".join(str(spec.get("description", "")).split()))
    return header + yaml.safe_dump(doc, sort_keys=False, width=120)


def write_task(folder: Path, *, check: bool = False) -> bool:
    """Write (or with check=True, compare) folder/cassette.yaml; True when it is up to date."""
    spec = yaml.safe_load((folder / "turns.yaml").read_text())
    text = render(spec)
    target = folder / "cassette.yaml"
    current = target.read_text() if target.is_file() else None
    if check:
        return current == text
    if current != text:
        target.write_text(text)
    return True


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("suites", nargs="*", type=Path, default=[ROOT / "examples" / "evals"])
    parser.add_argument("--check", action="store_true", help="exit 1 if a cassette is out of date")
    args = parser.parse_args()
    stale = []
    count = 0
    for suite in args.suites:
        for folder in sorted(p.parent for p in suite.glob("*/turns.yaml")):
            count += 1
            if not write_task(folder, check=args.check):
                stale.append(folder.name)
    if stale:
        print(f"out of date: {', '.join(stale)} (run python scripts/synth_eval_cassettes.py)", file=sys.stderr)
        return 1
    print(f"{'checked' if args.check else 'wrote'} {count} cassettes", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
