"""Write the synthesized GitHub REST API cassettes that tests/test_github_manager.py and the examples replay.

github.com is not reachable from the machines these were made on, so each cassette is written here in the
REST API's documented wire format (https://docs.github.com/rest, API version 2022-11-28): JSON bodies with
the documented fields, `Link` pagination headers, the rate-limit headers, 302 log redirects. Every file says
`synthesized` on its first line. Requests that carry a body record it; the tests check the body PyGithub
sends against it. Run `python scripts/synth_github_cassettes.py` after changing a scenario.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import yaml

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "cassettes" / "github"
API = "https://api.github.com"
GHE = "https://ghe.example.test/api/v3"
REPO = "octo/app"
REPO_ID = 1296269
RESET = int(datetime(2026, 11, 26, 14, 5, tzinfo=UTC).timestamp())  # "rate limited until 14:05 UTC"
REASONS = {200: "OK", 201: "Created", 204: "No Content", 302: "Found", 401: "Unauthorized", 403: "Forbidden",
           404: "Not Found", 405: "Method Not Allowed", 409: "Conflict", 422: "Unprocessable Entity",
           429: "Too Many Requests"}
T0 = "2026-11-20T09:00:00Z"
T1 = "2026-11-20T09:05:00Z"
HEAD_SHA = "6dcb09b5b57875f334f61aebed695e2e4193db5e"
BASE_SHA = "3a0f86fb8db8eea7ccbb9a95f325ddbedfb25e15"
DOCS = "https://docs.github.com/rest"


# --------------------------------------------------------------------------------------------- documents


def web(host: str) -> str:
    return "https://github.com" if host == API else host.removesuffix("/api/v3")


def user(login: str, host: str = API, kind: str = "User") -> dict[str, Any]:
    uid = sum(ord(c) for c in login) * 97
    return {"login": login, "id": uid, "node_id": f"MDQ6VXNlcj{uid}", "avatar_url": f"https://avatars.githubusercontent.com/u/{uid}?v=4",
            "url": f"{host}/users/{login}", "html_url": f"{web(host)}/{login}", "type": kind, "site_admin": False}


def repo(host: str = API, full: str = REPO, default: str = "main") -> dict[str, Any]:
    owner, name = full.split("/")
    return {
        "id": REPO_ID, "node_id": "MDEwOlJlcG9zaXRvcnkxMjk2MjY5", "name": name, "full_name": full, "private": True,
        "owner": user(owner, host, "Organization"), "html_url": f"{web(host)}/{full}",
        "description": "Web frontend and its Helm chart", "fork": False, "url": f"{host}/repos/{full}",
        "clone_url": f"{web(host)}/{full}.git", "ssh_url": f"git@{web(host).split('//')[1]}:{full}.git",
        "homepage": None, "language": "Python", "forks_count": 3, "stargazers_count": 42, "watchers_count": 42,
        "size": 2048, "default_branch": default, "open_issues_count": 5, "is_template": False,
        "topics": ["helm", "platform"], "has_issues": True, "has_projects": False, "has_wiki": False,
        "archived": False, "disabled": False, "visibility": "private", "pushed_at": T1,
        "created_at": "2024-01-26T19:01:12Z", "updated_at": T1,
        "permissions": {"admin": False, "maintain": False, "push": True, "triage": True, "pull": True},
        "allow_squash_merge": True, "allow_merge_commit": True, "allow_rebase_merge": True,
        "delete_branch_on_merge": True,
    }


def label(name: str, color: str = "d73a4a") -> dict[str, Any]:
    return {"id": 208045946 + len(name), "node_id": "MDU6TGFiZWwyMDgwNDU5NDY=",
            "url": f"{API}/repos/{REPO}/labels/{name}", "name": name, "description": "", "color": color,
            "default": name in ("bug", "enhancement")}


def issue(n: int, title: str, labels: tuple[str, ...] = (), *, pr: bool = False, comments: int = 0,
          body: str = "", author: str = "ana") -> dict[str, Any]:
    base = f"{API}/repos/{REPO}"
    out: dict[str, Any] = {
        "url": f"{base}/issues/{n}", "repository_url": base, "labels_url": f"{base}/issues/{n}/labels{{/name}}",
        "comments_url": f"{base}/issues/{n}/comments", "events_url": f"{base}/issues/{n}/events",
        "html_url": f"https://github.com/{REPO}/{'pull' if pr else 'issues'}/{n}", "id": 1000 + n,
        "node_id": f"I_kwDOABCD{n}", "number": n, "title": title, "user": user(author),
        "labels": [label(x) for x in labels], "state": "open", "locked": False, "assignee": None, "assignees": [],
        "milestone": None, "comments": comments, "created_at": T0, "updated_at": T1, "closed_at": None,
        "author_association": "MEMBER", "body": body, "state_reason": None,
    }
    if pr:
        out["pull_request"] = {"url": f"{base}/pulls/{n}", "html_url": f"https://github.com/{REPO}/pull/{n}",
                               "diff_url": f"https://github.com/{REPO}/pull/{n}.diff",
                               "patch_url": f"https://github.com/{REPO}/pull/{n}.patch", "merged_at": None}
    return out


def pull(n: int, title: str, head: str, *, base: str = "main", sha: str = HEAD_SHA, body: str = "",
         draft: bool = False, host: str = API) -> dict[str, Any]:
    url = f"{host}/repos/{REPO}/pulls/{n}"
    r = repo(host)
    return {
        "url": url, "id": 2000 + n, "node_id": f"PR_kwDOABCD{n}", "html_url": f"{web(host)}/{REPO}/pull/{n}",
        "diff_url": f"{web(host)}/{REPO}/pull/{n}.diff", "patch_url": f"{web(host)}/{REPO}/pull/{n}.patch",
        "issue_url": f"{host}/repos/{REPO}/issues/{n}", "commits_url": f"{url}/commits",
        "review_comments_url": f"{url}/comments", "comments_url": f"{host}/repos/{REPO}/issues/{n}/comments",
        "statuses_url": f"{host}/repos/{REPO}/statuses/{sha}", "number": n, "state": "open", "locked": False,
        "title": title, "user": user("ana", host), "body": body, "labels": [label("deploy", "0e8a16")],
        "milestone": None, "active_lock_reason": None, "created_at": T0, "updated_at": T1, "closed_at": None,
        "merged_at": None, "merge_commit_sha": None, "assignee": None, "assignees": [],
        "requested_reviewers": [user("bo", host)], "requested_teams": [],
        "head": {"label": f"octo:{head}", "ref": head, "sha": sha, "user": user("octo", host, "Organization"),
                 "repo": r},
        "base": {"label": f"octo:{base}", "ref": base, "sha": BASE_SHA, "user": user("octo", host, "Organization"),
                 "repo": r},
        "author_association": "MEMBER", "auto_merge": None, "draft": draft, "merged": False, "mergeable": True,
        "rebaseable": True, "mergeable_state": "clean", "merged_by": None, "comments": 1, "review_comments": 0,
        "maintainer_can_modify": False, "commits": 1, "additions": 1, "deletions": 1, "changed_files": 1,
    }


def run_doc(run_id: int, conclusion: str | None, *, status: str = "completed", name: str = "test",
            branch: str = "main", event: str = "push") -> dict[str, Any]:
    url = f"{API}/repos/{REPO}/actions/runs/{run_id}"
    return {
        "id": run_id, "name": name, "node_id": f"WFR_kwLOA{run_id}", "head_branch": branch, "head_sha": HEAD_SHA,
        "path": f".github/workflows/{name}.yml", "display_title": "Bump web image to 1.5.0", "run_number": 88,
        "event": event, "status": status, "conclusion": conclusion, "workflow_id": 161335,
        "check_suite_id": 414944374, "check_suite_node_id": "MDEwOkNoZWNrU3VpdGU0MTQ5NDQzNzQ=", "url": url,
        "html_url": f"https://github.com/{REPO}/actions/runs/{run_id}", "pull_requests": [], "created_at": T0,
        "updated_at": T1, "actor": user("ana"), "triggering_actor": user("ana"), "run_attempt": 1,
        "run_started_at": T0, "jobs_url": f"{url}/jobs", "logs_url": f"{url}/logs",
        "check_suite_url": f"{API}/repos/{REPO}/check-suites/414944374", "artifacts_url": f"{url}/artifacts",
        "cancel_url": f"{url}/cancel", "rerun_url": f"{url}/rerun", "previous_attempt_url": None,
        "workflow_url": f"{API}/repos/{REPO}/actions/workflows/161335",
        "head_commit": {"id": HEAD_SHA, "tree_id": "d23f6eedb1e1b9610bbc754ddb5197bfe7271223",
                        "message": "Bump web image to 1.5.0", "timestamp": T0,
                        "author": {"name": "Ana", "email": "ana@example.com"},
                        "committer": {"name": "Ana", "email": "ana@example.com"}},
        "repository": {"id": REPO_ID, "name": "app", "full_name": REPO, "url": f"{API}/repos/{REPO}"},
        "head_repository": {"id": REPO_ID, "name": "app", "full_name": REPO, "url": f"{API}/repos/{REPO}"},
    }


def step(number: int, name: str, conclusion: str, start: str, end: str) -> dict[str, Any]:
    return {"name": name, "status": "completed", "conclusion": conclusion, "number": number,
            "started_at": start, "completed_at": end}


def job_doc(job_id: int, run_id: int, name: str, conclusion: str, steps: list[dict[str, Any]]) -> dict[str, Any]:
    return {
        "id": job_id, "run_id": run_id, "workflow_name": "test", "head_branch": "main",
        "run_url": f"{API}/repos/{REPO}/actions/runs/{run_id}", "run_attempt": 1, "node_id": f"CR_kwDOA{job_id}",
        "head_sha": HEAD_SHA, "url": f"{API}/repos/{REPO}/actions/jobs/{job_id}",
        "html_url": f"https://github.com/{REPO}/actions/runs/{run_id}/job/{job_id}", "status": "completed",
        "conclusion": conclusion, "created_at": T0, "started_at": "2026-11-20T09:01:02Z",
        "completed_at": "2026-11-20T09:01:17Z", "name": name, "steps": steps,
        "check_run_url": f"{API}/repos/{REPO}/check-runs/{job_id}", "labels": ["ubuntu-latest"],
        "runner_id": 7, "runner_name": "GitHub Actions 7", "runner_group_id": 2, "runner_group_name": "GitHub Actions",
    }


JOB_LOG = "\ufeff" + "\n".join(f"2026-11-20T09:01:{sec}.{frac}Z {text}" for sec, frac, text in [
    ("02", "1000000", "Current runner version: '2.329.0'"),
    ("02", "1000001", "##[group]Operating System"),
    ("02", "1000002", "Ubuntu"),
    ("02", "1000003", "24.04.3"),
    ("02", "1000004", "##[endgroup]"),
    ("02", "2000000", "##[group]GITHUB_TOKEN Permissions"),
    ("02", "2000001", "Contents: read"),
    ("02", "2000002", "##[endgroup]"),
    ("04", "0000000", "##[group]Run actions/checkout@08c6903cd8c0fde910a37f88322edcfb5dd907a8"),
    ("04", "0000001", "with:"),
    ("04", "0000002", "  persist-credentials: false"),
    ("04", "0000003", "##[endgroup]"),
    ("05", "0000000", "Syncing repository: octo/app"),
    ("05", "5000000", "[command]/usr/bin/git checkout --progress --force -B main refs/remotes/origin/main"),
    ("07", "0000000", "##[group]Run python -m pip install -e \".[test]\""),
    ("07", "0000001", "\x1b[36;1mpython -m pip install -e \".[test]\"\x1b[0m"),
    ("07", "0000002", "shell: /usr/bin/bash -e {0}"),
    ("07", "0000003", "##[endgroup]"),
    ("09", "0000000", "Successfully installed app-0.1.0 pytest-8.4.2"),
    ("10", "0000000", "##[group]Run python -m pytest -q"),
    ("10", "0000001", "\x1b[36;1mpython -m pytest -q\x1b[0m"),
    ("10", "0000002", "shell: /usr/bin/bash -e {0}"),
    ("10", "0000003", "##[endgroup]"),
    ("14", "0000000", "....F."),
    ("14", "1000000", "=================================== FAILURES ==================================="),
    ("14", "2000000", "______________________________ test_image_tag ______________________________"),
    ("14", "3000000", "    def test_image_tag():"),
    ("14", "4000000", ">       assert render()['image']['tag'] == '1.5.0'"),
    ("14", "5000000", "E       AssertionError: assert '1.4.2' == '1.5.0'"),
    ("14", "6000000", "tests/test_chart.py:12: AssertionError"),
    ("14", "7000000", "FAILED tests/test_chart.py::test_image_tag - AssertionError: assert '1.4.2' == '1.5.0'"),
    ("14", "8000000", "1 failed, 5 passed in 2.31s"),
    ("15", "0000000", "##[error]Process completed with exit code 1."),
    ("16", "0000000", "Post job cleanup."),
    ("16", "5000000", "[command]/usr/bin/git version"),
    ("17", "0000000", "Cleaning up orphan processes"),
]) + "\n"

JOB_STEPS = [step(1, "Set up job", "success", "2026-11-20T09:01:02Z", "2026-11-20T09:01:03Z"),
             step(2, "Run actions/checkout@08c6903cd8c0fde910a37f88322edcfb5dd907a8", "success",
                  "2026-11-20T09:01:04Z", "2026-11-20T09:01:06Z"),
             step(3, "Install", "success", "2026-11-20T09:01:07Z", "2026-11-20T09:01:09Z"),
             step(4, "Test", "failure", "2026-11-20T09:01:10Z", "2026-11-20T09:01:15Z"),
             step(5, "Post Run actions/checkout@08c6903cd8c0fde910a37f88322edcfb5dd907a8", "success",
                  "2026-11-20T09:01:16Z", "2026-11-20T09:01:16Z"),
             step(6, "Complete job", "success", "2026-11-20T09:01:17Z", "2026-11-20T09:01:17Z")]
LOG_URL = ("https://productionresultssa3.blob.core.windows.net/actions-results/7f3c/workflow-job-run-5e0d/logs/job/"
           "job-logs.txt?rsct=text%2Fplain&se=2026-11-20T09%3A12%3A00Z&sig=SIGNATURE&ske=2026-11-20T15%3A00%3A00Z"
           "&skoid=00000000&sks=b&skt=2026-11-20T09%3A00%3A00Z&sktid=00000000&skv=2025-01-05&sp=r&spr=https"
           "&sr=b&st=2026-11-20T09%3A02%3A00Z&sv=2025-01-05")


# --------------------------------------------------------------------------------------------- interactions


def rate_headers(remaining: int = 4990, resource: str = "core", limit: int = 5000) -> dict[str, list[str]]:
    return {"x-ratelimit-limit": [str(limit)], "x-ratelimit-remaining": [str(remaining)],
            "x-ratelimit-reset": [str(RESET)], "x-ratelimit-used": [str(limit - remaining)],
            "x-ratelimit-resource": [resource]}


def ix(method: str, url: str, status: int = 200, body: Any = None, *, headers: dict[str, list[str]] | None = None,
       request: Any = None, text: str | None = None) -> dict[str, Any]:
    hdrs: dict[str, list[str]] = {"content-type": ["text/plain; charset=utf-8" if text is not None
                                                   else "application/json; charset=utf-8"]}
    if text is None and url.startswith(("https://api.github.com", GHE)):
        hdrs.update({"x-github-api-version-selected": ["2022-11-28"], "x-github-media-type": ["github.v3; format=json"],
                     **rate_headers(resource="search" if "/search/" in url else "core",
                                    limit=30 if "/search/" in url else 5000,
                                    remaining=25 if "/search/" in url else 4990)})
    hdrs.update(headers or {})
    if status in (204, 302):
        payload = ""
    elif text is not None:
        payload = text
    else:
        payload = json.dumps(body, ensure_ascii=False)
    req_headers = {"Content-Type": ["application/json"]} if request is not None else {}
    return {"request": {"method": method, "uri": url, "body": json.dumps(request) if request is not None else "",
                        "headers": req_headers},
            "response": {"status": {"code": status, "message": REASONS[status]}, "headers": hdrs,
                         "body": {"string": payload}}}


def error(method: str, url: str, status: int, message: str, *, headers: dict[str, list[str]] | None = None,
          errors: list[Any] | None = None, doc: str = DOCS, request: Any = None) -> dict[str, Any]:
    body: dict[str, Any] = {"message": message, "documentation_url": doc, "status": str(status)}
    if errors is not None:
        body["errors"] = errors
    return ix(method, url, status, body, headers=headers, request=request)


R = f"{API}/repos/{REPO}"
LINK_ISSUES_2 = f"{API}/repositories/{REPO_ID}/issues?state=open&sort=updated&direction=desc&per_page=100&page=2"
FRAGMENT = 'image:\n  repository: ghcr.io/octo/web\n  tag: "1.4.2"'
PATCH = '@@ -1,6 +1,6 @@\n image:\n   repository: ghcr.io/octo/web\n-  tag: "1.4.2"\n+  tag: "1.5.0"\n'
VALUES_YAML = ("image:\n  repository: ghcr.io/octo/web\n  tag: \"1.4.2\"\n  pullPolicy: IfNotPresent\n"
               "replicaCount: 2\nservice:\n  port: 8080\n")


def b64(text: str) -> str:
    import base64

    raw = base64.b64encode(text.encode()).decode()
    return "\n".join(raw[i:i + 60] for i in range(0, len(raw), 60)) + "\n"


def content_file(path: str, text: str, sha: str = "3d21ec53a331a6f037a91c368710b99387d012c1") -> dict[str, Any]:
    return {"type": "file", "encoding": "base64", "size": len(text.encode()), "name": path.rsplit("/", 1)[-1],
            "path": path, "content": b64(text), "sha": sha, "url": f"{R}/contents/{path}?ref=main",
            "git_url": f"{R}/git/blobs/{sha}", "html_url": f"https://github.com/{REPO}/blob/main/{path}",
            "download_url": f"https://raw.githubusercontent.com/{REPO}/main/{path}?token=TOKEN",
            "_links": {"self": f"{R}/contents/{path}?ref=main", "git": f"{R}/git/blobs/{sha}",
                       "html": f"https://github.com/{REPO}/blob/main/{path}"}}


def dir_entry(path: str, kind: str, size: int = 0) -> dict[str, Any]:
    return {"type": kind, "size": size, "name": path.rsplit("/", 1)[-1], "path": path,
            "sha": "a84d88e7554fc1fa21bcbc4efae3c782a70d2b9d", "url": f"{R}/contents/{path}?ref=main",
            "git_url": f"{R}/git/{'trees' if kind == 'dir' else 'blobs'}/a84d88e7554fc1fa21bcbc4efae3c782a70d2b9d",
            "html_url": f"https://github.com/{REPO}/{'tree' if kind == 'dir' else 'blob'}/main/{path}",
            "download_url": None if kind == "dir" else f"https://raw.githubusercontent.com/{REPO}/main/{path}",
            "_links": {}}


def check_run(cid: int, name: str, conclusion: str | None, status: str = "completed") -> dict[str, Any]:
    return {"id": cid, "head_sha": HEAD_SHA, "node_id": f"CR_{cid}", "external_id": "", "url": f"{R}/check-runs/{cid}",
            "html_url": f"https://github.com/{REPO}/runs/{cid}", "details_url": f"https://github.com/{REPO}/runs/{cid}",
            "status": status, "conclusion": conclusion, "started_at": T0, "completed_at": T1 if conclusion else None,
            "output": {"title": None, "summary": None, "text": None, "annotations_count": 0,
                       "annotations_url": f"{R}/check-runs/{cid}/annotations"},
            "name": name, "check_suite": {"id": 414944374},
            "app": {"id": 15368, "slug": "github-actions", "name": "GitHub Actions"}, "pull_requests": []}


def scenarios() -> dict[str, tuple[str, Callable[[], list[dict[str, Any]]]]]:
    P = f"{R}/pulls/7"
    return {
        "repo_info": ("a repository's summary", lambda: [ix("GET", R, body=repo())]),
        "repo_info_ghe": ("the same on GitHub Enterprise (base URL https://ghe.example.test/api/v3)",
                          lambda: [ix("GET", f"{GHE}/repos/{REPO}", body=repo(GHE))]),
        "list_files": ("a directory listing, then the whole tree below a path", lambda: [
            ix("GET", f"{R}/contents/charts/web?ref=main", body=[
                dir_entry("charts/web/Chart.yaml", "file", 112), dir_entry("charts/web/templates", "dir"),
                dir_entry("charts/web/values.yaml", "file", len(VALUES_YAML))]),
            ix("GET", R, body=repo()),
            ix("GET", f"{R}/git/trees/main?recursive=1", body={
                "sha": BASE_SHA, "url": f"{R}/git/trees/{BASE_SHA}", "truncated": False, "tree": [
                    {"path": p, "mode": "040000" if t == "tree" else "100644", "type": t,
                     "sha": "a84d88e7554fc1fa21bcbc4efae3c782a70d2b9d", "url": f"{R}/git/blobs/x",
                     **({"size": 120} if t == "blob" else {})}
                    for p, t in [("README.md", "blob"), ("charts", "tree"), ("charts/web", "tree"),
                                 ("charts/web/Chart.yaml", "blob"), ("charts/web/values.yaml", "blob"),
                                 ("src", "tree"), ("src/app.py", "blob")]]}),
        ]),
        "read_file": ("a file's content at a ref (base64 in the contents API)", lambda: [
            ix("GET", f"{R}/contents/charts/web/values.yaml?ref=main",
               body=content_file("charts/web/values.yaml", VALUES_YAML))]),
        "search_code": ("code search with text matches", lambda: [
            ix("GET", f"{API}/search/code?q=repository%3A+ghcr.io%2Focto%2Fweb+repo%3Aocto%2Fapp&per_page=100",
               body={"total_count": 1, "incomplete_results": False, "items": [{
                   "name": "values.yaml", "path": "charts/web/values.yaml",
                   "sha": "3d21ec53a331a6f037a91c368710b99387d012c1",
                   "url": f"{R}/contents/charts/web/values.yaml?ref=9f1c",
                   "git_url": f"{R}/git/blobs/3d21ec53a331a6f037a91c368710b99387d012c1",
                   "html_url": f"https://github.com/{REPO}/blob/9f1c/charts/web/values.yaml",
                   "repository": {"id": REPO_ID, "name": "app", "full_name": REPO, "private": True,
                                  "owner": user("octo", API, "Organization"), "url": R,
                                  "html_url": f"https://github.com/{REPO}"},
                   "score": 1.0, "text_matches": [{"object_url": f"{R}/contents/charts/web/values.yaml",
                                                   "object_type": "FileContent", "property": "content",
                                                   "fragment": FRAGMENT,
                                                   "matches": [{"text": "ghcr.io/octo/web",
                                                                "indices": [24, 40]}]}]}]})]),
        "issues_paginated": ("issues over two pages (Link rel=next); a pull request in the list is skipped", lambda: [
            ix("GET", f"{R}/issues?state=open&sort=updated&direction=desc&per_page=100", body=[
                issue(12, "Image tag drifted from the release", ("bug",), comments=2),
                issue(11, "Bump chart to 1.5.0", pr=True),
                issue(10, "Document the rollout", ("docs",))],
               headers={"link": [f'<{LINK_ISSUES_2}>; rel="next", <{LINK_ISSUES_2}>; rel="last"']}),
            ix("GET", LINK_ISSUES_2, body=[issue(9, "Alert on 5xx rate"), issue(8, "Flaky readiness probe", ("bug",)),
                                           issue(7, "Add HPA")],
               headers={"link": [f'<{R}/issues?page=1>; rel="prev", <{R}/issues?page=1>; rel="first"'.replace(
                   f"{R}/issues", f"{API}/repositories/{REPO_ID}/issues")]}),
        ]),
        "read_issue": ("an issue with its comments", lambda: [
            ix("GET", f"{R}/issues/12", body=issue(12, "Image tag drifted from the release", ("bug",), comments=2,
                                                   body="Production runs 1.4.2 but 1.5.0 is released.")),
            ix("GET", f"{R}/issues/12/comments?per_page=100", body=[
                {"id": 1, "node_id": "IC_1", "url": f"{R}/issues/comments/1",
                 "html_url": f"https://github.com/{REPO}/issues/12#issuecomment-1", "body": "Confirmed on prod.",
                 "user": user("bo"), "created_at": T0, "updated_at": T0, "issue_url": f"{R}/issues/12",
                 "author_association": "MEMBER"}])]),
        "issue_writes": ("create an issue, comment, add and remove labels", lambda: [
            ix("POST", f"{R}/issues", 201, issue(13, "Rotate the registry token", ("ops",)),
               request={"title": "Rotate the registry token", "body": "It expires on Friday.", "labels": ["ops"]}),
            ix("POST", f"{R}/issues/13/comments", 201, {
                "id": 99, "node_id": "IC_99", "url": f"{R}/issues/comments/99",
                "html_url": f"https://github.com/{REPO}/issues/13#issuecomment-99", "body": "On it.",
                "user": user("reign-bot"), "created_at": T1, "updated_at": T1, "issue_url": f"{R}/issues/13",
                "author_association": "MEMBER"}, request={"body": "On it."}),
            ix("POST", f"{R}/issues/13/labels", 200, [label("ops"), label("security")], request=["security"]),
            ix("DELETE", f"{R}/issues/13/labels/ops", 200, [label("security")]),
        ]),
        "prs": ("list pull requests, read one with its diff and checks", lambda: [
            ix("GET", f"{R}/pulls?state=open&sort=updated&direction=desc&per_page=100",
               body=[pull(7, "Bump web image to 1.5.0", "reign/bump-web-image")]),
            ix("GET", P, body=pull(7, "Bump web image to 1.5.0", "reign/bump-web-image", body="1.5.0 fixes the leak.")),
            ix("GET", f"{P}/files?per_page=100", body=[{
                "sha": "bbcd538c8e72b8c175046e27cc8f907076331401", "filename": "charts/web/values.yaml",
                "status": "modified", "additions": 1, "deletions": 1, "changes": 2,
                "blob_url": f"https://github.com/{REPO}/blob/{HEAD_SHA}/charts/web/values.yaml",
                "raw_url": f"https://github.com/{REPO}/raw/{HEAD_SHA}/charts/web/values.yaml",
                "contents_url": f"{R}/contents/charts/web/values.yaml?ref={HEAD_SHA}",
                "patch": PATCH}]),
            ix("GET", f"{R}/commits/{HEAD_SHA}/check-runs?per_page=100", body={
                "total_count": 2,
                "check_runs": [check_run(4, "test", "success"), check_run(5, "helm lint", "failure")]}),
            ix("GET", f"{R}/commits/{HEAD_SHA}/status", body={
                "state": "pending", "sha": HEAD_SHA, "total_count": 1, "commit_url": f"{R}/commits/{HEAD_SHA}",
                "url": f"{R}/commits/{HEAD_SHA}/status", "repository": repo(), "statuses": [{
                    "url": f"{R}/statuses/{HEAD_SHA}", "avatar_url": None, "id": 1, "node_id": "SC_1",
                    "state": "pending", "description": "Deploy preview building", "target_url": None,
                    "context": "preview", "created_at": T0, "updated_at": T1}]}),
        ]),
        "pr_writes": ("open a pull request, request a review, merge it at the approved head", lambda: [
            ix("POST", f"{R}/pulls", 201, pull(8, "Add HPA", "feature/hpa"),
               request={"base": "main", "head": "feature/hpa", "title": "Add HPA", "body": "Scale on CPU.",
                        "draft": False}),
            ix("POST", f"{R}/pulls/8/requested_reviewers", 201, pull(8, "Add HPA", "feature/hpa"),
               request={"reviewers": ["bo"]}),
            ix("GET", P, body=pull(7, "Bump web image to 1.5.0", "reign/bump-web-image")),
            ix("GET", P, body=pull(7, "Bump web image to 1.5.0", "reign/bump-web-image")),
            ix("PUT", f"{P}/merge", 200, {"sha": "e5bd3914e2e596debea16f433f57875b5b90bcd6", "merged": True,
                                          "message": "Pull Request successfully merged"},
               request={"merge_method": "squash", "sha": HEAD_SHA}),
        ]),
        "merge_moved": ("the PR's head moved after approval: the merge is refused before any write", lambda: [
            ix("GET", P, body=pull(7, "Bump web image to 1.5.0", "reign/bump-web-image")),
            ix("GET", P, body=pull(7, "Bump web image to 1.5.0", "reign/bump-web-image",
                                   sha="0000000000000000000000000000000000000001")),
        ]),
        "merge_conflict": ("GitHub refuses a merge (405 not mergeable)", lambda: [
            ix("GET", P, body=pull(7, "Bump web image to 1.5.0", "reign/bump-web-image")),
            error("PUT", f"{P}/merge", 405, "Pull Request is not mergeable",
                  doc="https://docs.github.com/rest/pulls/pulls#merge-a-pull-request",
                  request={"merge_method": "merge", "sha": HEAD_SHA}),
        ]),
        "branches": ("list branches, create one, read protection, delete a merged branch", lambda: [
            ix("GET", f"{R}/branches?per_page=100", body=[
                {"name": "main", "commit": {"sha": BASE_SHA, "url": f"{R}/commits/{BASE_SHA}"}, "protected": True},
                {"name": "reign/bump-web-image", "commit": {"sha": HEAD_SHA, "url": f"{R}/commits/{HEAD_SHA}"},
                 "protected": False}]),
            ix("GET", f"{R}/branches/main", body={
                "name": "main", "commit": {"sha": BASE_SHA, "url": f"{R}/commits/{BASE_SHA}"}, "protected": True,
                "protection": {"enabled": True, "required_status_checks": {"enforcement_level": "non_admins",
                                                                           "contexts": ["test"], "checks": []}},
                "protection_url": f"{R}/branches/main/protection", "_links": {}}),
            ix("POST", f"{R}/git/refs", 201, {"ref": "refs/heads/release/1.5", "node_id": "REF_1",
                                              "url": f"{R}/git/refs/heads/release/1.5",
                                              "object": {"sha": BASE_SHA, "type": "commit",
                                                         "url": f"{R}/git/commits/{BASE_SHA}"}},
               request={"ref": "refs/heads/release/1.5", "sha": BASE_SHA}),
            ix("GET", f"{R}/branches/main", body={
                "name": "main", "commit": {"sha": BASE_SHA, "url": f"{R}/commits/{BASE_SHA}"}, "protected": True,
                "protection": {"enabled": True, "required_status_checks": {"enforcement_level": "non_admins",
                                                                           "contexts": ["test"], "checks": []}},
                "protection_url": f"{R}/branches/main/protection", "_links": {}}),
            ix("GET", f"{R}/branches/main/protection", body={
                "url": f"{R}/branches/main/protection",
                "required_status_checks": {"url": f"{R}/branches/main/protection/required_status_checks",
                                           "strict": True, "contexts": ["test", "helm lint"], "checks": []},
                "required_pull_request_reviews": {"dismiss_stale_reviews": True, "require_code_owner_reviews": True,
                                                  "required_approving_review_count": 1},
                "enforce_admins": {"url": "", "enabled": True}, "required_linear_history": {"enabled": True},
                "allow_force_pushes": {"enabled": False}, "allow_deletions": {"enabled": False},
                "required_signatures": {"url": "", "enabled": False}}),
            ix("GET", R, body=repo()),
            ix("GET", f"{R}/branches/reign/bump-web-image", body={
                "name": "reign/bump-web-image", "commit": {"sha": HEAD_SHA, "url": f"{R}/commits/{HEAD_SHA}"},
                "protected": False, "protection": {"enabled": False}, "_links": {}}),
            ix("DELETE", f"{R}/git/refs/heads/reign/bump-web-image", 204),
        ]),
        "branch_errors": ("creating an existing branch (422); deleting the default branch is refused locally", lambda: [
            ix("GET", f"{R}/branches/main", body={"name": "main", "commit": {"sha": BASE_SHA, "url": ""},
                                                 "protected": True}),
            error("POST", f"{R}/git/refs", 422, "Reference already exists",
                  doc="https://docs.github.com/rest/git/refs#create-a-reference",
                  request={"ref": "refs/heads/main", "sha": BASE_SHA}),
            ix("GET", R, body=repo(default="trunk")),
        ]),
        "runs": ("list runs, read one with its jobs", lambda: [
            ix("GET", f"{R}/actions/runs?branch=main&per_page=100", body={
                "total_count": 2, "workflow_runs": [run_doc(30433642, "failure"), run_doc(30433600, "success")]}),
            ix("GET", f"{R}/actions/runs/30433642", body=run_doc(30433642, "failure")),
            ix("GET", f"{R}/actions/runs/30433642/jobs?filter=latest&per_page=100", body={
                "total_count": 1, "jobs": [job_doc(399444496, 30433642, "test", "failure", JOB_STEPS)]}),
        ]),
        "run_logs": ("explain a failed run: the failed job's log (302 to a signed URL), cut to the failing step",
                     lambda: [
            ix("GET", f"{R}/actions/runs/30433642", body=run_doc(30433642, "failure")),
            ix("GET", f"{R}/actions/runs/30433642/jobs?filter=latest&per_page=100", body={
                "total_count": 2, "jobs": [job_doc(399444495, 30433642, "lint", "success", JOB_STEPS[:2]),
                                           job_doc(399444496, 30433642, "test", "failure", JOB_STEPS)]}),
            ix("GET", f"{R}/actions/jobs/399444496/logs", 302, headers={"location": [LOG_URL]}),
            ix("GET", LOG_URL, 200, text=JOB_LOG),
        ]),
        "run_writes": ("re-run the failed jobs of a run; dispatch a workflow", lambda: [
            ix("GET", f"{R}/actions/runs/30433642", body=run_doc(30433642, "failure")),
            ix("POST", f"{R}/actions/runs/30433642/rerun-failed-jobs", 201, {}),
            ix("GET", f"{R}/actions/workflows/deploy.yml", body={
                "id": 161336, "node_id": "W_1", "name": "deploy", "path": ".github/workflows/deploy.yml",
                "state": "active", "created_at": T0, "updated_at": T1, "url": f"{R}/actions/workflows/161336",
                "html_url": f"https://github.com/{REPO}/blob/main/.github/workflows/deploy.yml",
                "badge_url": f"https://github.com/{REPO}/workflows/deploy/badge.svg"}),
            ix("POST", f"{R}/actions/workflows/161336/dispatches", 204,
               request={"ref": "main", "inputs": {"environment": "staging", "dry_run": True}}),
        ]),
        "errors": ("404, 401, 403 missing permission, 422 validation", lambda: [
            error("GET", f"{API}/repos/octo/missing", 404, "Not Found",
                  doc="https://docs.github.com/rest/repos/repos#get-a-repository"),
            error("GET", R, 401, "Bad credentials"),
            error("POST", f"{R}/issues", 403, "Resource not accessible by personal access token",
                  doc="https://docs.github.com/rest/issues/issues#create-an-issue",
                  headers={"x-accepted-github-permissions": ["issues=write"]},
                  request={"title": "x", "body": ""}),
            error("POST", f"{R}/pulls", 422, "Validation Failed",
                  errors=[{"resource": "PullRequest", "code": "custom",
                           "message": "A pull request already exists for octo:feature/hpa."}],
                  doc="https://docs.github.com/rest/pulls/pulls#create-a-pull-request",
                  request={"base": "main", "head": "feature/hpa", "title": "Add HPA", "body": "", "draft": False}),
        ]),
        "rate_limits": ("primary limit (403 and 429, x-ratelimit-remaining 0) and secondary limits (retry-after)",
                        lambda: [
            error("GET", R, 403, "API rate limit exceeded for user ID 1. If you reach out to GitHub Support for help, "
                  "please include the request ID 0000:0000:0000000:0000000:00000000.",
                  doc="https://docs.github.com/rest/overview/rate-limits-for-the-rest-api",
                  headers=rate_headers(remaining=0)),
            error("GET", R, 429, "API rate limit exceeded for user ID 1.",
                  doc="https://docs.github.com/rest/overview/rate-limits-for-the-rest-api",
                  headers=rate_headers(remaining=0)),
            error("POST", f"{R}/issues", 403, "You have exceeded a secondary rate limit. Please wait a few minutes "
                  "before you try again. If you reach out to GitHub Support for help, please include the request "
                  "ID 0000:0000:0000000:0000000:00000000.",
                  doc="https://docs.github.com/free-pro-team@latest/rest/overview/rate-limits-for-the-rest-api"
                      "#about-secondary-rate-limits",
                  headers={"retry-after": ["60"]}, request={"title": "x", "body": ""}),
            error("GET", f"{API}/search/code?q=tag+repo%3Aocto%2Fapp&per_page=100", 429,
                  "You have exceeded a secondary rate limit and have been temporarily blocked from content creation. "
                  "Please retry your request again later.",
                  doc="https://docs.github.com/rest/overview/rate-limits-for-the-rest-api#about-secondary-rate-limits",
                  headers={"retry-after": ["30"]}),
        ]),
    }


HEADER = ("# reign cassette: synthesized (GitHub REST API 2022-11-28 wire format, written by "
          "scripts/synth_github_cassettes.py; not recorded from the live API)\n")


def write(path: Path, description: str, interactions: list[dict[str, Any]]) -> None:
    doc = {"interactions": interactions, "version": 1}
    text = yaml.safe_dump(doc, sort_keys=False, allow_unicode=True, width=120)
    path.write_text(f"{HEADER}# scenario: {description}\n{text}")


def pr_creation(head: str, base: str, title: str, body: str, number: int = 42) -> list[dict[str, Any]]:
    """The one API call of github_propose_change (the git work is real): POST /pulls with the why."""
    return [ix("POST", f"{R}/pulls", 201, {**pull(number, title, head, base=base, body=body), "commits": 1},
               request={"base": base, "head": head, "title": title, "body": body, "draft": False})]


EXAMPLE = ROOT / "examples" / "bump-image-tag"


def example_module() -> Any:
    import importlib.util

    spec = importlib.util.spec_from_file_location("bump_image_tag_seed", EXAMPLE / "seed.py")
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def example_plan() -> Any:
    """The plan github_propose_change makes for the example, computed with real git on the seeded repository."""
    import os
    import tempfile

    sys.path.insert(0, str(ROOT))
    from reign.config import Settings
    from reign.managers.github import clone as gitops
    from reign.toolcontext import ToolContext

    ex = example_module()
    with tempfile.TemporaryDirectory() as tmp:
        bare = ex.seed(Path(tmp))
        saved = {k: os.environ.get(k) for k in ("REIGN_GITHUB_CLONE_URL", "REIGN_GITHUB_WORK_DIR")}
        os.environ["REIGN_GITHUB_CLONE_URL"] = f"file://{bare.parent.parent}/{{owner}}/{{repo}}.git"
        os.environ["REIGN_GITHUB_WORK_DIR"] = f"{tmp}/clones"
        try:
            ctx = ToolContext(settings=Settings(workspace_root=Path(tmp)))
            with gitops.locked_clone(ctx, REPO, gitops.remote_for(ctx, REPO)) as clone:
                return gitops.plan_change(clone, repo=REPO, title=ex.TITLE, why=ex.WHY, edits=ex.EDITS, base=None,
                                          branch=None)
        finally:
            for k, v in saved.items():
                if v is None:
                    os.environ.pop(k, None)
                else:
                    os.environ[k] = v


def anthropic_turn(i: int, text: str, call: tuple[str, dict[str, Any]] | None = None) -> dict[str, Any]:
    content: list[dict[str, Any]] = [{"type": "text", "text": text}] if text else []
    if call:
        content.append({"type": "tool_use", "id": f"toolu_bump{i:02d}", "name": call[0], "input": call[1]})
    body = {"id": f"msg_bump{i:03d}", "type": "message", "role": "assistant", "model": "claude-sonnet-5-5",
            "content": content, "stop_reason": "tool_use" if call else "end_turn", "stop_sequence": None,
            "usage": {"input_tokens": 5200 + 900 * i, "output_tokens": 120 + 40 * i}}
    return {"request": {"method": "POST", "uri": "https://api.anthropic.com/v1/messages", "body": "", "headers": {}},
            "response": {"status": {"code": 200, "message": "OK"}, "headers": {"content-type": ["application/json"]},
                         "body": {"string": json.dumps(body)}}}


def main() -> int:
    OUT.mkdir(parents=True, exist_ok=True)
    for name, (description, build) in scenarios().items():
        write(OUT / f"{name}.yaml", description, build())
    ex = example_module()
    plan = example_plan()
    from reign.managers.github import clone as gitops

    body = gitops.pr_body(plan)
    created = pr_creation(plan.branch, plan.base, plan.title, body)
    write(OUT / "propose_change.yaml", "github_propose_change opens the pull request for the pushed branch "
          "(the branch, commit and push are real git on a local bare repository)", created)
    write(OUT / "propose_change_exists.yaml", "the push worked but GitHub refuses the pull request (422)", [
        error("POST", f"{R}/pulls", 422, "Validation Failed",
              errors=[{"resource": "PullRequest", "code": "custom",
                       "message": f"A pull request already exists for octo:{plan.branch}."}],
              doc="https://docs.github.com/rest/pulls/pulls#create-a-pull-request",
              request={"base": plan.base, "head": plan.branch, "title": plan.title, "body": body, "draft": False})])
    call = {"repo": REPO, "title": ex.TITLE, "why": ex.WHY, "edits": ex.EDITS}
    model = [
        anthropic_turn(0, "I'll read the chart's values first.",
                       ("github_read_file", {"repo": REPO, "path": "charts/web/values.yaml"})),
        anthropic_turn(1, "The image is pinned to 1.4.2. I'll propose the bump as a pull request rather than "
                          "changing the running release.", ("github_propose_change", call)),
        anthropic_turn(2, f"Opened octo/app#42 ({plan.branch} -> main): it changes `image.tag` in "
                          "charts/web/values.yaml from 1.4.2 to 1.5.0. Nothing is deployed until it is reviewed "
                          "and merged."),
    ]
    (EXAMPLE / "cassette.yaml").write_text(
        "# reign cassette: synthesized (Anthropic Messages wire format, written by scripts/synth_github_cassettes.py;"
        " not recorded from a live API)\n"
        f"# scenario: {ex.GOAL} - the model's side; replays with match on method+path, in order\n"
        + yaml.safe_dump({"interactions": model, "version": 1}, sort_keys=False, allow_unicode=True, width=120))
    write(EXAMPLE / "github.yaml", f"{ex.GOAL} - the GitHub side (git itself is real)", [
        ix("GET", f"{R}/contents/charts/web/values.yaml", body=content_file("charts/web/values.yaml", VALUES_YAML)),
        *created])
    print(f"wrote {len(scenarios()) + 2} cassettes to {OUT.relative_to(ROOT)}, and {EXAMPLE.relative_to(ROOT)}/"
          "cassette.yaml + github.yaml")
    return 0


if __name__ == "__main__":
    sys.exit(main())
