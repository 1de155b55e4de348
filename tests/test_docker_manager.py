"""Docker manager against a real engine (marker `docker`), and catalogue/classifier checks with no engine.

Everything the engine tests create carries the label reign-test=1 (or a reign-test/* tag) and is removed
by label afterwards. Network traffic goes to 127.0.0.1 only: servers run with network_mode host.
"""

from __future__ import annotations

import importlib
import inspect
import os
import socket
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml

from reign.config import Settings
from reign.errors import ToolError
from reign.managers.docker import client as dk_client
from reign.managers.docker import compose as dk_compose
from reign.managers.docker import containers as dk_containers
from reign.managers.docker import format as dk_format
from reign.managers.docker import images as dk_images
from reign.managers.docker import resources as dk_resources
from reign.managers.docker import specs as dk_specs
from reign.toolcontext import ToolContext

try:  # until tests/conftest.py imports them; harmless afterwards (the engine is reused, not restarted)
    from conftest_docker import busybox_image, docker_engine
except ImportError:  # tests/ is a package
    from tests.conftest_docker import busybox_image, docker_engine  # noqa: F401

ROOT = Path(__file__).resolve().parent.parent
CATALOGUE = ROOT / "tools" / "docker.yaml"
LABEL = "reign-test=1"
LABELS = {"reign-test": "1"}
IMAGE = "reign-test/busybox:latest"


# --------------------------------------------------------------------------- fixtures and helpers


def _cleanup(url: str) -> None:
    import docker

    client = docker.DockerClient(base_url=url, version="auto", timeout=30)
    try:
        for c in client.containers.list(all=True, filters={"label": LABEL}):
            c.remove(force=True)
        for c in client.containers.list(all=True, filters={"label": "reign.project=reigntest"}):
            c.remove(force=True)
        for n in client.networks.list(filters={"label": LABEL}):
            n.remove()
        for v in client.volumes.list(filters={"label": LABEL}):
            v.remove(force=True)
        for v in client.volumes.list(filters={"label": "reign.project=reigntest"}):
            v.remove(force=True)
        for img in client.images.list():
            for tag in img.tags:
                if tag.startswith("reign-test/") and tag != IMAGE:
                    client.images.remove(tag, force=True)
        for img in client.images.list(filters={"label": LABEL}):
            client.images.remove(img.id, force=True)
    finally:
        client.close()


@pytest.fixture
def engine(docker_engine: str, busybox_image: str) -> Iterator[str]:
    _cleanup(docker_engine)
    yield docker_engine
    _cleanup(docker_engine)


@pytest.fixture
def ctx(settings: Settings, workdir: Path) -> ToolContext:
    return ToolContext(settings=settings, cwd=workdir)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


def _get(url: str, attempts: int = 50) -> str:
    last: Exception | None = None
    for _ in range(attempts):
        try:
            with urllib.request.urlopen(url, timeout=2) as resp:  # 127.0.0.1 only
                body: str = resp.read().decode()
                return body
        except OSError as exc:
            last = exc
            time.sleep(0.1)
    raise AssertionError(f"{url} did not answer: {last}")


def _one_line(exc: pytest.ExceptionInfo[ToolError]) -> str:
    msg = str(exc.value)
    assert msg and "\n" not in msg, repr(msg)
    return msg


def _sleeper(ctx: ToolContext, name: str, **kw: Any) -> dict[str, Any]:
    return dk_containers.run_container(
        image=IMAGE, command="sleep 300", name=name, labels=LABELS, network_mode="none", ctx=ctx, **kw
    )


# --------------------------------------------------------------------------- engine tests


