"""Change as a pull request, end to end: real git (clone, branch, commit, push) against a local bare
repository standing in for github.com/octo/app, and the pull request creation replayed from a cassette
whose recorded request body is checked. The last test runs examples/bump-image-tag through the real CLI:
model turns (Anthropic wire format) and GitHub calls from one cassette, git for real.
"""

from __future__ import annotations

import base64
import dataclasses
import importlib.util
import json
import subprocess
from pathlib import Path
from typing import Any

import pytest
from test_github_manager import TOKEN, make_ctx, pygithub, replay  # noqa: F401 - pygithub: autouse fixture

from reign.errors import ToolError
from reign.managers.github import change as gh_change
from reign.managers.github import client as gh_client
from reign.managers.github import clone as gh_clone
from reign.toolcontext import ToolContext

ROOT = Path(__file__).resolve().parent.parent
EXAMPLE = ROOT / "examples" / "bump-image-tag"
REPO = "octo/app"

pytestmark = pytest.mark.github


def _example() -> Any:
    spec = importlib.util.spec_from_file_location("bump_image_tag_seed", EXAMPLE / "seed.py")
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


EX = _example()


def git(*args: str, cwd: Path) -> str:
    return subprocess.run(["git", *args], cwd=cwd, check=True, capture_output=True, text=True).stdout


