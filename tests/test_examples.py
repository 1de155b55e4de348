"""The examples/ scenarios end to end: a synthesized model cassette drives real engines.

The model's side is a cassette (no LLM is reachable here); Docker and Terraform are real, and each
test checks the state of the engine afterwards, not just what the model said.
"""

from __future__ import annotations

import contextlib
import dataclasses
import json
import shutil
import urllib.request
from pathlib import Path

import pytest
from click.testing import CliRunner

from reign.cli import main

ROOT = Path(__file__).resolve().parent.parent


def _run(cassette: Path, *args: str) -> tuple[int, dict]:
    result = CliRunner().invoke(main, ["run", "--cassette", str(cassette), "--output", "json", *args, "goal"])
    assert result.stdout.strip(), result.output
    return result.exit_code, json.loads(result.stdout.strip().splitlines()[-1])


@pytest.mark.terraform
def test_terraform_example_plans_asks_and_applies(workdir: Path, tf_cli_config) -> None:
    shutil.copytree(ROOT / "examples/terraform-apply/infra", workdir / "infra")
    cassette = ROOT / "examples/terraform-apply/cassette.yaml"
    code, out = _run(cassette)
    assert code == 0
    refused = [c for c in out["tool_calls"] if c["approved"] is False]
    assert [c["tool"] for c in refused] == ["terraform_init", "terraform_apply"]
    assert not (workdir / "infra" / "terraform.tfstate").exists()

    code, out = _run(cassette, "--yes")  # --yes approves the routine init, never the apply (issue 11)
    calls = {c["tool"]: c for c in out["tool_calls"]}
    assert code == 0 and calls["terraform_init"]["ok"] and not calls["terraform_apply"]["ok"]
    assert "--yes approves only routine" in calls["terraform_apply"]["output"]
    assert not (workdir / "infra" / "terraform.tfstate").exists()


@pytest.mark.terraform
def test_apply_refuses_a_plan_that_is_not_the_approved_one(workdir: Path, tf_cli_config) -> None:
    from reign.config import Settings
    from reign.errors import ToolError
    from reign.managers.terraform import tools as tf
    from reign.toolcontext import ToolContext

    shutil.copytree(ROOT / "examples/terraform-apply/infra", workdir / "infra")
    ctx = ToolContext(settings=Settings(workspace_root=workdir, tool_timeout=120))
    tf.init(dir="infra", ctx=ctx)
    first = tf.plan(dir="infra", ctx=ctx)
    approved = tf.preview_apply(dir="infra", ctx=ctx)
    with pytest.raises(ToolError, match="nobody approved"):
        tf.apply(dir="infra", ctx=ctx)  # no hash and no approval: refused
    (workdir / "infra" / "main.tf").write_text((workdir / "infra" / "main.tf").read_text().replace(
        "hello from reign", "changed"))
    second = tf.plan(dir="infra", ctx=ctx)
    assert second["sha256"] != first["sha256"]
    ctx = dataclasses.replace(ctx, approved_preview=approved)  # the person approved the first plan; the disk now holds another
    with pytest.raises(ToolError, match="not the approved"):
        tf.apply(dir="infra", ctx=ctx)
    assert not (workdir / "infra" / "terraform.tfstate").exists()


@pytest.mark.docker
def test_docker_example_serves_http_on_loopback(workdir: Path, docker_engine: str, busybox_image: str) -> None:
    import docker

    client = docker.DockerClient(base_url=docker_engine)
    for old in client.containers.list(all=True, filters={"name": "reign-web"}):
        old.remove(force=True)
    try:
        code, out = _run(ROOT / "examples/docker-web/cassette.yaml", "--yes")
        assert code == 0, out
        run = next(c for c in out["tool_calls"] if c["tool"] == "docker_run")
        assert run["decision"] == "ask" and run["approved"] is True and run["ok"], run["output"]
        container = client.containers.get("reign-web")
        assert container.status == "running" and container.attrs["HostConfig"]["NetworkMode"] == "host"
        with urllib.request.urlopen("http://127.0.0.1:18080/", timeout=5) as reply:
            assert reply.read().decode().strip() == "hello from reign"
        assert "hello from reign" in out["tool_calls"][-1]["output"]
    finally:
        for c in client.containers.list(all=True, filters={"name": "reign-web"}):
            c.remove(force=True)