@pytest.mark.docker
def test_run_ps_inspect_logs_exec(engine: str, ctx: ToolContext) -> None:
    assert dk_client.available(Settings()) is None
    assert dk_client.available(ctx.settings) is None
    out = dk_containers.run_container(
        image=IMAGE,
        command="echo hello; echo oops >&2; exec sleep 300",
        name="reign-t-main",
        env={"GREETING": "hi", "SECRET_TOKEN": "s3cr3t"},
        labels=LABELS,
        network_mode="none",
        restart_policy="on-failure:2",
        mem_limit="64m",
        cpus=0.5,
        ctx=ctx,
    )
    assert out["name"] == "reign-t-main" and out["status"] == "running" and len(out["id"]) == 12

    rows = dk_containers.list_containers(label=[LABEL], ctx=ctx)
    assert [r["name"] for r in rows] == ["reign-t-main"]
    assert rows[0]["image"] == IMAGE and rows[0]["state"] == "running"
    assert set(rows[0]) <= {"id", "name", "image", "state", "status", "ports"}
    assert dk_containers.list_containers(label=[LABEL], status="exited", ctx=ctx) == []
    assert [r["name"] for r in dk_containers.list_containers(name="reign-t-ma", ctx=ctx)] == ["reign-t-main"]

    info = dk_containers.inspect_container(container="reign-t-main", ctx=ctx)
    assert info["state"]["status"] == "running" and info["init"] is True
    assert info["labels"]["reign-test"] == "1" and info["network_mode"] == "none"
    assert info["restart_policy"] == "on-failure:2" and info["mem_limit"] == "64.0MiB" and info["cpus"] == 0.5
    assert info["cmd"][:2] == ["/bin/sh", "-c"]
    assert "SECRET_TOKEN" in info["env_keys"] and "s3cr3t" not in repr(info)  # names only, never values

    for _ in range(50):
        logs = dk_containers.container_logs(container="reign-t-main", ctx=ctx)
        if "oops" in logs:
            break
        time.sleep(0.1)
    assert "hello" in logs and "oops" in logs
    assert dk_containers.container_logs(container="reign-t-main", tail=1, ctx=ctx).count("\n") == 0
    stamped = dk_containers.container_logs(container="reign-t-main", timestamps=True, since="1h", ctx=ctx)
    assert stamped.split(" ", 1)[0].startswith(time.strftime("%Y-", time.gmtime()))
    assert dk_containers.container_logs(container="reign-t-main", since="2000-01-01T00:00:00Z", ctx=ctx)
    with pytest.raises(ToolError) as bad_since:
        dk_containers.container_logs(container="reign-t-main", since="yesterday", ctx=ctx)
    assert "since" in _one_line(bad_since)

    res = dk_containers.exec_command(
        container="reign-t-main", command="echo $GREETING; pwd; exit 3", workdir="/tmp", ctx=ctx
    )
    assert res == {"exit_code": 3, "output": "hi\n/tmp"}
    res = dk_containers.exec_command(container="reign-t-main", command=["id", "-u"], user="nobody", ctx=ctx)
    assert res == {"exit_code": 0, "output": "65534"}
    res = dk_containers.exec_command(container="reign-t-main", command="echo $X", env={"X": "42"}, ctx=ctx)
    assert res["output"] == "42"
    res = dk_containers.exec_command(container="reign-t-main", command="no-such-program", ctx=ctx)
    assert res["exit_code"] != 0

    with pytest.raises(ToolError) as missing:
        dk_containers.inspect_container(container="reign-t-missing", ctx=ctx)
    assert _one_line(missing).startswith("not found:")


@pytest.mark.docker
def test_http_server_on_host_network_stats_stop_start_remove(engine: str, ctx: ToolContext) -> None:
    port = _free_port()
    out = dk_containers.run_container(
        image=IMAGE,
        command=["httpd", "-f", "-p", f"127.0.0.1:{port}", "-h", "/www"],
        name="reign-t-web",
        labels=LABELS,
        network_mode="host",
        ctx=ctx,
    )
    assert out["status"] == "running"
    wrote = dk_containers.exec_command(
        container="reign-t-web", command="echo served-by-reign > /www/index.html", ctx=ctx
    )
    assert wrote["exit_code"] == 0
    assert _get(f"http://127.0.0.1:{port}/index.html").strip() == "served-by-reign"

    stats = dk_containers.container_stats(container="reign-t-web", ctx=ctx)
    assert isinstance(stats["cpu_percent"], float) and stats["cpu_percent"] >= 0
    assert stats["mem_usage"].endswith("B") and stats["mem_limit"].endswith("B")
    assert stats["pids"] >= 1

    t0 = time.monotonic()
    stopped = dk_containers.stop_container(container="reign-t-web", timeout=10, ctx=ctx)
    assert stopped["status"] == "exited" and time.monotonic() - t0 < 5  # init=True: SIGTERM is honoured
    assert dk_containers.container_stats(container="reign-t-web", ctx=ctx)["note"] == "container is not running"
    assert dk_containers.start_container(container="reign-t-web", ctx=ctx)["status"] == "running"
    assert _get(f"http://127.0.0.1:{port}/index.html").strip() == "served-by-reign"  # same filesystem
    assert dk_containers.restart_container(container="reign-t-web", timeout=2, ctx=ctx)["status"] == "running"

    with pytest.raises(ToolError) as running:
        dk_containers.remove_container(container="reign-t-web", ctx=ctx)
    assert "docker engine error (409)" in _one_line(running)
    assert dk_containers.remove_container(container="reign-t-web", force=True, ctx=ctx) == {"removed": "reign-t-web"}
    assert dk_containers.list_containers(label=[LABEL], ctx=ctx) == []