@pytest.fixture
def remote(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """The seeded bare repository; the GitHub tools clone and push it through file://."""
    bare = EX.seed(tmp_path / "origin")
    monkeypatch.setenv("REIGN_GITHUB_CLONE_URL", f"file://{bare.parent.parent}/{{owner}}/{{repo}}.git")
    monkeypatch.setenv("REIGN_GITHUB_WORK_DIR", str(tmp_path / "clones"))
    return bare


@pytest.fixture
def ctx(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> ToolContext:
    monkeypatch.setattr(gh_client, "OPTIONS", gh_client.ClientOptions(0, 0.0, 0.0))
    return make_ctx(tmp_path)


def propose_args(**overrides: Any) -> dict[str, Any]:
    return {"repo": REPO, "title": EX.TITLE, "why": EX.WHY, "edits": EX.EDITS, **overrides}


def heads(bare: Path) -> dict[str, str]:
    out = git("for-each-ref", "--format=%(refname:short) %(objectname)", "refs/heads", cwd=bare)
    return dict(line.split() for line in out.splitlines())


def test_propose_change_end_to_end(remote: Path, ctx: ToolContext, tmp_path: Path) -> None:
    main_before = heads(remote)["main"]
    preview = gh_change.preview_propose_change(**propose_args(), ctx=ctx)
    assert preview.startswith(f"Pull request in {REPO}: reign/bump-web-image-to-1-5-0-")
    assert '-  tag: "1.4.2"\n+  tag: "1.5.0"\n' in preview and "--- a/charts/web/values.yaml" in preview
    assert gh_change.preview_propose_change(**propose_args(), ctx=ctx) == preview  # deterministic: what approval binds to

    ctx = dataclasses.replace(ctx, approved_preview=preview)
    with replay("propose_change"):  # the POST /pulls body (base, head, title, the why) is checked
        result = gh_change.propose_change(**propose_args(), ctx=ctx)

    branch = result["branch"]
    assert result["pull_request"] == 42 and result["base"] == "main"
    assert result["files"] == ["charts/web/values.yaml (1 replacement)"]
    refs = heads(remote)
    assert refs["main"] == main_before  # the base branch is untouched
    assert refs[branch].startswith(result["commit"])
    assert git("rev-parse", f"{branch}^", cwd=remote).strip() == main_before
    values = git("show", f"{branch}:charts/web/values.yaml", cwd=remote)
    assert values == EX.VALUES_YAML.replace('"1.4.2"', '"1.5.0"')
    message = git("log", "-1", "--format=%an <%ae>%n%s%n%n%b", branch, cwd=remote)
    assert message.startswith(f"Reign agent <reign-agent@users.noreply.github.com>\n{EX.TITLE}\n\n{EX.WHY}")
    assert git("diff", "--name-only", f"main..{branch}", cwd=remote).split() == ["charts/web/values.yaml"]

    clone = tmp_path / "clones" / "octo" / "app"
    config = (clone / ".git" / "config").read_text()
    assert TOKEN not in config and "extraheader" not in config
    assert TOKEN not in json.dumps(result)


def test_an_existing_branch_is_never_overwritten(remote: Path, ctx: ToolContext) -> None:
    with replay("propose_change"):
        first = gh_change.propose_change(**propose_args(), ctx=ctx)
    before = heads(remote)
    with pytest.raises(ToolError, match=f"branch {first['branch']} already exists in octo/app"):
        gh_change.propose_change(**propose_args(), ctx=ctx)  # same edits, same branch name: refused before any push
    with pytest.raises(ToolError, match="must differ from the base branch"):
        gh_change.propose_change(**propose_args(branch="main"), ctx=ctx)
    git("branch", "hotfix", "main", cwd=remote)
    before = heads(remote)
    with pytest.raises(ToolError, match="branch hotfix already exists in octo/app"):
        gh_change.propose_change(**propose_args(branch="hotfix"), ctx=ctx)
    assert heads(remote) == before


def test_a_change_that_differs_from_the_approved_one_is_refused(remote: Path, ctx: ToolContext) -> None:
    approved = gh_change.preview_propose_change(**propose_args(), ctx=ctx)
    # Someone bumps the tag on main before the approved proposal runs: the diff is no longer what was approved.
    work = remote.parent.parent / "work"
    git("clone", "--quiet", str(remote), str(work), cwd=remote.parent)
    values = work / "charts/web/values.yaml"
    values.write_text(values.read_text().replace("replicaCount: 2", "replicaCount: 3"))
    git("-c", "user.name=Bo", "-c", "user.email=bo@example.com", "commit", "--quiet", "-am", "Scale up", cwd=work)
    git("push", "--quiet", "origin", "main", cwd=work)
    before = heads(remote)
    ctx = dataclasses.replace(ctx, approved_preview=approved)
    with pytest.raises(ToolError, match="differs from what was approved"):
        gh_change.propose_change(**propose_args(), ctx=ctx)
    assert heads(remote) == before


@pytest.mark.parametrize(("edits", "message"), [
    ([{"path": "charts/web/values.yaml", "search": "tag: latest", "replace": "x"}], "search text is not in"),
    ([{"path": "charts/web/values.yaml", "search": "  ", "replace": "\t"}], "occurs 4 times"),
    ([{"path": "../outside.txt", "content": "x"}], "leaves the repository"),
    ([{"path": "/etc/hosts", "content": "x"}], "must be relative"),
    ([{"path": ".git/config", "content": "x"}], "inside .git"),
    ([{"path": "missing.yaml", "delete": True}], "does not exist on main"),
    ([{"path": "missing.yaml", "search": "a", "replace": "b"}], "does not exist on main"),
    ([{"path": "README.md", "content": "# app\n\nThe web frontend and its Helm chart.\n"}], "change nothing"),
    ([{"path": "README.md", "content": "x", "delete": True}], "exactly one of"),
])
def test_bad_edits_are_refused_before_anything_is_pushed(remote: Path, ctx: ToolContext,
                                                         edits: list[dict[str, Any]], message: str) -> None:
    before = heads(remote)
    with pytest.raises(ToolError, match=message):
        gh_change.propose_change(**propose_args(edits=edits), ctx=ctx)
    assert heads(remote) == before


def test_several_edits_create_rewrite_and_delete(remote: Path, ctx: ToolContext) -> None:
    edits = [{"path": "charts/web/values.yaml", "search": 'tag: "1.4.2"', "replace": 'tag: "1.5.0"'},
             {"path": "charts/web/values.yaml", "search": "replicaCount: 2", "replace": "replicaCount: 3"},
             {"path": "docs/rollout.md", "content": "Roll out with a PR.\n"},
             {"path": "README.md", "delete": True}]
    preview = gh_change.preview_propose_change(**propose_args(edits=edits), ctx=ctx)
    assert "--- /dev/null\n+++ b/docs/rollout.md\n@@ -0,0 +1 @@\n+Roll out with a PR.\n" in preview
    assert "--- a/README.md\n+++ /dev/null\n" in preview
    assert '+  tag: "1.5.0"' in preview and "+replicaCount: 3" in preview  # two edits of one file, applied in order


def test_the_pull_request_failing_after_the_push_says_so(remote: Path, ctx: ToolContext) -> None:
    with replay("propose_change_exists"), pytest.raises(ToolError) as err:
        gh_change.propose_change(**propose_args(), ctx=ctx)
    text = str(err.value)
    assert text.startswith("pushed branch reign/bump-web-image-to-1-5-0-") and "open it with github_create_pr" in text
    assert "A pull request already exists" in text


def test_the_token_reaches_git_only_through_the_environment(tmp_path: Path) -> None:
    ctx = make_ctx(tmp_path)
    remote = gh_clone.remote_for(ctx, REPO)
    assert remote.url == "https://github.com/octo/app.git" and TOKEN not in remote.url and TOKEN not in repr(remote)
    assert remote.env["GIT_CONFIG_KEY_0"] == "http.https://github.com/.extraheader"
    assert remote.env["GIT_CONFIG_VALUE_0"] == "AUTHORIZATION: basic " + base64.b64encode(
        f"x-access-token:{TOKEN}".encode()).decode()
    ghe = gh_clone.remote_for(make_ctx(tmp_path, base_url="https://ghe.example.test/api/v3"), REPO)
    assert ghe.url == "https://ghe.example.test/octo/app.git"
    assert ghe.env["GIT_CONFIG_KEY_0"] == "http.https://ghe.example.test/.extraheader"


def test_the_token_is_not_sent_to_another_host(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("REIGN_GITHUB_CLONE_URL", "https://mirror.example.test/{owner}/{repo}.git")
    remote = gh_clone.remote_for(make_ctx(tmp_path), REPO)
    assert remote.url == "https://mirror.example.test/octo/app.git" and remote.env == {}


def test_example_bump_image_tag_offline(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                        capsys: pytest.CaptureFixture[str]) -> None:
    """examples/bump-image-tag/run.py: the real CLI replays the model, vcrpy the GitHub API; git is real."""
    spec = importlib.util.spec_from_file_location("bump_image_tag_run", EXAMPLE / "run.py")
    assert spec and spec.loader
    example = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(example)
    for var in ("GITHUB_TOKEN", "REIGN_GITHUB_BASE_URL", "REIGN_GITHUB_CLONE_URL", "REIGN_GITHUB_WORK_DIR"):
        monkeypatch.setenv(var, "restored-after-the-test")
    monkeypatch.chdir(tmp_path)
    assert example.run(tmp_path, "--output", "json") == 0
    out = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    assert out["stop_reason"] == "completed"
    read, propose = out["tool_calls"]
    assert (read["tool"], read["decision"], read["ok"]) == ("github_read_file", "allow", True)
    assert (propose["tool"], propose["decision"], propose["rule"]) == ("github_propose_change", "ask",
                                                                        "github-propose-change")
    assert propose["approved"] is True and propose["ok"] is True
    pr = json.loads(propose["output"])
    bare = tmp_path / "origin" / "remotes" / "octo" / "app.git"
    assert pr["pull_request"] == 42 and pr["branch"] in heads(bare)
    assert git("show", f"{pr['branch']}:charts/web/values.yaml", cwd=bare) == EX.VALUES_YAML.replace("1.4.2", "1.5.0")
    assert "octo/app#42" in out["final"]
