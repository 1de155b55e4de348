"""Issue tools: list, read, create, comment, label."""

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
from reign.toolcontext import ToolContext


def _issue_row(d: dict[str, Any]) -> dict[str, Any]:
    return {"number": d.get("number"), "title": d.get("title"), "state": d.get("state"),
            "labels": label_names(d), "author": login_of(d.get("user")), "comments": d.get("comments"),
            "updated_at": d.get("updated_at")}


# --------------------------------------------------------------------------------------------- issues


def list_issues(*, repo: str, state: str = "open", labels: list[str] | None = None, assignee: str | None = None,
                limit: int = 30, ctx: ToolContext) -> dict[str, Any]:
    r = repository(ctx, repo)
    kwargs: dict[str, Any] = {"state": state, "sort": "updated", "direction": "desc"}
    if labels:
        kwargs["labels"] = labels
    if assignee:
        kwargs["assignee"] = assignee
    rows: list[dict[str, Any]] = []
    with api_errors(f"issues of {repo}"):
        for item in r.get_issues(**kwargs):  # the issues endpoint lists pull requests too: skip them
            d = listed_json(item)
            if "pull_request" in d:
                continue
            rows.append(_issue_row(d))
            if len(rows) >= limit:
                break
    return {"repo": repo, "state": state, "issues": rows}


def read_issue(*, repo: str, number: int, comments: int = 20, ctx: ToolContext) -> dict[str, Any]:
    r = repository(ctx, repo)
    with api_errors(f"issue {repo}#{number}"):
        issue = r.get_issue(number)
        d = full_json(issue)
        notes = take(issue.get_comments(), comments) if comments and d.get("comments") else []
    out = _issue_row(d)
    out.update({"is_pull_request": "pull_request" in d, "body": trimmed_body(d.get("body")),
                "assignees": [login_of(a) for a in d.get("assignees") or []], "created_at": d.get("created_at"),
                "url": d.get("html_url"),
                "comment_list": [{"author": login_of(c.get("user")), "at": c.get("created_at"),
                                  "body": trimmed_body(c.get("body"), 1500)} for c in notes]})
    return out


def create_issue(*, repo: str, title: str, body: str = "", labels: list[str] | None = None,
                 assignees: list[str] | None = None, ctx: ToolContext) -> dict[str, Any]:
    r = repository(ctx, repo)
    kwargs: dict[str, Any] = {"title": title, "body": body}
    if labels:
        kwargs["labels"] = labels
    if assignees:
        kwargs["assignees"] = assignees
    with api_errors(f"new issue in {repo}"):
        d = listed_json(r.create_issue(**kwargs))
    return {"number": d.get("number"), "url": d.get("html_url"), "labels": label_names(d)}


def comment(*, repo: str, number: int, body: str, ctx: ToolContext) -> dict[str, Any]:
    r = repository(ctx, repo)
    with api_errors(f"comment on {repo}#{number}"):
        d = listed_json(r.get_issue(number).create_comment(body))
    return {"number": number, "comment_id": d.get("id"), "url": d.get("html_url")}


def label_issue(*, repo: str, number: int, add: list[str] | None = None, remove: list[str] | None = None,
                ctx: ToolContext) -> dict[str, Any]:
    if not add and not remove:
        raise ToolError("give labels to add and/or remove")
    r = repository(ctx, repo)
    issue = r.get_issue(number)
    if add:
        with api_errors(f"labels of {repo}#{number}"):
            issue.add_to_labels(*add)
    removed = []
    for name in remove or []:
        with api_errors(f"label {name!r} on {repo}#{number}"):
            issue.remove_from_labels(name)
        removed.append(name)
    return {"number": number, "added": list(add or []), "removed": removed}
