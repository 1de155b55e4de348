"""What `reign run` prints, compared whole against golden files (durations and ids normalised).

The model is a synthesized cassette (no LLM API is reachable here); bash runs for real. Set
REIGN_UPDATE_GOLDEN=1 to rewrite the golden files after an intended change, then read the diff.
"""

from __future__ import annotations

import json
import os
import re
from pathlib import Path

import pytest
from click.testing import CliRunner

from reign.cli import main

ROOT = Path(__file__).resolve().parent.parent
GOLDEN = ROOT / "tests" / "golden"


def normalise(text: str) -> str:
    text = re.sub(r"\b[0-9a-f]{12}\b", "<session>", text)
    text = re.sub(r"\b\d+ ms\b|\b\d+\.\d s\b", "<duration>", text)
    return "\n".join(line.rstrip() for line in text.splitlines()) + "\n"


def run_text(cassette: str, *extra: str) -> tuple[int, str]:
    result = CliRunner().invoke(main, ["run", "--cassette", str(ROOT / cassette), *extra, "the goal"],
                                env={"COLUMNS": "200", "LC_ALL": "C"})
    return result.exit_code, normalise(result.stdout)


def check_golden(name: str, text: str) -> None:
    path = GOLDEN / f"{name}.txt"
    if os.environ.get("REIGN_UPDATE_GOLDEN") or not path.exists():
        path.parent.mkdir(exist_ok=True)
        path.write_text(text)
    assert text == path.read_text(), f"output differs from {path} (REIGN_UPDATE_GOLDEN=1 rewrites it)"


@pytest.mark.parametrize("name, cassette, extra, code", [
    ("success", "cassettes/anthropic/multi.yaml", (), 0),
    ("failure", "cassettes/cli/failing.yaml", (), 0),
    ("timeout", "cassettes/anthropic/slow_tool.yaml", (), 0),
    ("refusal", "cassettes/cli/refused.yaml", (), 0),
    ("approved", "cassettes/cli/refused.yaml", ("--yes",), 0),
    ("quiet", "cassettes/cli/failing.yaml", ("--quiet",), 0),
])
def test_run_output_matches_golden(workdir: Path, name: str, cassette: str, extra: tuple[str, ...],
                                   code: int) -> None:
    exit_code, text = run_text(cassette, *extra)
    assert exit_code == code, text
    check_golden(name, text)


def test_failed_and_timed_out_calls_say_so(workdir: Path) -> None:
    """The facts the golden files hold, asserted on their own so that a careless rewrite cannot lose them."""
    _, failed = run_text("cassettes/cli/failing.yaml")
    assert "bash: ls /nonexistent-reign-path\n    failed (exit 2" in failed and "bash: echo fine\n    ok" in failed
    assert "[step 1] I'll check both." in failed
    _, slow = run_text("cassettes/anthropic/slow_tool.yaml")
    assert "timed out after 1 s" in slow and "ok" not in slow.split("timed out")[0].split("bash:")[1]
    _, refused = run_text("cassettes/cli/refused.yaml")
    assert refused.count("not approved: ") == 1 and refused.count("re-run with --yes") == 1
    assert refused.count("bash: echo hello > note.txt") == 1 and not (workdir / "note.txt").exists()
    assert "not approved: write, asked by rule shell-write-redirect" in refused
    _, approved = run_text("cassettes/cli/refused.yaml", "--yes")
    assert "approved: write" in approved and (workdir / "note.txt").read_text() == "hello\n"
    _, quiet = run_text("cassettes/cli/failing.yaml", "--quiet")
    assert quiet == "The first check failed with exit code 2; the second printed fine.\n"


def test_step_logs_only_when_asked(workdir: Path) -> None:
    """JSON step logs go to stderr with -v or REIGN_LOG_LEVEL, and to REIGN_LOG_FILE when set; never by default."""
    cassette = str(ROOT / "cassettes/anthropic/basic.yaml")
    quiet = CliRunner().invoke(main, ["run", "--cassette", cassette, "goal"])
    assert '"event": "step"' not in quiet.stderr
    verbose = CliRunner().invoke(main, ["run", "--cassette", cassette, "-v", "goal"])
    assert '"event": "step"' in verbose.stderr
    by_env = CliRunner().invoke(main, ["run", "--cassette", cassette, "goal"], env={"REIGN_LOG_LEVEL": "INFO"})
    assert '"event": "step"' in by_env.stderr
    log = workdir / "logs" / "reign.log"
    to_file = CliRunner().invoke(main, ["run", "--cassette", cassette, "goal"], env={"REIGN_LOG_FILE": str(log)})
    assert '"event": "step"' not in to_file.stderr and '"event": "step"' in log.read_text()


def test_cut_output_names_the_file_that_keeps_it_whole(workdir: Path, isolated_home: Path) -> None:
    """`seq 1 200000` is cut for the model; the marker says how much and where the whole output is."""
    result = CliRunner().invoke(main, ["run", "--cassette", str(ROOT / "cassettes/anthropic/big_output.yaml"),
                                       "--output", "json", "goal"])
    output = json.loads(result.stdout.strip().splitlines()[-1])["tool_calls"][0]["output"]
    match = re.search(r"\[\.\.\. (\d+) characters \((\d+) of (\d+) lines\) cut by reign; whole output: (\S+?)[ \];]",
                      output)
    assert match, output[:2000]
    whole = Path(match.group(4))
    assert whole.is_relative_to(isolated_home / ".local" / "state" / "reign" / "outputs")
    assert whole.read_text().splitlines() == [str(n) for n in range(1, 200_001)]
    assert int(match.group(3)) == 200_000 and oct(whole.stat().st_mode)[-3:] == "600"


def test_cost_estimate_uses_the_price_table_and_its_override(workdir: Path, isolated_home: Path) -> None:
    """1,950 input and 85 output tokens (the cassette's usage) at the shipped Sonnet price, then at a price
    set in config.toml; a model with no price gets no cost rather than a wrong one."""
    cassette = str(ROOT / "cassettes/anthropic/multi.yaml")

    def estimate() -> object:
        out = CliRunner().invoke(main, ["run", "--cassette", cassette, "--output", "json", "goal"]).stdout
        return json.loads(out.strip().splitlines()[-1])["estimated_cost_usd"]

    assert estimate() == round((1950 * 3.0 + 85 * 15.0) / 1e6, 6)
    config = isolated_home / ".config" / "reign" / "config.toml"
    config.parent.mkdir(parents=True)
    config.write_text('[reign.prices]\n"claude-sonnet-5-5" = [10.0, 20.0]\n')
    assert estimate() == round((1950 * 10.0 + 85 * 20.0) / 1e6, 6)
    from reign.pricing import describe
    from reign.types import Usage

    assert "no price for local-llama" in describe(Usage(input_tokens=5, output_tokens=1), "local-llama")