@pytest.mark.docker
def test_run_attached_and_missing_image(engine: str, ctx: ToolContext) -> None:
    out = dk_containers.run_container(
        image=IMAGE,
        command="echo out; echo err >&2; exit 4",
        detach=False,
        remove=True,
        labels=LABELS,
        network_mode="none",
        ctx=ctx,
    )
    assert out["exit_code"] == 4 and "out" in out["output"] and "err" in out["output"]
    assert dk_containers.list_containers(label=[LABEL], ctx=ctx) == []  # removed after it ran

    with pytest.raises(ToolError) as missing:
        dk_containers.run_container(image="reign-test/never-built:1", labels=LABELS, ctx=ctx)
    assert "not found locally" in _one_line(missing) and "docker_pull" in str(missing.value)

    with pytest.raises(ToolError) as bad_cmd:  # start fails: the created container is removed again
        dk_containers.run_container(
            image=IMAGE, command=["/no/such/binary"], init=False, labels=LABELS, network_mode="none", ctx=ctx
        )
    _one_line(bad_cmd)
    assert dk_containers.list_containers(label=[LABEL], ctx=ctx) == []


@pytest.mark.docker
def test_images_tag_remove(engine: str, ctx: ToolContext) -> None:
    rows = dk_images.list_images(name="reign-test/busybox", ctx=ctx)
    assert len(rows) == 1 and IMAGE in rows[0]["tags"] and len(rows[0]["id"]) == 12
    tagged = dk_images.tag_image(image=IMAGE, target="reign-test/tagged:v1", ctx=ctx)
    assert tagged == {"id": rows[0]["id"], "tag": "reign-test/tagged:v1"}
    assert dk_images.tag_image(image=IMAGE, target="reign-test/tagged", ctx=ctx)["tag"] == "reign-test/tagged:latest"
    assert {"reign-test/tagged:v1", "reign-test/tagged:latest"} <= set(
        dk_images.list_images(name="reign-test/tagged", ctx=ctx)[0]["tags"]
    )
    assert dk_images.remove_image(image="reign-test/tagged:v1", ctx=ctx) == {"untagged": ["reign-test/tagged:v1"]}
    dk_images.remove_image(image="reign-test/tagged:latest", ctx=ctx)
    assert dk_images.list_images(name="reign-test/tagged", ctx=ctx) == []
    with pytest.raises(ToolError) as gone:
        dk_images.remove_image(image="reign-test/tagged:v1", ctx=ctx)
    assert _one_line(gone).startswith("not found:")


@pytest.mark.docker
def test_build_from_context(engine: str, ctx: ToolContext, workdir: Path) -> None:
    app = workdir / "app"
    app.mkdir()
    (app / "msg.txt").write_text("built by reign\n")
    (app / "Dockerfile").write_text(
        "FROM reign-test/busybox:latest\nARG WHO=nobody\nCOPY msg.txt /msg.txt\n"
        'RUN echo "for $WHO" >> /msg.txt\nCMD ["cat", "/msg.txt"]\n'
    )
    out = dk_images.build_image(
        path="app",
        tag="reign-test/built:1",
        buildargs={"WHO": "tests"},
        labels=LABELS,
        network_mode="none",
        ctx=ctx,
    )
    assert len(out["id"]) == 12 and out["tag"] == "reign-test/built:1"
    assert any("Successfully" in line for line in out["log"]) and len(out["log"]) <= 10
    ran = dk_containers.run_container(
        image="reign-test/built:1", detach=False, remove=True, labels=LABELS, network_mode="none", ctx=ctx
    )
    assert ran["output"] == "built by reign\nfor tests"

    (app / "Broken.dockerfile").write_text("FROM reign-test/busybox:latest\nRUN exit 7\n")
    with pytest.raises(ToolError) as failed:
        dk_images.build_image(
            path=str(app), dockerfile="Broken.dockerfile", labels=LABELS, network_mode="none", ctx=ctx
        )
    msg = _one_line(failed)
    assert msg.startswith("build failed:") and "7" in msg and "Step 2/" in msg


