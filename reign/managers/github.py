"""GitHub manager: plain keyword-only functions over PyGithub (imported lazily, inside functions).

The token comes from `ctx.settings.github_token` (GITHUB_TOKEN) and is only ever handed to PyGithub's
auth object and, for `propose_change`, to git through the environment of one child process: it is never
returned, logged, recorded or put on a command line. `ctx.settings.github_base_url` selects GitHub
Enterprise (`https://HOST/api/v3`).

Every API failure becomes a one-line `ToolError` that says what to do (404, 422 validation, 401, 403 with the
permission GitHub wanted, primary and secondary rate limits with the time they lift). PyGithub never sleeps
on a rate limit here (an agent step has a time limit); only idempotent reads are retried on 5xx.

Outputs are compact dicts built from the documented REST fields (`_rawData`, so listing N items never costs
N extra requests). Change-as-a-pull-request (`propose_change`) is built on reign.managers.gitops.
"""

from __future__ import annotations

import importlib.util
import re
import urllib.parse
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from itertools import islice
from typing import Any

from reign.context import ToolContext
from reign.errors import ToolError
from reign.truncate import cut


@dataclass(frozen=True)
class ClientOptions:
    """How the PyGithub client is built. Tests use ClientOptions(0, 0.0, 0.0) (no retry, no spacing)."""

    retry_5xx: int = 2  # retries of idempotent requests on 500/502/503/504; 0 = retry=None
    seconds_between_requests: float = 0.25
    seconds_between_writes: float = 1.0


OPTIONS = ClientOptions()
MAX_BODY = 4000
_SHA = re.compile(r"^[0-9a-f]{40}$")


def available() -> str | None:
    """None when the GitHub tools can run, else why not (no PyGithub, no token)."""
    if importlib.util.find_spec("github") is None:
        return "PyGithub is not installed (pip install 'reign[github]')"
    from reign.config import Settings

    if Settings().github_token is None:
        return "GITHUB_TOKEN not set"
    return None


# --------------------------------------------------------------------------------------------- client


def base_url(ctx: ToolContext) -> str:
    return (ctx.settings.github_base_url or "https://api.github.com").rstrip("/")


def client(ctx: ToolContext) -> Any:
    """A PyGithub client for this run's settings. Lazy: objects fetch only when their data is needed."""
    secret = ctx.settings.github_token
    if secret is None or not secret.get_secret_value():
        raise ToolError("GITHUB_TOKEN not set: export a token with access to the repository")
    from github import Auth, Github

    retry: Any = None
    if OPTIONS.retry_5xx > 0:
        from urllib3.util.retry import Retry

        retry = Retry(total=OPTIONS.retry_5xx, backoff_factor=1.0, status_forcelist=(500, 502, 503, 504),
                      allowed_methods=frozenset({"GET", "HEAD"}), raise_on_status=False,
                      respect_retry_after_header=False)
    return Github(auth=Auth.Token(secret.get_secret_value()), base_url=base_url(ctx),
                  timeout=max(5, int(ctx.settings.tool_timeout)), retry=retry, per_page=100,
                  user_agent="reign-agent", lazy=True,
                  seconds_between_requests=OPTIONS.seconds_between_requests,
                  seconds_between_writes=OPTIONS.seconds_between_writes)


def _repo(ctx: ToolContext, repo: str) -> Any:
    return client(ctx).get_repo(repo)


def _full(obj: Any) -> dict[str, Any]:
    """The object's JSON, fetching it once if it is still lazy."""
    data: dict[str, Any] = obj.raw_data
    return data


def _listed(obj: Any) -> dict[str, Any]:
    """The JSON a list endpoint returned for this item, without completing it (no extra request)."""
    data: dict[str, Any] = getattr(obj, "_rawData", None) or {}
    return data


def _take(paginated: Any, limit: int) -> list[dict[str, Any]]:
    """Up to `limit` items, following Link rel=next pages only as far as needed."""
    return [_listed(item) for item in islice(iter(paginated), limit)]