@pytest.mark.helm
def test_helm_example_creates_lints_and_renders_a_chart(workdir: Path, helm_engine) -> None:
    shutil.copy(ROOT / "examples/helm-chart/values-prod.yaml", workdir / "values-prod.yaml")
    code, out = _run(ROOT / "examples/helm-chart/cassette.yaml", "--yes")
    assert code == 0, out
    calls = {c["tool"]: c for c in out["tool_calls"]}
    assert calls["helm_create"]["approved"] is True and (workdir / "shop" / "Chart.yaml").is_file()
    assert calls["helm_lint"]["ok"], calls["helm_lint"]["output"]
    rendered = calls["helm_template"]["output"]
    assert "kind: Deployment" in rendered and "replicas: 3" in rendered and "1.4.2" in rendered


@pytest.mark.docker
@pytest.mark.files
def test_containerize_example_writes_the_dockerfile_through_an_approved_diff_builds_and_serves(
        workdir: Path, docker_engine: str) -> None:
    """The base image is a local stand-in tagged as the pinned one (no registry here): Debian's CPython + busybox."""
    import subprocess

    import docker

    base = subprocess.run(["bash", str(ROOT / "scripts/docker-stack-base.sh"), "python"], capture_output=True, text=True,
                          timeout=300)
    if base.returncode != 0:
        pytest.skip(f"cannot build the local python base image: {base.stderr.strip()[-200:]}")
    shutil.copytree(ROOT / "examples/containerize-web/webapp", workdir / "webapp")
    cassette = ROOT / "examples/containerize-web/cassette.yaml"
    client = docker.DockerClient(base_url=docker_engine)
    for old in client.containers.list(all=True, filters={"name": "reign-webapp"}):
        old.remove(force=True)
    code, out = _run(cassette)  # nobody approves: nothing is written or built
    assert code == 0 and not (workdir / "webapp" / "Dockerfile").exists()
    assert next(c["tool"] for c in out["tool_calls"] if c["approved"] is False) == "file_generate"
    try:
        code, out = _run(cassette, "--yes")
        calls = {c["tool"]: c for c in out["tool_calls"]}
        assert code == 0 and all(c["ok"] for c in out["tool_calls"]), out["tool_calls"]
        preview = calls["file_generate"]["preview"]
        assert "# create webapp/Dockerfile" in preview and "+USER 10001:10001" in preview
        assert (workdir / "webapp" / "Dockerfile").read_text().count("FROM ") == 2
        assert json.loads(calls["file_validate"]["output"])["ok"] is True
        body = ""
        for _ in range(50):
            try:
                with urllib.request.urlopen("http://127.0.0.1:18092/", timeout=2) as reply:
                    body = reply.read().decode()
                break
            except OSError:
                import time

                time.sleep(0.1)
        assert body == "hello from a reign-built image\n"
        container = client.containers.get("reign-webapp")
        assert container.attrs["Config"]["User"] == "10001:10001"
    finally:
        for c in client.containers.list(all=True, filters={"name": "reign-webapp"}):
            c.remove(force=True)
        with contextlib.suppress(docker.errors.ImageNotFound):
            client.images.remove("reign-example/webapp:0.1.0", force=True)


@pytest.mark.terraform
def test_terraform_module_example_writes_validates_and_plans(workdir: Path, tf_cli_config) -> None:
    tf_cli_config()
    cassette = ROOT / "examples/terraform-module/cassette.yaml"
    code, out = _run(cassette)
    assert code == 0 and not (workdir / "modules").exists()  # the diff was not approved: nothing written
    code, out = _run(cassette, "--yes")
    calls = {c["tool"]: c for c in out["tool_calls"]}
    assert code == 0 and all(c["ok"] for c in out["tool_calls"]), out["tool_calls"]
    assert "# create modules/greeting/versions.tf" in calls["file_generate"]["preview"]
    assert json.loads(calls["file_validate"]["output"])["checks"] == {"terraform": "ran"}
    assert json.loads(calls["file_validate"]["output"])["ok"] is True
    assert json.loads(calls["terraform_plan"]["output"])["summary"]["counts"]["add"] == 1
    assert "Says hello from Reign." in (workdir / "modules/greeting/README.md").read_text()
    assert not (workdir / "modules/greeting/terraform.tfstate").exists()  # planned, not applied
