"""Pull request tools: list, read (with checks), create, request review, merge (with a preview)."""

from __future__ import annotations

from typing import Any

from reign.errors import ToolError
from reign.managers.github.client import (
    api_errors,
    full_json,
    label_names,
    listed_json,
    login_of,
    repository,
    take,
    trimmed_body,
)
from reign.managers.github.repos import default_branch_of
from reign.toolcontext import ToolContext
from reign.truncate import cut


def _pr_row(d: dict[str, Any]) -> dict[str, Any]:
    return {"number": d.get("number"), "title": d.get("title"), "state": d.get("state"),
            "draft": d.get("draft"), "author": login_of(d.get("user")),
            "head": (d.get("head") or {}).get("ref"), "base": (d.get("base") or {}).get("ref"),
            "updated_at": d.get("updated_at")}


# --------------------------------------------------------------------------------------------- pull requests


def list_prs(*, repo: str, state: str = "open", base: str | None = None, head: str | None = None,
             limit: int = 30, ctx: ToolContext) -> dict[str, Any]:
    r = repository(ctx, repo)
    kwargs: dict[str, Any] = {"state": state, "sort": "updated", "direction": "desc"}
    if base:
        kwargs["base"] = base
    if head:
        kwargs["head"] = head if ":" in head else f"{repo.split('/')[0]}:{head}"
    with api_errors(f"pull requests of {repo}"):
        rows = [_pr_row(d) for d in take(r.get_pulls(**kwargs), limit)]
    return {"repo": repo, "state": state, "pull_requests": rows}


def _checks(r: Any, sha: str, limit: int = 30) -> dict[str, Any]:
    commit = r.get_commit(sha)
    runs = take(commit.get_check_runs(), limit)
    status = full_json(commit.get_combined_status())
    counts: dict[str, int] = {}
    rows = []
    for run in runs:
        outcome = run.get("conclusion") or run.get("status") or "unknown"
        counts[outcome] = counts.get(outcome, 0) + 1
        rows.append({"name": run.get("name"), "status": run.get("status"), "conclusion": run.get("conclusion"),
                     "url": run.get("html_url")})
    for st in status.get("statuses") or []:
        counts[st.get("state", "unknown")] = counts.get(st.get("state", "unknown"), 0) + 1
        rows.append({"name": st.get("context"), "status": "completed" if st.get("state") != "pending"
                     else "pending", "conclusion": st.get("state"), "description": st.get("description")})
    summary = ", ".join(f"{n} {k}" for k, n in sorted(counts.items())) or "no checks"
    return {"summary": summary, "runs": rows}


def read_pr(*, repo: str, number: int, diff: bool = True, max_diff_chars: int = 12000, checks: bool = True,
            ctx: ToolContext) -> dict[str, Any]:
    r = repository(ctx, repo)
    what = f"pull request {repo}#{number}"
    with api_errors(what):
        pr = r.get_pull(number)
        d = full_json(pr)
        files = take(pr.get_files(), 100) if diff else []
    head = d.get("head") or {}
    out: dict[str, Any] = {
        **_pr_row(d), "merged": d.get("merged"), "mergeable": d.get("mergeable"),
        "mergeable_state": d.get("mergeable_state"), "head_sha": head.get("sha"), "labels": label_names(d),
        "requested_reviewers": [login_of(u) for u in d.get("requested_reviewers") or []],
        "additions": d.get("additions"), "deletions": d.get("deletions"), "changed_files": d.get("changed_files"),
        "body": trimmed_body(d.get("body")), "url": d.get("html_url"),
    }
    if diff:
        budget = max(500, max_diff_chars)
        per_file = max(300, budget // max(1, len(files)))
        rows = []
        for f in files:
            row = {"file": f.get("filename"), "status": f.get("status"),
                   "changes": f"+{f.get('additions', 0)} -{f.get('deletions', 0)}"}
            if f.get("patch") and budget > 0:
                patch = cut(str(f["patch"]), min(per_file, budget))
                budget -= len(patch)
                row["patch"] = patch
            rows.append(row)
        out["files"] = rows
    if checks and head.get("sha"):
        with api_errors(f"checks of {what}"):
            out["checks"] = _checks(r, str(head["sha"]))
    return out


def create_pr(*, repo: str, title: str, head: str, base: str | None = None, body: str = "", draft: bool = False,
              ctx: ToolContext) -> dict[str, Any]:
    r = repository(ctx, repo)
    base = base or default_branch_of(r, repo)
    with api_errors(f"new pull request {head} -> {base} in {repo}"):
        d = listed_json(r.create_pull(base=base, head=head, title=title, body=body, draft=draft))
    return {"number": d.get("number"), "url": d.get("html_url"), "head": head, "base": base, "draft": d.get("draft")}


def request_review(*, repo: str, number: int, reviewers: list[str] | None = None,
                   team_reviewers: list[str] | None = None, ctx: ToolContext) -> dict[str, Any]:
    if not reviewers and not team_reviewers:
        raise ToolError("name at least one reviewer or team")
    r = repository(ctx, repo)
    kwargs: dict[str, Any] = {}
    if reviewers:
        kwargs["reviewers"] = reviewers
    if team_reviewers:
        kwargs["team_reviewers"] = team_reviewers
    with api_errors(f"review request on {repo}#{number}"):
        r.get_pull(number).create_review_request(**kwargs)
    return {"number": number, "requested": list(reviewers or []) + [f"team:{t}" for t in team_reviewers or []]}


def _merge_view(d: dict[str, Any], repo: str, method: str) -> str:
    head, base = d.get("head") or {}, d.get("base") or {}
    return "\n".join([
        f"Merge {repo}#{d.get('number')} by {method}: {d.get('title')}",
        f"  head {head.get('ref')} @ {head.get('sha')}",
        f"  into {base.get('ref')}",
        f"  +{d.get('additions')} -{d.get('deletions')} in {d.get('changed_files')} files, "
        f"{d.get('commits')} commits",
    ])


def preview_merge(*, repo: str, number: int, method: str = "merge", commit_title: str | None = None,
                  ctx: ToolContext) -> str:
    """What a person approves before a merge: the PR, its exact head commit and the method."""
    r = repository(ctx, repo)
    with api_errors(f"pull request {repo}#{number}"):
        d = full_json(r.get_pull(number))
    return _merge_view(d, repo, method)


def merge_pr(*, repo: str, number: int, method: str = "merge", commit_title: str | None = None,
             ctx: ToolContext) -> dict[str, Any]:
    r = repository(ctx, repo)
    what = f"merge of {repo}#{number}"
    with api_errors(what):
        pr = r.get_pull(number)
        d = full_json(pr)
    if d.get("merged"):
        raise ToolError(f"{repo}#{number} is already merged")
    if d.get("state") != "open":
        raise ToolError(f"{repo}#{number} is {d.get('state')}: only open pull requests merge")
    ctx.check_approved(_merge_view(d, repo, method), f"{repo}#{number} changed since it was approved (new commits "
                       "or a new base): read it again and ask for a new approval")
    head_sha = str((d.get("head") or {}).get("sha") or "")
    kwargs: dict[str, Any] = {"merge_method": method, "sha": head_sha}
    if commit_title:
        kwargs["commit_title"] = commit_title
    with api_errors(what):
        status = pr.merge(**kwargs)
        res = listed_json(status)
    return {"number": number, "merged": bool(res.get("merged")), "sha": res.get("sha"),
            "message": res.get("message"), "method": method}