@pytest.mark.docker
def test_build_outside_workspace_refused(ctx: ToolContext, workdir: Path, tmp_path_factory: Any) -> None:
    outside = tmp_path_factory.mktemp("outside")
    (outside / "Dockerfile").write_text("FROM scratch\n")
    for path in (str(outside), "..", "/"):
        with pytest.raises(ToolError) as refused:
            dk_images.build_image(path=path, ctx=ctx)
        assert "outside the workspace root" in _one_line(refused)
    (workdir / "ctx").mkdir()
    (workdir / "ctx" / "link").symlink_to(outside)
    with pytest.raises(ToolError) as via_link:
        dk_images.build_image(path="ctx/link", ctx=ctx)
    assert "outside the workspace root" in _one_line(via_link)
    with pytest.raises(ToolError) as df:
        dk_images.build_image(path="ctx", dockerfile="../../x/Dockerfile", ctx=ctx)
    assert "outside the build context" in _one_line(df)


@pytest.mark.docker
def test_networks_and_volumes(engine: str, ctx: ToolContext) -> None:
    net = dk_resources.create_network(name="reign-t-net", labels=LABELS, internal=True, ctx=ctx)
    assert net["name"] == "reign-t-net" and len(net["id"]) == 12
    rows = dk_resources.list_networks(label=[LABEL], ctx=ctx)
    assert rows == [
        {"id": net["id"], "name": "reign-t-net", "driver": "bridge", "scope": "local", "internal": True}
    ]
    assert dk_resources.list_networks(name="reign-t-net", ctx=ctx)[0]["name"] == "reign-t-net"
    assert dk_resources.remove_network(name="reign-t-net", ctx=ctx) == {"removed": "reign-t-net"}
    assert dk_resources.list_networks(label=[LABEL], ctx=ctx) == []

    vol = dk_resources.create_volume(name="reign-t-vol", labels=LABELS, ctx=ctx)
    assert vol == {"name": "reign-t-vol", "driver": "local"}
    assert dk_resources.list_volumes(label=[LABEL], ctx=ctx) == [
        {"name": "reign-t-vol", "driver": "local", "labels": LABELS}
    ]
    out = dk_containers.run_container(
        image=IMAGE,
        command="echo kept > /data/f && cat /data/f",
        volumes=["reign-t-vol:/data"],
        detach=False,
        remove=True,
        labels=LABELS,
        network_mode="none",
        ctx=ctx,
    )
    assert out["output"] == "kept"
    assert dk_resources.remove_volume(name="reign-t-vol", ctx=ctx) == {"removed": "reign-t-vol"}
    assert dk_resources.list_volumes(label=[LABEL], ctx=ctx) == []
    with pytest.raises(ToolError) as gone:
        dk_resources.remove_volume(name="reign-t-vol", ctx=ctx)
    assert _one_line(gone).startswith("not found:")