# --------------------------------------------------------------------------------------------- errors


def _when(epoch: float, now: float) -> str:
    moment = datetime.fromtimestamp(epoch, UTC)
    same_day = moment.date() == datetime.fromtimestamp(now, UTC).date()
    return moment.strftime("%H:%M UTC") if same_day else moment.strftime("%Y-%m-%d %H:%M UTC")


def _header(headers: dict[str, Any] | None, name: str) -> str | None:
    for key, value in (headers or {}).items():
        if str(key).lower() == name:
            return str(value)
    return None


def _api_message(data: Any) -> str:
    if isinstance(data, dict):
        return str(data.get("message") or "").strip()
    return str(data or "").strip()


def _validation_details(data: Any) -> str:
    if not isinstance(data, dict):
        return ""
    parts = []
    for err in data.get("errors") or []:
        if isinstance(err, str):
            parts.append(err)
        elif isinstance(err, dict):
            if err.get("message"):
                parts.append(str(err["message"]))
            else:
                where = ".".join(str(err[k]) for k in ("resource", "field") if err.get(k))
                parts.append(f"{where} {err.get('code', 'invalid')}".strip())
    return "; ".join(parts)


def describe_error(status: int, data: Any, headers: dict[str, Any] | None, what: str,
                   now: float | None = None) -> str:
    """One line for a failed API call, saying what to do next."""
    message = _api_message(data)
    lower = message.lower()
    remaining = _header(headers, "x-ratelimit-remaining")
    reset = _header(headers, "x-ratelimit-reset")
    retry_after = _header(headers, "retry-after")
    now = datetime.now(UTC).timestamp() if now is None else now
    if status in (403, 429) and ("secondary rate limit" in lower or retry_after is not None
                                 or "retry your request again later" in lower):
        wait = int(retry_after) if retry_after and retry_after.isdigit() else 60
        return (f"GitHub secondary rate limit on {what}: retry after {wait} s (at {_when(now + wait, now)}); "
                "make fewer requests at once and space out writes")
    if status in (403, 429) and (remaining == "0" or lower.startswith("api rate limit exceeded")):
        limit = _header(headers, "x-ratelimit-limit") or "?"
        resource = _header(headers, "x-ratelimit-resource") or "core"
        until = f"rate limited until {_when(float(reset), now)}" if reset and reset.isdigit() else "rate limited"
        return (f"GitHub API rate limit exhausted ({limit}/hour, {resource}) on {what}: {until}; "
                "wait until then or use a token with a higher limit")
    if status == 429:
        return f"GitHub answered 429 Too Many Requests on {what}: wait a minute and try again"
    if status == 401:
        return "GitHub rejected the token (401 Bad credentials): set a valid GITHUB_TOKEN"
    if status == 403:
        needs = _header(headers, "x-accepted-github-permissions")
        hint = f"the token needs the permission {needs}" if needs else \
            "the token lacks the permission, or the repository restricts this action"
        return f"forbidden (403) on {what}: {message or 'Forbidden'}; {hint}"
    if status == 404:
        return (f"{what} not found (404): check the name, or the token cannot see it "
                "(private repositories need a token with access)")
    if status == 422:
        details = _validation_details(data)
        text = f"{message}: {details}" if details and details not in message else (message or details)
        return f"GitHub rejected {what} (422 validation failed): {text or 'invalid request'}"
    if status in (405, 409):
        return f"GitHub refused {what} ({status}): {message or 'conflict'}"
    if status >= 500:
        return f"GitHub server error {status} on {what}: try again later"
    return f"GitHub error {status} on {what}: {message or 'request failed'}"


@contextmanager
def api_errors(what: str) -> Iterator[None]:
    """Turn PyGithub and connection failures inside the block into one-line ToolErrors."""
    from github import GithubException

    try:
        yield
    except GithubException as exc:
        raise ToolError(describe_error(exc.status, exc.data, exc.headers, what)) from None
    except ToolError:
        raise
    except Exception as exc:
        import requests

        if isinstance(exc, requests.exceptions.RequestException):
            reason = type(exc).__name__
            if isinstance(exc, requests.exceptions.Timeout):
                reason = "timed out"
            elif isinstance(exc, requests.exceptions.ConnectionError):
                reason = "connection failed"
            raise ToolError(f"GitHub API unreachable for {what} ({reason}): check the network or "
                            "github_base_url") from None
        raise


