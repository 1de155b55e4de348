"""GitHub manager over the real PyGithub, replaying synthesized cassettes of the REST API wire format.

github.com is not reachable here: cassettes/github/*.yaml are written by scripts/synth_github_cassettes.py in
the documented format (pagination Link headers, rate-limit headers, 302 log redirects). Requests that send a
body are checked against the body recorded in the cassette. `github_live` runs the read tools against a real
repository when GITHUB_TOKEN and REIGN_TEST_REPO are set.
"""

from __future__ import annotations

import dataclasses
import inspect
import json
import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest

from reign.catalogue import Catalogue
from reign.config import Settings
from reign.errors import ToolError
from reign.managers.github import actions as gh_actions
from reign.managers.github import client as gh_client
from reign.managers.github import issues as gh_issues
from reign.managers.github import pulls as gh_pulls
from reign.managers.github import repos as gh_repos
from reign.toolcontext import ToolContext

ROOT = Path(__file__).resolve().parent.parent
CASSETTES = ROOT / "cassettes" / "github"
TOKEN = "ghp_" + "R3ignT3stT0ken" * 2 + "abcdefgh"  # shaped like a classic PAT (40 chars)
REPO = "octo/app"
HEAD_SHA = "6dcb09b5b57875f334f61aebed695e2e4193db5e"
LIVE_TOKEN = os.environ.get("GITHUB_TOKEN")  # read at import: the autouse fixture clears it for every test
LIVE_REPO = os.environ.get("REIGN_TEST_REPO")

pytestmark = pytest.mark.github


# --------------------------------------------------------------------------------------------- helpers


def _json_body(live: Any, recorded: Any) -> None:
    """vcrpy matcher: when the cassette recorded a request body, the live one must carry the same JSON."""
    if not recorded.body:
        return
    want = json.loads(recorded.body)
    got = json.loads(live.body or b"null")
    assert got == want, f"request body {got!r} != recorded {want!r}"


@contextmanager
def replay(name: str) -> Iterator[Any]:
    """Replay cassettes/github/NAME.yaml (method + path + recorded JSON bodies, in order); all must play."""
    import vcr

    path = CASSETTES / f"{name}.yaml"
    assert path.read_text().startswith("# reign cassette: synthesized"), path
    recorder = vcr.VCR(record_mode="none", match_on=["method", "path", "json_body"])
    recorder.register_matcher("json_body", _json_body)
    with recorder.use_cassette(str(path), allow_playback_repeats=False) as cass:
        yield cass
    assert cass.all_played, f"{name}: {len(cass.data) - cass.play_count} interactions were not requested"


def make_ctx(tmp: Path, base_url: str = "https://api.github.com", **extra: Any) -> ToolContext:
    settings = Settings(GITHUB_TOKEN=TOKEN, github_base_url=base_url, workspace_root=tmp, tool_timeout=10, **extra)
    return ToolContext(settings=settings, cwd=tmp)


@pytest.fixture(scope="session", autouse=True)
def pygithub() -> None:
    """PyGithub comes with the `github` extra; install it when missing, skip only if that cannot work."""
    import importlib.util
    import subprocess
    import sys

    if importlib.util.find_spec("github") is not None:
        return
    res = subprocess.run([sys.executable, "-m", "pip", "install", "--quiet", "PyGithub>=2.4,<3"], capture_output=True,
                         text=True, timeout=600)
    if res.returncode != 0:
        pytest.skip(f"PyGithub is not installed and cannot be installed: {res.stderr.strip().splitlines()[-1:]}")
    importlib.invalidate_caches()


@pytest.fixture(autouse=True)
def no_spacing(monkeypatch: pytest.MonkeyPatch) -> None:
    """retry=None and no request spacing: what replaying needs (and no test waits for a rate limit)."""
    monkeypatch.setattr(gh_client, "OPTIONS", gh_client.ClientOptions(retry_5xx=0, seconds_between_requests=0.0,
                                                        seconds_between_writes=0.0))


@pytest.fixture
def ctx(tmp_path: Path) -> ToolContext:
    return make_ctx(tmp_path)


def no_token(*values: Any) -> None:
    text = json.dumps(values, default=str)
    assert TOKEN not in text


# --------------------------------------------------------------------------------------------- catalogue


