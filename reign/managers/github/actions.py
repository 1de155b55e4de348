"""GitHub Actions tools: runs, jobs, logs cut to the failing step, rerun, dispatch."""

from __future__ import annotations

import re
from datetime import datetime
from typing import Any

from reign.errors import ToolError
from reign.managers.github.client import api_errors, full_json, repository, take
from reign.managers.github.repos import default_branch_of, repo_url
from reign.toolcontext import ToolContext
from reign.truncate import cut


def _run_row(d: dict[str, Any]) -> dict[str, Any]:
    return {"id": d.get("id"), "workflow": d.get("name"), "title": d.get("display_title"),
            "branch": d.get("head_branch"), "event": d.get("event"), "status": d.get("status"),
            "conclusion": d.get("conclusion"), "sha": str(d.get("head_sha") or "")[:12],
            "attempt": d.get("run_attempt"), "created_at": d.get("created_at"), "url": d.get("html_url")}


# --------------------------------------------------------------------------------------------- actions


def list_runs(*, repo: str, workflow: str | None = None, branch: str | None = None, status: str | None = None,
              event: str | None = None, limit: int = 20, ctx: ToolContext) -> dict[str, Any]:
    r = repository(ctx, repo)
    kwargs: dict[str, Any] = {}
    for key, value in (("branch", branch), ("status", status), ("event", event)):
        if value:
            kwargs[key] = value
    with api_errors(f"workflow runs of {repo}" + (f" ({workflow})" if workflow else "")):
        source = r.get_workflow(workflow).get_runs(**kwargs) if workflow else r.get_workflow_runs(**kwargs)
        rows = [_run_row(d) for d in take(source, limit)]
    return {"repo": repo, "runs": rows}


def _jobs(run: Any, limit: int = 50) -> list[dict[str, Any]]:
    return take(run.jobs("latest"), limit)


def _job_row(j: dict[str, Any]) -> dict[str, Any]:
    steps = j.get("steps") or []
    failed = [s.get("name") for s in steps if s.get("conclusion") == "failure"]
    row = {"id": j.get("id"), "name": j.get("name"), "status": j.get("status"), "conclusion": j.get("conclusion"),
           "started_at": j.get("started_at"), "completed_at": j.get("completed_at")}
    if failed:
        row["failed_steps"] = failed
    return row


def read_run(*, repo: str, run_id: int, ctx: ToolContext) -> dict[str, Any]:
    r = repository(ctx, repo)
    with api_errors(f"workflow run {run_id} of {repo}"):
        run = r.get_workflow_run(run_id)
        d = full_json(run)
        jobs = _jobs(run)
    out = _run_row(d)
    out["path"] = d.get("path")
    out["jobs"] = [_job_row(j) for j in jobs]
    return out


_TIMESTAMP = re.compile(r"^\ufeff?(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d)(?:\.\d+)?Z ?")
_ANSI = re.compile(r"\x1b\[[0-9;]*[A-Za-z]")


def _epoch(iso: Any) -> float | None:
    if not iso:
        return None
    try:
        return datetime.fromisoformat(str(iso).replace("Z", "+00:00")).timestamp()
    except ValueError:
        return None


def cut_to_failing_step(log: str, steps: list[dict[str, Any]], max_chars: int = 6000) -> tuple[str, str]:
    """(step name, the log of the step that failed), timestamps and colours removed.

    A job log has one `##[group]Run ...` section per step; the failing one holds the first `##[error]`.
    Without an error marker, the failing step's time window (from the jobs API) is used; else the tail.
    """
    lines: list[tuple[float | None, str]] = []
    for raw in log.splitlines():
        m = _TIMESTAMP.match(raw)
        stamp = _epoch(m.group(1) + "Z") if m else None
        lines.append((stamp, _ANSI.sub("", raw[m.end():] if m else raw)))
    failed = next((s for s in steps if s.get("conclusion") == "failure"), None)
    name = str(failed.get("name")) if failed else "unknown step"
    starts = [i for i, (_, text) in enumerate(lines) if text.startswith("##[group]Run ")]
    error_at = next((i for i, (_, text) in enumerate(lines) if text.startswith("##[error]")), None)
    chosen: list[str] = []
    if error_at is not None:
        begin = max([i for i in starts if i <= error_at], default=0)
        end = min([i for i in starts if i > error_at], default=len(lines))
        section = [t for _, t in lines[begin:end]]
        chosen = _trim_section(section)
    elif failed is not None and _epoch(failed.get("started_at")) is not None:
        lo = int(_epoch(failed.get("started_at")) or 0)
        hi = int(_epoch(failed.get("completed_at")) or lo) + 1
        chosen = [t for s, t in lines if s is not None and lo <= s <= hi]
    if not chosen:
        chosen = [t for _, t in lines[-200:]]
    return name, cut("\n".join(chosen), max_chars)


