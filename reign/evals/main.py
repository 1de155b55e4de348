"""What `reign eval SUITE...` does: load, run, write the reports, say where they are."""

from __future__ import annotations

import datetime as dt
import os
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from reign.errors import ReignError


@contextmanager
def eval_environment(kubeconfig: Path | None) -> Iterator[None]:
    """KUBECONFIG and PATH (this venv's tools, the cached helm) for the tasks' scripts and the agent."""
    from reign.evals.backends import extra_path, forget
    from reign.evals.runner import patched_environ

    extra: dict[str, str] = {}
    if kubeconfig is not None:
        if not kubeconfig.is_file():
            raise ReignError(f"kubeconfig not found: {kubeconfig}")
        extra["KUBECONFIG"] = str(kubeconfig.resolve())
    path = os.environ.get("PATH", "").split(os.pathsep)
    extra["PATH"] = os.pathsep.join([*path, *[p for p in extra_path() if p not in path]])
    forget()
    try:
        with patched_environ(extra):
            yield
    finally:
        forget()


def run_eval(suites: list[Path], *, k: int, mode: str, out_dir: Path | None, price: tuple[float, float] | None,
             kubeconfig: Path | None, task_pattern: str, min_pass: float, **opts: Any) -> int:
    from reign.evals.report import write_all
    from reign.evals.runner import EvalConfig, run_suite
    from reign.evals.task import load_suite

    tasks = load_suite(suites, task_pattern)
    if not tasks:
        raise ReignError("no tasks to run (all disabled, or none match --task-pattern)")
    stamp = dt.datetime.now(dt.UTC).strftime("%Y%m%d-%H%M%S")
    out = out_dir or Path("eval-results") / stamp
    cfg = EvalConfig(k=k, mode=mode, provider=opts.get("provider"), model=opts.get("model"),  # type: ignore[arg-type]
                     base_url=opts.get("base_url"), price=price, out_dir=out,
                     progress=lambda line: print(line, file=sys.stderr, flush=True))
    with eval_environment(kubeconfig):
        suite = run_suite(tasks, cfg, [str(s) for s in suites])
    paths = write_all(suite, out)
    overall = suite.overall()
    print(f"pass@1 {100 * float(overall['pass@1'] or 0):.1f}% over {overall['tasks']} tasks "
          f"({overall['skipped']} skipped), k={k}; reports: {paths['md']} {paths['html']} {paths['json']}")
    if not overall["tasks"]:
        return 1
    return 0 if float(overall["pass@1"] or 0) >= min_pass else 1
