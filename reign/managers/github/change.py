"""Change as a pull request: the tool that edits files on a new branch and opens a PR, and its preview."""

from __future__ import annotations

from typing import Any

from reign.errors import ToolError
from reign.managers.github.client import api_errors, listed_json, repository
from reign.managers.github.clone import commit_and_push, locked_clone, plan_change, pr_body, remote_for
from reign.toolcontext import ToolContext

# --------------------------------------------------------------------------------------------- change as a PR


def propose_change(*, repo: str, title: str, why: str, edits: list[dict[str, Any]], base: str | None = None,
                   branch: str | None = None, draft: bool = False, ctx: ToolContext) -> dict[str, Any]:
    """Edit files on a new branch of a local clone, commit, push, and open a pull request that says why."""
    remote = remote_for(ctx, repo)
    with locked_clone(ctx, repo, remote) as clone:
        plan = plan_change(clone, repo=repo, title=title, why=why, edits=edits, base=base, branch=branch)
        ctx.check_approved(plan.preview(), "the change differs from what was approved (the base branch moved on?): "
                                           "propose it again to get a new approval")
        commit = commit_and_push(clone, plan)
    body = pr_body(plan)
    r = repository(ctx, repo)
    try:
        with api_errors(f"pull request {plan.branch} -> {plan.base} in {repo}"):
            d = listed_json(r.create_pull(base=plan.base, head=plan.branch, title=title, body=body, draft=draft))
    except ToolError as exc:
        raise ToolError(f"pushed branch {plan.branch} (commit {commit[:12]}) but could not open the pull request: "
                        f"{exc}; open it with github_create_pr") from None
    return {"pull_request": d.get("number"), "url": d.get("html_url"), "branch": plan.branch, "base": plan.base,
            "commit": commit[:12], "files": [c.summary() for c in plan.changes]}


def preview_propose_change(*, repo: str, title: str, why: str, edits: list[dict[str, Any]], base: str | None = None,
                           branch: str | None = None, draft: bool = False, ctx: ToolContext) -> str:
    """The exact diff a person approves (against the current base branch), computed in the local clone."""
    remote = remote_for(ctx, repo)
    with locked_clone(ctx, repo, remote) as clone:
        plan = plan_change(clone, repo=repo, title=title, why=why, edits=edits, base=base, branch=branch)
    return plan.preview()