def test_catalogue_matches_the_implementations() -> None:
    cat = Catalogue.load()
    tools = [t for t in cat.tools.values() if t.manager in ("github", "cicd")]
    assert len([t for t in tools if t.manager == "github"]) == 24
    for tool in tools:
        func = tool.resolve()
        params = inspect.signature(func).parameters
        assert "ctx" in params, tool.name
        assert all(p.kind is inspect.Parameter.KEYWORD_ONLY for p in params.values()), tool.name
        props = set(tool.input_schema.get("properties", {}))
        assert props == set(params) - {"ctx"}, (tool.name, props ^ (set(params) - {"ctx"}))
        for req in tool.input_schema.get("required", []):
            assert params[req].default is inspect.Parameter.empty, (tool.name, req)
        if tool.preview:  # the executor calls the preview with the tool's own arguments
            from reign.catalogue import resolve

            assert set(inspect.signature(resolve(tool.preview)).parameters) == set(params), tool.name


def test_available_needs_a_token(monkeypatch: pytest.MonkeyPatch) -> None:
    assert gh_client.available(Settings()) == "GITHUB_TOKEN not set"
    monkeypatch.setenv("GITHUB_TOKEN", TOKEN)
    assert gh_client.available(Settings()) is None


def test_client_refuses_without_token(tmp_path: Path) -> None:
    ctx = ToolContext(settings=Settings(workspace_root=tmp_path))
    with pytest.raises(ToolError, match="GITHUB_TOKEN not set"):
        gh_repos.repo_info(repo=REPO, ctx=ctx)


# --------------------------------------------------------------------------------------------- reads


def test_repo_info(ctx: ToolContext) -> None:
    with replay("repo_info"):
        info = gh_repos.repo_info(repo=REPO, ctx=ctx)
    assert info["default_branch"] == "main" and info["private"] is True
    assert info["your_permissions"] == ["pull", "push", "triage"]
    no_token(info)


def test_github_enterprise_base_url(tmp_path: Path) -> None:
    ctx = make_ctx(tmp_path, base_url="https://ghe.example.test/api/v3/")
    with replay("repo_info_ghe"):
        info = gh_repos.repo_info(repo=REPO, ctx=ctx)
    assert info["url"] == "https://ghe.example.test/octo/app"


def test_list_files_directory_and_tree(ctx: ToolContext) -> None:
    with replay("list_files"):
        listing = gh_repos.list_files(repo=REPO, path="charts/web", ref="main", ctx=ctx)
        tree = gh_repos.list_files(repo=REPO, path="charts", recursive=True, ctx=ctx)
    assert [e["path"] for e in listing["entries"]] == ["charts/web/Chart.yaml", "charts/web/templates",
                                                       "charts/web/values.yaml"]
    assert listing["entries"][1]["type"] == "dir"
    assert tree["ref"] == "main"
    assert [e["path"] for e in tree["entries"]] == ["charts", "charts/web", "charts/web/Chart.yaml",
                                                    "charts/web/values.yaml"]


def test_read_file_decodes_and_windows_lines(ctx: ToolContext) -> None:
    with replay("read_file"):
        out = gh_repos.read_file(repo=REPO, path="charts/web/values.yaml", ref="main", start_line=2, max_lines=2, ctx=ctx)
    assert out["content"] == 'repository: ghcr.io/octo/web\n  tag: "1.4.2"'.replace("repository", "  repository")
    assert out["lines"] == "2-3 of 7"


def test_search_code_with_fragments(ctx: ToolContext) -> None:
    with replay("search_code"):
        out = gh_repos.search_code(query="repository: ghcr.io/octo/web", repo=REPO, ctx=ctx)
    assert out["query"].endswith("repo:octo/app") and out["total"] == 1
    [item] = out["items"]
    assert item["path"] == "charts/web/values.yaml" and "1.4.2" in item["matches"][0]


def test_issues_follow_link_pagination_and_skip_pull_requests(ctx: ToolContext) -> None:
    with replay("issues_paginated") as cass:
        out = gh_issues.list_issues(repo=REPO, limit=5, ctx=ctx)
    assert [i["number"] for i in out["issues"]] == [12, 10, 9, 8, 7]
    assert cass.play_count == 2  # the second page came from the Link rel="next" URL
    assert out["issues"][0]["labels"] == ["bug"]


def test_read_issue_with_comments(ctx: ToolContext) -> None:
    with replay("read_issue"):
        out = gh_issues.read_issue(repo=REPO, number=12, ctx=ctx)
    assert out["body"].startswith("Production runs 1.4.2") and out["is_pull_request"] is False
    assert out["comment_list"] == [{"author": "bo", "at": "2026-11-20T09:00:00Z", "body": "Confirmed on prod."}]