# --------------------------------------------------------------------------------------------- shaping


def _login(user: Any) -> str | None:
    return user.get("login") if isinstance(user, dict) else None


def _labels(item: dict[str, Any]) -> list[str]:
    return [lb["name"] if isinstance(lb, dict) else str(lb) for lb in item.get("labels") or []]


def _body(text: Any, limit: int = MAX_BODY) -> str:
    return cut(str(text or ""), limit)


def _issue_row(d: dict[str, Any]) -> dict[str, Any]:
    return {"number": d.get("number"), "title": d.get("title"), "state": d.get("state"),
            "labels": _labels(d), "author": _login(d.get("user")), "comments": d.get("comments"),
            "updated_at": d.get("updated_at")}


def _pr_row(d: dict[str, Any]) -> dict[str, Any]:
    return {"number": d.get("number"), "title": d.get("title"), "state": d.get("state"),
            "draft": d.get("draft"), "author": _login(d.get("user")),
            "head": (d.get("head") or {}).get("ref"), "base": (d.get("base") or {}).get("ref"),
            "updated_at": d.get("updated_at")}


def _run_row(d: dict[str, Any]) -> dict[str, Any]:
    return {"id": d.get("id"), "workflow": d.get("name"), "title": d.get("display_title"),
            "branch": d.get("head_branch"), "event": d.get("event"), "status": d.get("status"),
            "conclusion": d.get("conclusion"), "sha": str(d.get("head_sha") or "")[:12],
            "attempt": d.get("run_attempt"), "created_at": d.get("created_at"), "url": d.get("html_url")}


# --------------------------------------------------------------------------------------------- repository


def repo_info(*, repo: str, ctx: ToolContext) -> dict[str, Any]:
    with api_errors(f"repository {repo}"):
        d = _full(_repo(ctx, repo))
    perms = d.get("permissions") or {}
    return {"full_name": d.get("full_name"), "description": d.get("description"),
            "default_branch": d.get("default_branch"), "visibility": d.get("visibility"),
            "private": d.get("private"), "archived": d.get("archived"), "fork": d.get("fork"),
            "language": d.get("language"), "topics": d.get("topics") or [],
            "stars": d.get("stargazers_count"), "open_issues": d.get("open_issues_count"),
            "pushed_at": d.get("pushed_at"), "url": d.get("html_url"),
            "your_permissions": sorted(k for k, v in perms.items() if v)}


def _default_branch(repo_obj: Any, repo: str) -> str:
    with api_errors(f"repository {repo}"):
        return str(_full(repo_obj).get("default_branch") or "main")


def list_files(*, repo: str, path: str = "", ref: str | None = None, recursive: bool = False,
               limit: int = 300, ctx: ToolContext) -> dict[str, Any]:
    r = _repo(ctx, repo)
    path = path.strip("/")
    if recursive:
        tree_ref = ref or _default_branch(r, repo)
        with api_errors(f"tree of {repo}@{tree_ref}"):
            tree = r.get_git_tree(tree_ref, recursive=True)
            data = _listed(tree)
        entries = [e for e in data.get("tree") or []
                   if not path or e.get("path") == path or str(e.get("path", "")).startswith(path + "/")]
        rows = [{"path": e.get("path"), "type": "dir" if e.get("type") == "tree" else "file",
                 **({"size": e["size"]} if "size" in e else {})} for e in entries[:limit]]
        out: dict[str, Any] = {"repo": repo, "ref": tree_ref, "path": path, "entries": rows}
        if len(entries) > limit or data.get("truncated"):
            out["truncated"] = f"showing {len(rows)} of {len(entries)}{'+' if data.get('truncated') else ''}"
        return out
    with api_errors(f"path {path or '/'} in {repo}" + (f"@{ref}" if ref else "")):
        got = r.get_contents(path, ref=ref) if ref else r.get_contents(path)
    items = got if isinstance(got, list) else [got]
    rows = [{"path": _listed(c).get("path"), "type": _listed(c).get("type"), "size": _listed(c).get("size")}
            for c in items[:limit]]
    out = {"repo": repo, "ref": ref, "path": path, "entries": rows}
    if len(items) > limit:
        out["truncated"] = f"showing {limit} of {len(items)}"
    return out


