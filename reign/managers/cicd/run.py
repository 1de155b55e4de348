"""Running workflows locally with act, and what blocks that."""

from __future__ import annotations

import os
import re
import tempfile
from pathlib import Path
from typing import Any

from reign.errors import ToolError, last_line
from reign.managers.cicd.host import INSTALL_HINTS, find_tool, inside_root, project_root, tool_env
from reign.process import run_argv
from reign.toolcontext import ToolContext


def local_run_blockers(workflow: dict[str, Any]) -> list[str]:
    """Why act cannot run this workflow offline on the host ([] when it can)."""
    problems = []
    for job_id, job in (workflow.get("jobs") or {}).items():
        if not isinstance(job, dict):
            continue
        if "uses" in job:
            problems.append(f"job {job_id} calls a reusable workflow")
        for key in ("container", "services"):
            if key in job:
                problems.append(f"job {job_id} uses `{key}:` (needs Docker)")
        for i, step in enumerate(job.get("steps") or []):
            uses = str(step.get("uses", "")) if isinstance(step, dict) else ""
            if uses and not uses.startswith("actions/checkout@"):
                problems.append(f"job {job_id} step {i + 1} uses {uses} (needs github.com)")
    return problems


_ACT_LINE = re.compile(r"^\[[^\]]+\]\s")
_ANSI = re.compile(r"\x1b\[[0-9;]*[A-Za-z]")


def run_local(*, path: str = ".", workflow: str, event: str = "push", job: str | None = None,
              ctx: ToolContext) -> dict[str, Any]:
    """Run a workflow whose steps are only `run:` (and actions/checkout) with act, on this host."""
    import yaml

    root = project_root(ctx, path)
    target = inside_root(root, workflow)
    if not target.is_file():
        raise ToolError(f"{workflow} not found under {path}")
    try:
        data = yaml.safe_load(target.read_text())
    except yaml.YAMLError as exc:
        raise ToolError(f"{workflow} is not valid YAML: {last_line(str(exc))}") from exc
    if not isinstance(data, dict):
        raise ToolError(f"{workflow} is not a workflow")
    blockers = local_run_blockers(data)
    if blockers:
        raise ToolError("cannot run offline with act: " + "; ".join(blockers[:5])
                        + " (validate it with cicd_validate instead)")
    exe = find_tool("act")
    if exe is None:
        raise ToolError(f"act not found ({INSTALL_HINTS['act']})")
    # No cache server (it would bind a non-loopback address), and no repository .env/.secrets/.vars files.
    argv = [exe, event, "-W", target.relative_to(root).as_posix(), "--action-offline-mode", "--no-cache-server",
            "--env-file", os.devnull, "--secret-file", os.devnull, "--var-file", os.devnull]
    for platform in ("ubuntu-latest", "ubuntu-24.04", "ubuntu-22.04"):
        argv += ["-P", f"{platform}=-self-hosted"]
    if job:
        argv += ["-j", job]
    timeout = max(60.0, ctx.settings.tool_timeout)
    env = tool_env()
    env.setdefault("HOME", str(Path.home()))
    from reign.sandbox import share

    # act keeps its checkout copies and action cache under XDG_CACHE_HOME: a scratch one per run, which the
    # OS sandbox lets it write (the home folder is read-only there)
    with tempfile.TemporaryDirectory(prefix="reign-act-") as cache, share(Path(cache), writable=True):
        env["XDG_CACHE_HOME"] = cache
        res = run_argv(argv, timeout=timeout, cap=max(4000, ctx.settings.output_cap), cwd=root, env=env)
    lines = [_ANSI.sub("", ln) for ln in (res.stdout + "\n" + res.stderr).splitlines()]
    lines = [ln for ln in lines if ln.strip() and "level=warning msg=\"Couldn't get a valid docker" not in ln]
    succeeded = [ln.split("]")[0].lstrip("[") for ln in lines if "Job succeeded" in ln]
    failed = [ln.split("]")[0].lstrip("[") for ln in lines if "Job failed" in ln]
    out: dict[str, Any] = {"workflow": workflow, "event": event, "exit_code": res.exit_code,
                           "ok": res.exit_code == 0 and not failed, "jobs_succeeded": succeeded,
                           "jobs_failed": failed, "output": "\n".join(lines)}
    if res.timed_out:
        out["timed_out"] = True
    return out