def test_pull_requests_list_and_read_with_diff_and_checks(ctx: ToolContext) -> None:
    with replay("prs"):
        listing = gh_pulls.list_prs(repo=REPO, ctx=ctx)
        pr = gh_pulls.read_pr(repo=REPO, number=7, ctx=ctx)
    assert listing["pull_requests"][0]["head"] == "reign/bump-web-image"
    assert pr["mergeable_state"] == "clean" and pr["head_sha"] == HEAD_SHA
    assert '+  tag: "1.5.0"' in pr["files"][0]["patch"]
    assert pr["checks"]["summary"] == "1 failure, 1 pending, 1 success"
    assert {r["name"] for r in pr["checks"]["runs"]} == {"test", "helm lint", "preview"}


def test_workflow_runs_list_and_read(ctx: ToolContext) -> None:
    with replay("runs"):
        runs = gh_actions.list_runs(repo=REPO, branch="main", ctx=ctx)
        run = gh_actions.read_run(repo=REPO, run_id=30433642, ctx=ctx)
    assert [r["conclusion"] for r in runs["runs"]] == ["failure", "success"]
    assert run["jobs"] == [{"id": 399444496, "name": "test", "status": "completed", "conclusion": "failure",
                            "started_at": "2026-11-20T09:01:02Z", "completed_at": "2026-11-20T09:01:17Z",
                            "failed_steps": ["Test"]}]


def test_failed_run_logs_are_cut_to_the_failing_step(ctx: ToolContext) -> None:
    with replay("run_logs"):
        out = gh_actions.run_logs(repo=REPO, run_id=30433642, ctx=ctx)
    [job] = out["failed_jobs"]  # the passing "lint" job is not fetched
    assert job["job"] == "test" and job["failed_step"] == "Test"
    log = job["log"]
    assert log.startswith("##[group]Run python -m pytest -q")
    assert "AssertionError: assert '1.4.2' == '1.5.0'" in log and "##[error]Process completed with exit code 1." in log
    assert "Syncing repository" not in log and "Successfully installed" not in log  # earlier steps are cut
    assert "\x1b[" not in log and "2026-11-20T" not in log  # colours and timestamps removed


def test_cut_to_failing_step_falls_back_to_the_step_time_window() -> None:
    log = ("2026-11-20T09:01:02.0Z setting up\n2026-11-20T09:01:10.0Z compiling\n"
           "2026-11-20T09:01:11.0Z linker error: undefined symbol\n2026-11-20T09:01:20.0Z cleanup\n")
    steps = [{"name": "Build", "conclusion": "failure", "started_at": "2026-11-20T09:01:10Z",
              "completed_at": "2026-11-20T09:01:11Z"}]
    name, text = gh_actions.cut_to_failing_step(log, steps)
    assert name == "Build" and text == "compiling\nlinker error: undefined symbol"


# --------------------------------------------------------------------------------------------- writes


def test_issue_writes_send_the_documented_bodies(ctx: ToolContext) -> None:
    with replay("issue_writes"):
        created = gh_issues.create_issue(repo=REPO, title="Rotate the registry token", body="It expires on Friday.",
                                  labels=["ops"], ctx=ctx)
        commented = gh_issues.comment(repo=REPO, number=13, body="On it.", ctx=ctx)
        labelled = gh_issues.label_issue(repo=REPO, number=13, add=["security"], remove=["ops"], ctx=ctx)
    assert created == {"number": 13, "url": "https://github.com/octo/app/issues/13", "labels": ["ops"]}
    assert commented["comment_id"] == 99
    assert labelled == {"number": 13, "added": ["security"], "removed": ["ops"]}


def test_pull_request_writes_and_merge_bound_to_the_approved_head(ctx: ToolContext) -> None:
    with replay("pr_writes"):
        created = gh_pulls.create_pr(repo=REPO, title="Add HPA", head="feature/hpa", base="main", body="Scale on CPU.",
                               ctx=ctx)
        review = gh_pulls.request_review(repo=REPO, number=8, reviewers=["bo"], ctx=ctx)
        preview = gh_pulls.preview_merge(repo=REPO, number=7, method="squash", ctx=ctx)
        ctx = dataclasses.replace(ctx, approved_preview=preview)
        merged = gh_pulls.merge_pr(repo=REPO, number=7, method="squash", ctx=ctx)
    assert created["number"] == 8 and review["requested"] == ["bo"]
    assert f"head reign/bump-web-image @ {HEAD_SHA}" in preview and "by squash" in preview
    assert merged["merged"] is True and merged["method"] == "squash"


def test_merge_refuses_when_the_head_moved_after_approval(ctx: ToolContext) -> None:
    with replay("merge_moved"):
        ctx = dataclasses.replace(ctx, approved_preview=gh_pulls.preview_merge(repo=REPO, number=7, ctx=ctx))
        with pytest.raises(ToolError, match="changed since it was approved"):
            gh_pulls.merge_pr(repo=REPO, number=7, ctx=ctx)  # no PUT /merge in the cassette: nothing was sent