def _decode(raw: bytes) -> str | None:
    if b"\x00" in raw[:8192]:
        return None
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError:
        return None


def read_file(*, repo: str, path: str, ref: str | None = None, start_line: int = 1, max_lines: int = 400,
              ctx: ToolContext) -> dict[str, Any]:
    import base64

    r = _repo(ctx, repo)
    where = f"file {path} in {repo}" + (f"@{ref}" if ref else "")
    with api_errors(where):
        got = r.get_contents(path, ref=ref) if ref else r.get_contents(path)
        if isinstance(got, list):
            raise ToolError(f"{path} is a directory in {repo}: use github_list_files")
        d = _listed(got)
        if d.get("type") != "file":
            raise ToolError(f"{path} in {repo} is a {d.get('type')}, not a file")
        if d.get("encoding") == "base64" and d.get("content") is not None:
            raw = base64.b64decode(d["content"])
        else:  # files over 1 MB come without content: fetch the blob
            blob = _listed(r.get_git_blob(d["sha"]))
            raw = base64.b64decode(blob.get("content") or "")
    text = _decode(raw)
    out: dict[str, Any] = {"repo": repo, "path": d.get("path"), "ref": ref, "sha": d.get("sha"), "size": len(raw)}
    if text is None:
        out["binary"] = True
        return out
    lines = text.splitlines()
    first = max(1, start_line)
    chosen = lines[first - 1:first - 1 + max_lines]
    out["lines"] = f"{first}-{first + len(chosen) - 1} of {len(lines)}"
    out["content"] = "\n".join(chosen)
    return out


def search_code(*, query: str, repo: str | None = None, limit: int = 20, ctx: ToolContext) -> dict[str, Any]:
    q = f"{query} repo:{repo}" if repo and "repo:" not in query else query
    g = client(ctx)
    with api_errors(f"code search {q!r}"):
        results = g.search_code(q, highlight=True)
        items = _take(results, limit)
        total = results.totalCount
    rows = []
    for it in items:
        fragments = [cut(str(m.get("fragment", "")), 300) for m in (it.get("text_matches") or [])[:2]]
        rows.append({"repo": (it.get("repository") or {}).get("full_name"), "path": it.get("path"),
                     "sha": str(it.get("sha") or "")[:12], **({"matches": fragments} if fragments else {})})
    return {"query": q, "total": total, "items": rows}


# --------------------------------------------------------------------------------------------- issues


def list_issues(*, repo: str, state: str = "open", labels: list[str] | None = None, assignee: str | None = None,
                limit: int = 30, ctx: ToolContext) -> dict[str, Any]:
    r = _repo(ctx, repo)
    kwargs: dict[str, Any] = {"state": state, "sort": "updated", "direction": "desc"}
    if labels:
        kwargs["labels"] = labels
    if assignee:
        kwargs["assignee"] = assignee
    rows: list[dict[str, Any]] = []
    with api_errors(f"issues of {repo}"):
        for item in r.get_issues(**kwargs):  # the issues endpoint lists pull requests too: skip them
            d = _listed(item)
            if "pull_request" in d:
                continue
            rows.append(_issue_row(d))
            if len(rows) >= limit:
                break
    return {"repo": repo, "state": state, "issues": rows}


