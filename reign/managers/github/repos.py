"""Repository tools: info, files, code search, branches and branch protection."""

from __future__ import annotations

import urllib.parse
from itertools import islice
from typing import Any

from reign.errors import ToolError
from reign.managers.github.client import (
    SHA,
    api_errors,
    client,
    describe_error,
    full_json,
    listed_json,
    repository,
    take,
)
from reign.toolcontext import ToolContext
from reign.truncate import cut

# --------------------------------------------------------------------------------------------- repository


def repo_info(*, repo: str, ctx: ToolContext) -> dict[str, Any]:
    with api_errors(f"repository {repo}"):
        d = full_json(repository(ctx, repo))
    perms = d.get("permissions") or {}
    return {"full_name": d.get("full_name"), "description": d.get("description"),
            "default_branch": d.get("default_branch"), "visibility": d.get("visibility"),
            "private": d.get("private"), "archived": d.get("archived"), "fork": d.get("fork"),
            "language": d.get("language"), "topics": d.get("topics") or [],
            "stars": d.get("stargazers_count"), "open_issues": d.get("open_issues_count"),
            "pushed_at": d.get("pushed_at"), "url": d.get("html_url"),
            "your_permissions": sorted(k for k, v in perms.items() if v)}


def default_branch_of(repo_obj: Any, repo: str) -> str:
    with api_errors(f"repository {repo}"):
        return str(full_json(repo_obj).get("default_branch") or "main")


def list_files(*, repo: str, path: str = "", ref: str | None = None, recursive: bool = False,
               limit: int = 300, ctx: ToolContext) -> dict[str, Any]:
    r = repository(ctx, repo)
    path = path.strip("/")
    if recursive:
        tree_ref = ref or default_branch_of(r, repo)
        with api_errors(f"tree of {repo}@{tree_ref}"):
            tree = r.get_git_tree(tree_ref, recursive=True)
            data = listed_json(tree)
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
    rows = [{"path": listed_json(c).get("path"), "type": listed_json(c).get("type"), "size": listed_json(c).get("size")}
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

    r = repository(ctx, repo)
    where = f"file {path} in {repo}" + (f"@{ref}" if ref else "")
    with api_errors(where):
        got = r.get_contents(path, ref=ref) if ref else r.get_contents(path)
        if isinstance(got, list):
            raise ToolError(f"{path} is a directory in {repo}: use github_list_files")
        d = listed_json(got)
        if d.get("type") != "file":
            raise ToolError(f"{path} in {repo} is a {d.get('type')}, not a file")
        if d.get("encoding") == "base64" and d.get("content") is not None:
            raw = base64.b64decode(d["content"])
        else:  # files over 1 MB come without content: fetch the blob
            blob = listed_json(r.get_git_blob(d["sha"]))
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
        items = take(results, limit)
        total = results.totalCount
    rows = []
    for it in items:
        fragments = [cut(str(m.get("fragment", "")), 300) for m in (it.get("text_matches") or [])[:2]]
        rows.append({"repo": (it.get("repository") or {}).get("full_name"), "path": it.get("path"),
                     "sha": str(it.get("sha") or "")[:12], **({"matches": fragments} if fragments else {})})
    return {"query": q, "total": total, "items": rows}


# --------------------------------------------------------------------------------------------- branches


def list_branches(*, repo: str, protected: bool | None = None, limit: int = 100,
                  ctx: ToolContext) -> dict[str, Any]:
    r = repository(ctx, repo)
    with api_errors(f"branches of {repo}"):
        rows = []
        for b in islice(iter(r.get_branches()), 1000):
            d = listed_json(b)
            if protected is not None and bool(d.get("protected")) != protected:
                continue
            rows.append({"name": d.get("name"), "protected": d.get("protected"),
                         "sha": str((d.get("commit") or {}).get("sha") or "")[:12]})
            if len(rows) >= limit:
                break
    return {"repo": repo, "branches": rows}


def create_branch(*, repo: str, branch: str, from_ref: str | None = None, ctx: ToolContext) -> dict[str, Any]:
    r = repository(ctx, repo)
    source = from_ref or default_branch_of(r, repo)
    if SHA.match(source):
        sha = source
    else:
        with api_errors(f"branch {source} of {repo}"):
            sha = str((listed_json(r.get_branch(source)).get("commit") or {}).get("sha"))
    with api_errors(f"new branch {branch} in {repo}"):
        try:
            d = listed_json(r.create_git_ref(f"refs/heads/{branch}", sha))
        except Exception as exc:
            if getattr(exc, "status", None) == 422 and "already exists" in str(getattr(exc, "data", "")):
                raise ToolError(f"branch {branch} already exists in {repo}; pick another name "
                                "(existing branches are never overwritten)") from None
            raise
    return {"repo": repo, "branch": branch, "from": source, "sha": (d.get("object") or {}).get("sha", sha)}


def branch_protection(*, repo: str, branch: str, ctx: ToolContext) -> dict[str, Any]:
    r = repository(ctx, repo)
    with api_errors(f"branch {branch} of {repo}"):
        d = listed_json(r.get_branch(branch))
    out: dict[str, Any] = {"repo": repo, "branch": branch, "protected": bool(d.get("protected"))}
    if not d.get("protected"):
        return out
    summary = d.get("protection") or {}
    checks = summary.get("required_status_checks") or {}
    out["required_checks"] = checks.get("contexts") or []
    from github import GithubException

    url = f"{repo_url(r)}/branches/{urllib.parse.quote(branch, safe='')}/protection"
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


def repo_url(r: Any) -> str:
    return str(r.url)


def delete_branch(*, repo: str, branch: str, ctx: ToolContext) -> dict[str, Any]:
    """Deletes a branch, never the default one or a protected one (checked against the API here too)."""
    r = repository(ctx, repo)
    if branch == default_branch_of(r, repo):
        raise ToolError(f"refusing to delete {branch}: it is the default branch of {repo}")
    with api_errors(f"branch {branch} of {repo}"):
        d = listed_json(r.get_branch(branch))
    if d.get("protected"):
        raise ToolError(f"refusing to delete {branch}: it is a protected branch of {repo}")
    with api_errors(f"deletion of branch {branch} in {repo}"):
        r.requester.requestJsonAndCheck(
            "DELETE", f"{repo_url(r)}/git/refs/heads/{urllib.parse.quote(branch, safe='/')}")
    return {"repo": repo, "deleted": branch, "sha": str((d.get("commit") or {}).get("sha") or "")[:12]}