def test_merge_not_mergeable_is_one_line(ctx: ToolContext) -> None:
    with replay("merge_conflict"), pytest.raises(ToolError) as err:
        gh_pulls.merge_pr(repo=REPO, number=7, ctx=ctx)
    assert str(err.value) == "GitHub refused merge of octo/app#7 (405): Pull Request is not mergeable"


def test_branches_list_create_protection_delete(ctx: ToolContext) -> None:
    with replay("branches"):
        listing = gh_repos.list_branches(repo=REPO, protected=True, ctx=ctx)
        created = gh_repos.create_branch(repo=REPO, branch="release/1.5", from_ref="main", ctx=ctx)
        protection = gh_repos.branch_protection(repo=REPO, branch="main", ctx=ctx)
        deleted = gh_repos.delete_branch(repo=REPO, branch="reign/bump-web-image", ctx=ctx)
    assert listing["branches"] == [{"name": "main", "protected": True, "sha": "3a0f86fb8db8"}]
    assert created["sha"] == "3a0f86fb8db8eea7ccbb9a95f325ddbedfb25e15"
    assert protection["required_checks"] == ["test", "helm lint"] and protection["required_approvals"] == 1
    assert protection["force_pushes"] is False and protection["enforce_admins"] is True
    assert deleted == {"repo": REPO, "deleted": "reign/bump-web-image", "sha": HEAD_SHA[:12]}


def test_branch_errors(ctx: ToolContext) -> None:
    with replay("branch_errors"):
        with pytest.raises(ToolError, match="branch main already exists in octo/app; pick another name"):
            gh_repos.create_branch(repo=REPO, branch="main", from_ref="main", ctx=ctx)
        with pytest.raises(ToolError, match="refusing to delete trunk: it is the default branch"):
            gh_repos.delete_branch(repo=REPO, branch="trunk", ctx=ctx)


def test_rerun_and_dispatch(ctx: ToolContext) -> None:
    with replay("run_writes"):
        rerun = gh_actions.rerun_run(repo=REPO, run_id=30433642, ctx=ctx)
        dispatched = gh_actions.dispatch_workflow(repo=REPO, workflow="deploy.yml", ref="main",
                                          inputs={"environment": "staging", "dry_run": True}, ctx=ctx)
    assert rerun["rerun"] == "failed jobs"
    assert dispatched["workflow"] == ".github/workflows/deploy.yml" and dispatched["dispatched"] is True


# --------------------------------------------------------------------------------------------- errors


def test_api_errors_become_one_line_tool_errors(ctx: ToolContext) -> None:
    with replay("errors"):
        messages = []
        for call in (lambda: gh_repos.repo_info(repo="octo/missing", ctx=ctx),
                     lambda: gh_repos.repo_info(repo=REPO, ctx=ctx),
                     lambda: gh_issues.create_issue(repo=REPO, title="x", ctx=ctx),
                     lambda: gh_pulls.create_pr(repo=REPO, title="Add HPA", head="feature/hpa", base="main", ctx=ctx)):
            with pytest.raises(ToolError) as err:
                call()
            messages.append(str(err.value))
    assert messages == [
        "repository octo/missing not found (404): check the name, or the token cannot see it (private repositories "
        "need a token with access)",
        "GitHub rejected the token (401 Bad credentials): set a valid GITHUB_TOKEN",
        "forbidden (403) on new issue in octo/app: Resource not accessible by personal access token; the token "
        "needs the permission issues=write",
        "GitHub rejected new pull request feature/hpa -> main in octo/app (422 validation failed): Validation "
        "Failed: A pull request already exists for octo:feature/hpa.",
    ]
    assert all("\n" not in m for m in messages)
    no_token(messages)


def test_rate_limits_say_when_to_come_back(ctx: ToolContext) -> None:
    with replay("rate_limits"):
        messages = []
        for call in (lambda: gh_repos.repo_info(repo=REPO, ctx=ctx), lambda: gh_repos.repo_info(repo=REPO, ctx=ctx),
                     lambda: gh_issues.create_issue(repo=REPO, title="x", ctx=ctx),
                     lambda: gh_repos.search_code(query="tag", repo=REPO, ctx=ctx)):
            with pytest.raises(ToolError) as err:
                call()
            messages.append(str(err.value))
    primary_403, primary_429, secondary_403, secondary_429 = messages
    for primary in (primary_403, primary_429):
        assert primary.startswith("GitHub API rate limit exhausted (5000/hour, core) on repository octo/app: "
                                  "rate limited until ")
        assert "14:05 UTC" in primary and "use a token with a higher limit" in primary
    assert secondary_403.startswith("GitHub secondary rate limit on new issue in octo/app: retry after 60 s (at ")
    assert secondary_429.startswith("GitHub secondary rate limit on code search 'tag repo:octo/app': retry after 30 s")