def read_issue(*, repo: str, number: int, comments: int = 20, ctx: ToolContext) -> dict[str, Any]:
    r = _repo(ctx, repo)
    with api_errors(f"issue {repo}#{number}"):
        issue = r.get_issue(number)
        d = _full(issue)
        notes = _take(issue.get_comments(), comments) if comments and d.get("comments") else []
    out = _issue_row(d)
    out.update({"is_pull_request": "pull_request" in d, "body": _body(d.get("body")),
                "assignees": [_login(a) for a in d.get("assignees") or []], "created_at": d.get("created_at"),
                "url": d.get("html_url"),
                "comment_list": [{"author": _login(c.get("user")), "at": c.get("created_at"),
                                  "body": _body(c.get("body"), 1500)} for c in notes]})
    return out


def create_issue(*, repo: str, title: str, body: str = "", labels: list[str] | None = None,
                 assignees: list[str] | None = None, ctx: ToolContext) -> dict[str, Any]:
    r = _repo(ctx, repo)
    kwargs: dict[str, Any] = {"title": title, "body": body}
    if labels:
        kwargs["labels"] = labels
    if assignees:
        kwargs["assignees"] = assignees
    with api_errors(f"new issue in {repo}"):
        d = _listed(r.create_issue(**kwargs))
    return {"number": d.get("number"), "url": d.get("html_url"), "labels": _labels(d)}


def comment(*, repo: str, number: int, body: str, ctx: ToolContext) -> dict[str, Any]:
    r = _repo(ctx, repo)
    with api_errors(f"comment on {repo}#{number}"):
        d = _listed(r.get_issue(number).create_comment(body))
    return {"number": number, "comment_id": d.get("id"), "url": d.get("html_url")}


def label_issue(*, repo: str, number: int, add: list[str] | None = None, remove: list[str] | None = None,
                ctx: ToolContext) -> dict[str, Any]:
    if not add and not remove:
        raise ToolError("give labels to add and/or remove")
    r = _repo(ctx, repo)
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


# --------------------------------------------------------------------------------------------- pull requests


def list_prs(*, repo: str, state: str = "open", base: str | None = None, head: str | None = None,
             limit: int = 30, ctx: ToolContext) -> dict[str, Any]:
    r = _repo(ctx, repo)
    kwargs: dict[str, Any] = {"state": state, "sort": "updated", "direction": "desc"}
    if base:
        kwargs["base"] = base
    if head:
        kwargs["head"] = head if ":" in head else f"{repo.split('/')[0]}:{head}"
    with api_errors(f"pull requests of {repo}"):
        rows = [_pr_row(d) for d in _take(r.get_pulls(**kwargs), limit)]
    return {"repo": repo, "state": state, "pull_requests": rows}