def _trim_section(section: list[str]) -> list[str]:
    """Keep the step's command (its group header, at most 15 lines) and everything after the group."""
    if not section or not section[0].startswith("##[group]"):
        return section
    end = next((i for i, t in enumerate(section) if t.startswith("##[endgroup]")), None)
    if end is None:
        return section
    header = section[: end + 1]
    if len(header) > 16:
        header = [*header[:15], f"... ({len(header) - 16} lines of step inputs cut) ...", header[-1]]
    return header + section[end + 1:]


def _download_log(location: str, timeout: float, cap_bytes: int = 20_000_000) -> str:
    """GET a signed log URL (no token: it is signed), keeping at most the last `cap_bytes`."""
    import requests

    with requests.get(location, timeout=timeout, stream=True) as resp:
        if resp.status_code != 200:
            raise ToolError(f"the log download answered {resp.status_code}: logs may have expired "
                            "(GitHub keeps them 90 days by default)")
        data = bytearray()
        for chunk in resp.iter_content(chunk_size=65536):
            data += chunk
            if len(data) > 2 * cap_bytes:
                del data[: len(data) - cap_bytes]
    return bytes(data[-cap_bytes:]).decode("utf-8", "replace")


def run_logs(*, repo: str, run_id: int, job_id: int | None = None, max_chars: int = 8000,
             ctx: ToolContext) -> dict[str, Any]:
    """Logs of a run's failed jobs, each cut to its failing step: what you read to explain a failed run."""
    r = repository(ctx, repo)
    what = f"workflow run {run_id} of {repo}"
    with api_errors(what):
        run = r.get_workflow_run(run_id)
        d = full_json(run)
        jobs = _jobs(run)
    if job_id is not None:
        picked = [j for j in jobs if j.get("id") == job_id]
        if not picked:
            raise ToolError(f"job {job_id} is not part of run {run_id}; jobs: "
                            + ", ".join(f"{j.get('id')} ({j.get('name')})" for j in jobs))
    else:
        picked = [j for j in jobs if j.get("conclusion") in ("failure", "timed_out", "startup_failure")]
        if not picked:
            return {**_run_row(d), "failed_jobs": [],
                    "note": "no failed job in this run" + (" (still running)" if d.get("status") != "completed"
                                                           else "")}
    picked = picked[:3]
    share = max(1000, max_chars // len(picked))
    out_jobs = []
    for j in picked:
        with api_errors(f"log of job {j.get('id')} ({j.get('name')})"):
            location = r.get_workflow_job(int(j["id"])).logs_url()
            text = _download_log(location, timeout=max(5.0, ctx.settings.tool_timeout))
        step, excerpt = cut_to_failing_step(text, j.get("steps") or [], share)
        out_jobs.append({"job": j.get("name"), "job_id": j.get("id"), "conclusion": j.get("conclusion"),
                         "failed_step": step, "log": excerpt, "url": j.get("html_url")})
    return {**_run_row(d), "failed_jobs": out_jobs}


def rerun_run(*, repo: str, run_id: int, failed_only: bool = True, ctx: ToolContext) -> dict[str, Any]:
    r = repository(ctx, repo)
    what = f"re-run of workflow run {run_id} in {repo}"
    with api_errors(what):
        run = r.get_workflow_run(run_id)
        d = full_json(run)
    if d.get("status") != "completed":
        raise ToolError(f"run {run_id} is {d.get('status')}: only completed runs can be re-run")
    if failed_only and d.get("conclusion") == "success":
        raise ToolError(f"run {run_id} succeeded: nothing failed to re-run (use failed_only=false to re-run all)")
    suffix = "rerun-failed-jobs" if failed_only else "rerun"
    with api_errors(what):
        r.requester.requestJsonAndCheck("POST", f"{repo_url(r)}/actions/runs/{run_id}/{suffix}")
    return {"repo": repo, "run_id": run_id, "rerun": "failed jobs" if failed_only else "all jobs",
            "workflow": d.get("name"), "url": d.get("html_url")}


def dispatch_workflow(*, repo: str, workflow: str, ref: str | None = None, inputs: dict[str, Any] | None = None,
                      ctx: ToolContext) -> dict[str, Any]:
    r = repository(ctx, repo)
    ref = ref or default_branch_of(r, repo)
    what = f"dispatch of workflow {workflow} in {repo}"
    with api_errors(what):
        wf = r.get_workflow(workflow)
        d = full_json(wf)
        if d.get("state") and d.get("state") != "active":
            raise ToolError(f"workflow {workflow} is {d.get('state')}: enable it first")
        r.requester.requestJsonAndCheck("POST", f"{wf.url}/dispatches",
                                        input={"ref": ref, "inputs": {k: str(v) if not isinstance(v, bool)
                                                                      else v for k, v in (inputs or {}).items()}})
    return {"repo": repo, "workflow": d.get("path") or workflow, "ref": ref, "dispatched": True,
            "note": "the run appears in github_list_runs within a few seconds"}