@pytest.mark.docker
def test_bind_mounts_relative_and_symlinked(engine: str, ctx: ToolContext, workdir: Path) -> None:
    (workdir / "site").mkdir()
    (workdir / "site" / "index.html").write_text("hello from the workspace")
    out = dk_containers.run_container(
        image=IMAGE,
        command="cat /www/index.html",
        volumes=["./site:/www:ro"],
        detach=False,
        remove=True,
        labels=LABELS,
        network_mode="none",
        ctx=ctx,
    )
    assert out["output"] == "hello from the workspace"
    with pytest.raises(ToolError) as escape:
        dk_containers.run_container(image=IMAGE, volumes=["../..:/up"], labels=LABELS, ctx=ctx)
    assert "outside the workspace root" in _one_line(escape)
    (workdir / "innocent").symlink_to("/")
    with pytest.raises(ToolError) as hidden:
        dk_containers.run_container(image=IMAGE, volumes=[f"{workdir}/innocent:/host"], labels=LABELS, ctx=ctx)
    assert "resolves to /" in _one_line(hidden)
    with pytest.raises(ToolError) as hidden_rel:
        dk_containers.run_container(image=IMAGE, volumes=["./innocent:/host"], labels=LABELS, ctx=ctx)
    assert "outside the workspace root" in _one_line(hidden_rel)
    sock_dir = os.path.dirname(engine.removeprefix("unix://"))
    (workdir / "engine").symlink_to(sock_dir)
    with pytest.raises(ToolError) as sock:
        dk_containers.run_container(image=IMAGE, volumes=[f"{workdir}/engine:/e"], labels=LABELS, ctx=ctx)
    assert "give the real path" in _one_line(sock)
    assert dk_containers.list_containers(label=[LABEL], ctx=ctx) == []


@pytest.mark.docker
def test_pull_reports_unreachable_registry(engine: str, ctx: ToolContext) -> None:
    with pytest.raises(ToolError) as exc:  # a loopback registry port where nothing listens
        dk_images.pull_image(image="127.0.0.1:1/reign-test/nothing", ctx=ctx)
    msg = _one_line(exc)
    assert msg.startswith("cannot reach registry for 127.0.0.1:1/reign-test/nothing:latest: "), msg


@pytest.mark.docker
def test_prune_by_label(engine: str, ctx: ToolContext) -> None:
    _sleeper(ctx, "reign-t-prune")
    dk_containers.stop_container(container="reign-t-prune", timeout=1, ctx=ctx)
    dk_resources.create_volume(name="reign-t-prune-vol", labels=LABELS, ctx=ctx)
    out = dk_resources.prune(containers=True, volumes=True, label=[LABEL], ctx=ctx)
    assert out["containers"] == 1 and out["volumes"] == 1 and "reclaimed" in out
    assert dk_containers.list_containers(label=[LABEL], ctx=ctx) == []
    with pytest.raises(ToolError) as nothing:
        dk_resources.prune(ctx=ctx)
    assert "nothing to prune" in _one_line(nothing)


@pytest.mark.docker
def test_compose_up_down(engine: str, ctx: ToolContext) -> None:
    port = _free_port()
    services: dict[str, Any] = {
        "web": {
            "image": IMAGE,
            "command": ["httpd", "-f", "-p", f"127.0.0.1:{port}", "-h", "/www"],
            "network_mode": "host",
            "labels": LABELS,
        },
        "worker": {
            "image": IMAGE,
            "command": "echo $MODE > /data/mode; exec sleep 300",
            "environment": ["MODE=batch"],
            "volumes": ["reigntest-data:/data"],
            "network_mode": "none",
            "restart": "unless-stopped",
            "labels": LABELS,
        },
    }
    up = dk_compose.compose_up(project="reigntest", services=services, ctx=ctx)
    assert up == {"project": "reigntest", "services": {"web": "created", "worker": "created"}}
    names = sorted(r["name"] for r in dk_containers.list_containers(label=["reign.project=reigntest"], ctx=ctx))
    assert names == ["reigntest-web", "reigntest-worker"]
    dk_containers.exec_command(container="reigntest-web", command="echo compose > /www/index.html", ctx=ctx)
    assert _get(f"http://127.0.0.1:{port}/").strip() == "compose"
    assert dk_containers.inspect_container(container="reigntest-worker", ctx=ctx)["restart_policy"] == "unless-stopped"

    again = dk_compose.compose_up(project="reigntest", services=services, ctx=ctx)
    assert again["services"] == {"web": "unchanged", "worker": "unchanged"}
    services["worker"]["environment"] = {"MODE": "stream"}
    del services["web"]
    changed = dk_compose.compose_up(project="reigntest", services=services, ctx=ctx)
    assert changed["services"] == {"worker": "recreated", "web": "removed (orphan)"}
    for _ in range(50):
        mode = dk_containers.exec_command(container="reigntest-worker", command="cat /data/mode", ctx=ctx)["output"]
        if mode:
            break
        time.sleep(0.1)
    assert mode == "stream"

    down = dk_compose.compose_down(project="reigntest", volumes=True, ctx=ctx)
    assert down == {"project": "reigntest", "removed": ["reigntest-worker"], "volumes": ["reigntest-data"]}
    assert dk_containers.list_containers(label=["reign.project=reigntest"], ctx=ctx) == []