def _checks(r: Any, sha: str, limit: int = 30) -> dict[str, Any]:
    commit = r.get_commit(sha)
    runs = _take(commit.get_check_runs(), limit)
    status = _full(commit.get_combined_status())
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
    r = _repo(ctx, repo)
    what = f"pull request {repo}#{number}"
    with api_errors(what):
        pr = r.get_pull(number)
        d = _full(pr)
        files = _take(pr.get_files(), 100) if diff else []
    head = d.get("head") or {}
    out: dict[str, Any] = {
        **_pr_row(d), "merged": d.get("merged"), "mergeable": d.get("mergeable"),
        "mergeable_state": d.get("mergeable_state"), "head_sha": head.get("sha"), "labels": _labels(d),
        "requested_reviewers": [_login(u) for u in d.get("requested_reviewers") or []],
        "additions": d.get("additions"), "deletions": d.get("deletions"), "changed_files": d.get("changed_files"),
        "body": _body(d.get("body")), "url": d.get("html_url"),
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
    r = _repo(ctx, repo)
    base = base or _default_branch(r, repo)
    with api_errors(f"new pull request {head} -> {base} in {repo}"):
        d = _listed(r.create_pull(base=base, head=head, title=title, body=body, draft=draft))
    return {"number": d.get("number"), "url": d.get("html_url"), "head": head, "base": base, "draft": d.get("draft")}


def request_review(*, repo: str, number: int, reviewers: list[str] | None = None,
                   team_reviewers: list[str] | None = None, ctx: ToolContext) -> dict[str, Any]:
    if not reviewers and not team_reviewers:
        raise ToolError("name at least one reviewer or team")
    r = _repo(ctx, repo)
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
    r = _repo(ctx, repo)
    with api_errors(f"pull request {repo}#{number}"):
        d = _full(r.get_pull(number))
    return _merge_view(d, repo, method)


def merge_pr(*, repo: str, number: int, method: str = "merge", commit_title: str | None = None,
             ctx: ToolContext) -> dict[str, Any]:
    r = _repo(ctx, repo)
    what = f"merge of {repo}#{number}"
    with api_errors(what):
        pr = r.get_pull(number)
        d = _full(pr)
    if d.get("merged"):
        raise ToolError(f"{repo}#{number} is already merged")
    if d.get("state") != "open":
        raise ToolError(f"{repo}#{number} is {d.get('state')}: only open pull requests merge")
    if ctx.approved_preview is not None and _merge_view(d, repo, method) != ctx.approved_preview:
        raise ToolError(f"{repo}#{number} changed since it was approved (new commits or a new base): "
                        "read it again and ask for a new approval")
    head_sha = str((d.get("head") or {}).get("sha") or "")
    kwargs: dict[str, Any] = {"merge_method": method, "sha": head_sha}
    if commit_title:
        kwargs["commit_title"] = commit_title
    with api_errors(what):
        status = pr.merge(**kwargs)
        res = _listed(status)
    return {"number": number, "merged": bool(res.get("merged")), "sha": res.get("sha"),
            "message": res.get("message"), "method": method}


# --------------------------------------------------------------------------------------------- branches


def list_branches(*, repo: str, protected: bool | None = None, limit: int = 100,
                  ctx: ToolContext) -> dict[str, Any]:
    r = _repo(ctx, repo)
    with api_errors(f"branches of {repo}"):
        rows = []
        for b in islice(iter(r.get_branches()), 1000):
            d = _listed(b)
            if protected is not None and bool(d.get("protected")) != protected:
                continue
            rows.append({"name": d.get("name"), "protected": d.get("protected"),
                         "sha": str((d.get("commit") or {}).get("sha") or "")[:12]})
            if len(rows) >= limit:
                break
    return {"repo": repo, "branches": rows}


def create_branch(*, repo: str, branch: str, from_ref: str | None = None, ctx: ToolContext) -> dict[str, Any]:
    r = _repo(ctx, repo)
    source = from_ref or _default_branch(r, repo)
    if _SHA.match(source):
        sha = source
    else:
        with api_errors(f"branch {source} of {repo}"):
            sha = str((_listed(r.get_branch(source)).get("commit") or {}).get("sha"))
    with api_errors(f"new branch {branch} in {repo}"):
        try:
            d = _listed(r.create_git_ref(f"refs/heads/{branch}", sha))
        except Exception as exc:
            if getattr(exc, "status", None) == 422 and "already exists" in str(getattr(exc, "data", "")):
                raise ToolError(f"branch {branch} already exists in {repo}; pick another name "
                                "(existing branches are never overwritten)") from None
            raise
    return {"repo": repo, "branch": branch, "from": source, "sha": (d.get("object") or {}).get("sha", sha)}


def branch_protection(*, repo: str, branch: str, ctx: ToolContext) -> dict[str, Any]:
    r = _repo(ctx, repo)
    with api_errors(f"branch {branch} of {repo}"):
        d = _listed(r.get_branch(branch))
    out: dict[str, Any] = {"repo": repo, "branch": branch, "protected": bool(d.get("protected"))}
    if not d.get("protected"):
        return out
    summary = d.get("protection") or {}
    checks = summary.get("required_status_checks") or {}
    out["required_checks"] = checks.get("contexts") or []
    from github import GithubException

    url = f"{_repo_url(r)}/branches/{urllib.parse.quote(branch, safe='')}/protection"
    try:
        _, p = r.requester.requestJsonAndCheck("GET", url)
    except GithubException as exc:
        if exc.status in (403, 404):
            out["details"] = "protection details need admin access to the repository"
            return out
        raise ToolError(describe_error(exc.status, exc.data, exc.headers, f"protection of {branch}")) from None
    reviews = p.get("required_pull_request_reviews") or {}
    out.update({
        "required_checks": ((p.get("required_status_checks") or {}).get("contexts")) or out["required_checks"],
        "strict_checks": (p.get("required_status_checks") or {}).get("strict"),
        "required_approvals": reviews.get("required_approving_review_count"),
        "code_owner_reviews": reviews.get("require_code_owner_reviews"),
        "enforce_admins": (p.get("enforce_admins") or {}).get("enabled"),
        "linear_history": (p.get("required_linear_history") or {}).get("enabled"),
        "force_pushes": (p.get("allow_force_pushes") or {}).get("enabled"),
        "deletions": (p.get("allow_deletions") or {}).get("enabled"),
        "signed_commits": (p.get("required_signatures") or {}).get("enabled"),
    })
    return out


def _repo_url(r: Any) -> str:
    return str(r.url)


def delete_branch(*, repo: str, branch: str, ctx: ToolContext) -> dict[str, Any]:
    """Deletes a branch, never the default one or a protected one (checked against the API here too)."""
    r = _repo(ctx, repo)
    if branch == _default_branch(r, repo):
        raise ToolError(f"refusing to delete {branch}: it is the default branch of {repo}")
    with api_errors(f"branch {branch} of {repo}"):
        d = _listed(r.get_branch(branch))
    if d.get("protected"):
        raise ToolError(f"refusing to delete {branch}: it is a protected branch of {repo}")
    with api_errors(f"deletion of branch {branch} in {repo}"):
        r.requester.requestJsonAndCheck(
            "DELETE", f"{_repo_url(r)}/git/refs/heads/{urllib.parse.quote(branch, safe='/')}")
    return {"repo": repo, "deleted": branch, "sha": str((d.get("commit") or {}).get("sha") or "")[:12]}


# --------------------------------------------------------------------------------------------- actions


def list_runs(*, repo: str, workflow: str | None = None, branch: str | None = None, status: str | None = None,
              event: str | None = None, limit: int = 20, ctx: ToolContext) -> dict[str, Any]:
    r = _repo(ctx, repo)
    kwargs: dict[str, Any] = {}
    for key, value in (("branch", branch), ("status", status), ("event", event)):
        if value:
            kwargs[key] = value
    with api_errors(f"workflow runs of {repo}" + (f" ({workflow})" if workflow else "")):
        source = r.get_workflow(workflow).get_runs(**kwargs) if workflow else r.get_workflow_runs(**kwargs)
        rows = [_run_row(d) for d in _take(source, limit)]
    return {"repo": repo, "runs": rows}


def _jobs(run: Any, limit: int = 50) -> list[dict[str, Any]]:
    return _take(run.jobs("latest"), limit)


def _job_row(j: dict[str, Any]) -> dict[str, Any]:
    steps = j.get("steps") or []
    failed = [s.get("name") for s in steps if s.get("conclusion") == "failure"]
    row = {"id": j.get("id"), "name": j.get("name"), "status": j.get("status"), "conclusion": j.get("conclusion"),
           "started_at": j.get("started_at"), "completed_at": j.get("completed_at")}
    if failed:
        row["failed_steps"] = failed
    return row


def read_run(*, repo: str, run_id: int, ctx: ToolContext) -> dict[str, Any]:
    r = _repo(ctx, repo)
    with api_errors(f"workflow run {run_id} of {repo}"):
        run = r.get_workflow_run(run_id)
        d = _full(run)
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
    r = _repo(ctx, repo)
    what = f"workflow run {run_id} of {repo}"
    with api_errors(what):
        run = r.get_workflow_run(run_id)
        d = _full(run)
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
    r = _repo(ctx, repo)
    what = f"re-run of workflow run {run_id} in {repo}"
    with api_errors(what):
        run = r.get_workflow_run(run_id)
        d = _full(run)
    if d.get("status") != "completed":
        raise ToolError(f"run {run_id} is {d.get('status')}: only completed runs can be re-run")
    if failed_only and d.get("conclusion") == "success":
        raise ToolError(f"run {run_id} succeeded: nothing failed to re-run (use failed_only=false to re-run all)")
    suffix = "rerun-failed-jobs" if failed_only else "rerun"
    with api_errors(what):
        r.requester.requestJsonAndCheck("POST", f"{_repo_url(r)}/actions/runs/{run_id}/{suffix}")
    return {"repo": repo, "run_id": run_id, "rerun": "failed jobs" if failed_only else "all jobs",
            "workflow": d.get("name"), "url": d.get("html_url")}


def dispatch_workflow(*, repo: str, workflow: str, ref: str | None = None, inputs: dict[str, Any] | None = None,
                      ctx: ToolContext) -> dict[str, Any]:
    r = _repo(ctx, repo)
    ref = ref or _default_branch(r, repo)
    what = f"dispatch of workflow {workflow} in {repo}"
    with api_errors(what):
        wf = r.get_workflow(workflow)
        d = _full(wf)
        if d.get("state") and d.get("state") != "active":
            raise ToolError(f"workflow {workflow} is {d.get('state')}: enable it first")
        r.requester.requestJsonAndCheck("POST", f"{wf.url}/dispatches",
                                        input={"ref": ref, "inputs": {k: str(v) if not isinstance(v, bool)
                                                                      else v for k, v in (inputs or {}).items()}})
    return {"repo": repo, "workflow": d.get("path") or workflow, "ref": ref, "dispatched": True,
            "note": "the run appears in github_list_runs within a few seconds"}


# --------------------------------------------------------------------------------------------- change as a PR


def propose_change(*, repo: str, title: str, why: str, edits: list[dict[str, Any]], base: str | None = None,
                   branch: str | None = None, draft: bool = False, ctx: ToolContext) -> dict[str, Any]:
    """Edit files on a new branch of a local clone, commit, push, and open a pull request that says why."""
    from reign.managers import gitops

    remote = gitops.remote_for(ctx, repo)
    with gitops.locked_clone(ctx, repo, remote) as clone:
        plan = gitops.plan_change(clone, repo=repo, title=title, why=why, edits=edits, base=base, branch=branch)
        if ctx.approved_preview is not None and plan.preview() != ctx.approved_preview:
            raise ToolError("the change differs from what was approved (the base branch moved on?): "
                            "propose it again to get a new approval")
        commit = gitops.commit_and_push(clone, plan)
    body = gitops.pr_body(plan)
    r = _repo(ctx, repo)
    try:
        with api_errors(f"pull request {plan.branch} -> {plan.base} in {repo}"):
            d = _listed(r.create_pull(base=plan.base, head=plan.branch, title=title, body=body, draft=draft))
    except ToolError as exc:
        raise ToolError(f"pushed branch {plan.branch} (commit {commit[:12]}) but could not open the pull request: "
                        f"{exc}; open it with github_create_pr") from None
    return {"pull_request": d.get("number"), "url": d.get("html_url"), "branch": plan.branch, "base": plan.base,
            "commit": commit[:12], "files": [c.summary() for c in plan.changes]}


def preview_propose_change(*, repo: str, title: str, why: str, edits: list[dict[str, Any]], base: str | None = None,
                           branch: str | None = None, draft: bool = False, ctx: ToolContext) -> str:
    """The exact diff a person approves (against the current base branch), computed in the local clone."""
    from reign.managers import gitops

    remote = gitops.remote_for(ctx, repo)
    with gitops.locked_clone(ctx, repo, remote) as clone:
        plan = gitops.plan_change(clone, repo=repo, title=title, why=why, edits=edits, base=base, branch=branch)
    return plan.preview()
