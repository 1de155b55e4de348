"""`reign eval SUITE...` and `reign eval compare A.json B.json` (registered on the main CLI by one line).

Kept import-light: the harness itself is imported only when a command runs.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import click

from reign.errors import ReignError
from reign.terminal import inert


class _DefaultRun(click.Group):
    """`reign eval SUITE...` means `reign eval run SUITE...`; `compare` is the other subcommand."""

    def parse_args(self, ctx: click.Context, args: list[str]) -> list[str]:
        if args and args[0] not in self.commands and args[0] not in ("-h", "--help"):
            args = ["run", *args]
        return super().parse_args(ctx, args)


def _fail(message: str) -> None:
    click.echo(f"reign eval: {message}", err=True)
    sys.exit(2)


def _price(value: str | None) -> tuple[float, float] | None:
    if not value:
        return None
    try:
        a, b = (float(x) for x in value.split(","))
    except ValueError:
        raise click.BadParameter("expected IN,OUT in USD per million tokens, e.g. 3,15") from None
    return a, b


@click.group("eval", cls=_DefaultRun)
def eval_group() -> None:
    """Measure the agent on a suite of tasks (k8s-ai-bench task.yaml format): `reign eval SUITE...`."""


@eval_group.command("run")
@click.argument("suites", nargs=-1, required=True, type=click.Path(path_type=Path))
@click.option("-k", "k", type=click.IntRange(1, 100), default=1, show_default=True, help="Attempts per task.")
@click.option("--live", "mode", flag_value="live", help="Call the provider's API (needs a key) instead of replaying.")
@click.option("--record", "mode", flag_value="record", help="Live, and record each attempt's cassette under --out.")
@click.option("--provider", type=click.Choice(["anthropic", "openai"]))
@click.option("--model")
@click.option("--base-url", help="OpenAI-compatible server (Ollama, vLLM...).")
@click.option("--price", metavar="IN,OUT", help="USD per million input,output tokens (overrides the table).")
@click.option("--task-pattern", default="", help="Only tasks whose id matches this regex.")
@click.option("--kubeconfig", type=click.Path(dir_okay=False, path_type=Path), help="Cluster for the tasks.")
@click.option("--out", "out_dir", type=click.Path(file_okay=False, path_type=Path),
              help="Where results.json, report.md, report.html and logs go (default eval-results/TIME).")
@click.option("--min-pass", type=click.FloatRange(0, 1), default=1.0, show_default=True,
              help="Exit 1 when overall pass@1 is below this.")
def eval_run(suites: tuple[Path, ...], k: int, mode: str | None, out_dir: Path | None, price: str | None,
             kubeconfig: Path | None, task_pattern: str, min_pass: float, **opts: Any) -> None:
    """Run every task of SUITES (task directories, or directories of them) K times and report."""
    from reign.evals.main import run_eval

    try:
        code = run_eval(list(suites), k=k, mode=mode or "replay", out_dir=out_dir, price=_price(price),
                        kubeconfig=kubeconfig, task_pattern=task_pattern, min_pass=min_pass, **opts)
    except ReignError as exc:
        _fail(str(exc))
    sys.exit(code)


@eval_group.command("compare")
@click.argument("before", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.argument("after", type=click.Path(exists=True, dir_okay=False, path_type=Path))
def eval_compare(before: Path, after: Path) -> None:
    """What changed from BEFORE to AFTER (two results.json); exit 1 when a task got worse."""
    from reign.evals.compare import compare
    from reign.evals.report import load

    try:
        text, regressed = compare(load(before), load(after), (before.name, after.name))
    except ReignError as exc:
        _fail(str(exc))
    click.echo(inert(text), nl=False)  # result files may carry any text
    sys.exit(1 if regressed else 0)