@pytest.mark.docker
def test_unreachable_engine_is_one_line(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    dead = f"unix://{tmp_path}/dead.sock"
    monkeypatch.setenv("DOCKER_HOST", dead)
    monkeypatch.delenv("REIGN_DOCKER_HOST", raising=False)
    assert dk_client.available(Settings()) == f"Docker engine unreachable at {dead} (no such socket)"
    with pytest.raises(ToolError) as exc:
        dk_containers.list_containers()
    assert _one_line(exc) == f"Docker engine unreachable at {dead} (no such socket)"

    # a socket file where nothing listens: connection refused; ctx.settings.docker_host wins over $DOCKER_HOST
    path = tmp_path / "refused.sock"
    with socket.socket(socket.AF_UNIX) as s:
        s.bind(str(path))
        ctx = ToolContext(settings=Settings(docker_host=f"unix://{path}"))
        assert dk_client.available(ctx.settings) == f"Docker engine unreachable at unix://{path} (connection refused)"
        with pytest.raises(ToolError) as refused:
            dk_containers.run_container(image=IMAGE, ctx=ctx)
        assert _one_line(refused) == f"Docker engine unreachable at unix://{path} (connection refused)"
    monkeypatch.setenv("REIGN_DOCKER_HOST", dead)
    monkeypatch.setenv("DOCKER_HOST", "unix:///nonexistent/other.sock")
    assert dk_client.available(Settings()) == f"Docker engine unreachable at {dead} (no such socket)"


# --------------------------------------------------------------------------- no engine needed


def _catalogue() -> dict[str, Any]:
    data: dict[str, Any] = yaml.safe_load(CATALOGUE.read_text())
    return data


def test_catalogue_names_effects_and_fields() -> None:
    """What is Docker's own (the schema/signature match of every tool is in test_tools_core)."""
    data = _catalogue()
    assert data["manager"] == "docker"
    mod, _, fn = data["available"].partition(":")
    assert getattr(importlib.import_module(mod), fn) is dk_client.available
    names = [t["name"] for t in data["tools"]]
    assert len(names) == len(set(names))
    for tool in data["tools"]:
        where = tool["name"]
        assert set(tool) == {"name", "description", "effect", "impl", "input_schema"}, where
        assert where.startswith("docker_") and tool["effect"] in ("read", "write", "destructive")
        assert len(tool["description"]) <= 200, where
        module, _, func = tool["impl"].partition(":")
        assert "ctx" in inspect.signature(getattr(importlib.import_module(module), func)).parameters, where


def test_catalogue_effects() -> None:
    effects = {t["name"]: t["effect"] for t in _catalogue()["tools"]}
    assert {n for n, e in effects.items() if e == "read"} == {
        "docker_ps",
        "docker_inspect",
        "docker_logs",
        "docker_stats",
        "docker_images",
        "docker_network_ls",
        "docker_volume_ls",
    }
    assert {n for n, e in effects.items() if e == "destructive"} == {
        "docker_rm",
        "docker_rmi",
        "docker_network_rm",
        "docker_volume_rm",
        "docker_prune",
        "docker_compose_down",
    }


def test_schemas_accept_and_reject() -> None:
    from jsonschema import Draft202012Validator

    tools = {t["name"]: Draft202012Validator(t["input_schema"]) for t in _catalogue()["tools"]}
    run = tools["docker_run"]
    assert run.is_valid(
        {"image": "busybox", "command": ["sh", "-c", "true"], "ports": {"80/tcp": "127.0.0.1:8080"}}
    )
    assert run.is_valid({"image": "busybox", "command": "echo hi", "volumes": ["/srv:/srv:ro", "data:/data"]})
    assert not run.is_valid({"image": "busybox", "devices": ["/dev/sda"]})
    assert not run.is_valid({"image": "busybox", "cap_add": ["sys_admin"]})
    assert not run.is_valid({"image": "busybox", "restart_policy": "sometimes"})
    assert not run.is_valid({"image": "busybox", "ports": {"http": 80}})
    assert not tools["docker_build"].is_valid({"path": ".", "dockerfile": "/etc/Dockerfile"})
    up = tools["docker_compose_up"]
    assert up.is_valid({"project": "p", "services": {"a": {"image": "x", "environment": {"A": "1"}}}})
    assert up.is_valid({"project": "p", "services": {"a": {"image": "x", "environment": ["A=1"]}}})
    assert not up.is_valid({"project": "p", "services": {"a": {"image": "x", "privileged": True}}})


def test_classifier_facts() -> None:
    from reign.policy.classifiers.docker import facts
    from reign.policy.gate import GateContext

    ctx = GateContext(home="/home/ana", extra={"docker_host": "unix:///tmp/reign-docker/docker.sock"})

    def f(*volumes: str) -> set[str]:  # the mount kinds; host_takeover_mount is checked on its own below
        return facts("docker_run", {"image": "x", "volumes": list(volumes)}, ctx) - {"host_takeover_mount"}

    def takeover(volume: str) -> bool:
        return "host_takeover_mount" in facts("docker_run", {"image": "x", "volumes": [volume]}, ctx)

    assert takeover("/:/host") and takeover("/etc:/e") and takeover("/home/ana:/h")
    assert not takeover("/srv/data:/data") and not takeover("./site:/www")
    assert f("/:/host") == {"host_root_mount", "docker_socket_mount"}
    assert (
        "host_root_mount" in f("//:/h")
        and "host_root_mount" in f("/etc/../:/h")
        and "host_root_mount" in f("/./:/h")
    )
    assert f("/var/run/docker.sock:/var/run/docker.sock") == {"docker_socket_mount"}
    assert f("/tmp/reign-docker:/x") == {"docker_socket_mount"}
    assert "docker_socket_mount" in f("/run:/r") and "docker_socket_mount" in f(
        "/run/user/1000/docker.sock:/s"
    )
    assert f("/etc:/e:ro") == {"host_system_mount"} and takeover("/etc:/e:ro")  # all of /etc, even read-only
    assert f("/etc/localtime:/etc/localtime:ro") == {"host_system_mount"}
    assert not takeover("/etc/localtime:/etc/localtime:ro")  # one file, read-only: not a takeover
    assert f("~/.ssh:/k") == {"host_credentials_mount"}
    assert f("/home/ana:/h") == {"host_system_mount"}
    assert f("/srv/data:/data", "cache:/cache", "/anon", "./site:/www") == set()
    assert facts("docker_run", {"image": "x", "volumes": {"/": {"bind": "/h", "mode": "ro"}}}, ctx) >= {
        "host_root_mount"
    }
    up = {
        "project": "p",
        "services": {"a": {"image": "x", "volumes": ["/var/run/docker.sock:/s"]}, "b": {"image": "y"}},
    }
    assert facts("docker_compose_up", up, ctx) == {"docker_socket_mount"}
    assert facts("docker_ps", {}, ctx) == set()


def test_helpers() -> None:
    assert dk_specs.command_argv("sleep 300") == ["sleep", "300"]
    assert dk_specs.command_argv("echo $HOME") == ["/bin/sh", "-c", "echo $HOME"]
    assert dk_specs.command_argv("a | b") == ["/bin/sh", "-c", "a | b"]
    assert dk_specs.command_argv(["echo", "a b"]) == ["echo", "a b"]
    assert dk_specs.restart_spec("on-failure:3") == {"Name": "on-failure", "MaximumRetryCount": 3}
    assert dk_specs.restart_spec("no") is None
    assert dk_specs.port_bindings({"80": 8080, "53/udp": "127.0.0.1:5353"}) == {
        "80/tcp": 8080,
        "53/udp": ("127.0.0.1", 5353),
    }
    now = time.time()
    assert abs(dk_containers._since("10m") - (now - 600)) < 5
    assert dk_containers._since("1700000000") == 1700000000
    assert dk_containers._since("2024-01-01T00:00:00Z") == 1704067200
    assert dk_format.short_id("sha256:0123456789abcdef") == "0123456789ab"
    assert dk_format.human_size(1536) == "1.5KiB"