@pytest.mark.parametrize(("status", "data", "headers", "expected"), [
    (409, {"message": "Head branch was modified. Review and try the merge again."}, {},
     "GitHub refused merge of x (409): Head branch was modified. Review and try the merge again."),
    (502, {"message": "Server Error"}, {}, "GitHub server error 502 on merge of x: try again later"),
    (429, {"message": "Too many"}, {}, "GitHub answered 429 Too Many Requests on merge of x: wait a minute and try again"),
    (422, {"message": "Validation Failed", "errors": [{"resource": "Issue", "field": "title", "code": "missing_field"}]},
     {}, "GitHub rejected merge of x (422 validation failed): Validation Failed: Issue.title missing_field"),
    (403, {"message": "API rate limit exceeded"}, {"X-RateLimit-Remaining": "0", "X-RateLimit-Reset": "1795701900",
                                                    "X-RateLimit-Limit": "60"},
     "GitHub API rate limit exhausted (60/hour, core) on merge of x: rate limited until 2026-11-26 14:05 UTC; "
     "wait until then or use a token with a higher limit"),
])
def test_describe_error(status: int, data: Any, headers: dict[str, str], expected: str) -> None:
    assert gh_client.describe_error(status, data, headers, "merge of x", now=1795000000) == expected


def test_the_token_never_reaches_an_output(ctx: ToolContext) -> None:
    outputs: list[Any] = []
    with replay("repo_info"):
        outputs.append(gh_repos.repo_info(repo=REPO, ctx=ctx))
    with replay("errors"):
        for call in (lambda: gh_repos.repo_info(repo="octo/missing", ctx=ctx), lambda: gh_repos.repo_info(repo=REPO, ctx=ctx)):
            with pytest.raises(ToolError) as err:
                call()
            outputs.append(str(err.value))
        with pytest.raises(ToolError):
            gh_issues.create_issue(repo=REPO, title="x", ctx=ctx)
        with pytest.raises(ToolError):
            gh_pulls.create_pr(repo=REPO, title="Add HPA", head="feature/hpa", base="main", ctx=ctx)
    no_token(outputs, repr(ctx.settings))


# --------------------------------------------------------------------------------------------- live


@pytest.mark.github_live
@pytest.mark.skipif(not (LIVE_TOKEN and LIVE_REPO), reason="needs GITHUB_TOKEN and REIGN_TEST_REPO (owner/name) "
                    "of a repository the token can read")
def test_live_read_tools(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(gh_client, "OPTIONS", gh_client.ClientOptions())
    settings = Settings(GITHUB_TOKEN=LIVE_TOKEN, workspace_root=tmp_path,
                        github_base_url=os.environ.get("REIGN_GITHUB_BASE_URL", "https://api.github.com"))
    ctx = ToolContext(settings=settings, cwd=tmp_path)
    repo = str(LIVE_REPO)
    info = gh_repos.repo_info(repo=repo, ctx=ctx)
    assert info["full_name"].lower() == repo.lower()
    files = gh_repos.list_files(repo=repo, ctx=ctx)
    assert files["entries"]
    gh_issues.list_issues(repo=repo, state="all", limit=5, ctx=ctx)
    gh_pulls.list_prs(repo=repo, state="all", limit=5, ctx=ctx)
    gh_repos.list_branches(repo=repo, limit=5, ctx=ctx)
    gh_actions.list_runs(repo=repo, limit=3, ctx=ctx)
    with pytest.raises(ToolError, match="not found"):
        gh_repos.read_file(repo=repo, path="does/not/exist-reign.txt", ctx=ctx)


def test_cassettes_match_the_script_that_writes_them() -> None:
    """cassettes/github/*.yaml are what scripts/synth_github_cassettes.py writes (no hand edits drift away)."""
    import importlib.util

    import yaml

    spec = importlib.util.spec_from_file_location("synth_github", ROOT / "scripts" / "synth_github_cassettes.py")
    assert spec and spec.loader
    synth = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(synth)
    for name, (_, build) in synth.scenarios().items():
        on_disk = yaml.safe_load((CASSETTES / f"{name}.yaml").read_text())["interactions"]
        assert on_disk == build(), f"{name}.yaml is stale: run python scripts/synth_github_cassettes.py"
