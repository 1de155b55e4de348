"""Container tools: list, inspect, logs, run, start/stop/restart/remove, exec, stats."""

from __future__ import annotations

import contextlib
import re
import time
from datetime import UTC, datetime
from typing import Any

from reign.errors import ToolError, one_line
from reign.managers.docker.client import client_timeout, engine_client, engine_errors
from reign.managers.docker.format import decode_output, drop_empty, human_size, labels_filter, local_time, short_id
from reign.managers.docker.mounts import volume_binds
from reign.managers.docker.specs import command_argv, port_bindings, restart_spec
from reign.toolcontext import ToolContext


def _since(value: str) -> int:
    text = value.strip()
    match = re.fullmatch(r"(\d+(?:\.\d+)?)\s*([smhd])", text)
    if match:
        scale = {"s": 1, "m": 60, "h": 3600, "d": 86400}[match[2]]
        return int(time.time() - float(match[1]) * scale)
    if text.isdigit():
        return int(text)
    try:
        stamp = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        raise ToolError(f"since: expected a duration like 10m or an ISO time, got {value!r}") from None
    if stamp.tzinfo is None:
        stamp = stamp.replace(tzinfo=UTC)
    return int(stamp.timestamp())


def _brief(container: Any) -> dict[str, Any]:
    container.reload()
    state = container.attrs.get("State", {})
    out: dict[str, Any] = {"id": short_id(container.id), "name": container.name, "status": container.status}
    if state.get("Status") == "exited":
        out["exit_code"] = state.get("ExitCode")
    return out


# --------------------------------------------------------------------------- containers


@engine_errors
def list_containers(
    *,
    all: bool = True,
    label: list[str] | None = None,
    status: str | None = None,
    name: str | None = None,
    limit: int = 50,
    ctx: ToolContext | None = None,
) -> list[dict[str, Any]]:
    """Containers as {id, name, image, state, status[, ports]}."""
    filters: dict[str, Any] = labels_filter(label)
    if status:
        filters["status"] = status
    if name:
        filters["name"] = name
    rows = engine_client(ctx).api.containers(all=all, filters=filters or None, limit=limit)
    out: list[dict[str, Any]] = []
    for row in rows:
        image = row.get("Image", "")
        item: dict[str, Any] = {
            "id": short_id(row.get("Id")),
            "name": (row.get("Names") or ["/"])[0].lstrip("/"),
            "image": short_id(image) if image.startswith("sha256:") else image,
            "state": row.get("State", ""),
            "status": row.get("Status", ""),
        }
        ports = [
            (f"{p.get('IP', '')}:{p['PublicPort']}->" if p.get("PublicPort") else "")
            + f"{p.get('PrivatePort')}/{p.get('Type')}"
            for p in row.get("Ports") or []
        ]
        if ports:
            item["ports"] = sorted(set(ports))
        out.append(item)
    return out


@engine_errors
def inspect_container(*, container: str, ctx: ToolContext | None = None) -> dict[str, Any]:
    """What an operator needs from `docker inspect`: state, image, command, ports, mounts, network, labels."""
    attrs = engine_client(ctx).api.inspect_container(container)
    state = attrs.get("State") or {}
    config = attrs.get("Config") or {}
    host = attrs.get("HostConfig") or {}
    net = attrs.get("NetworkSettings") or {}

    st: dict[str, Any] = {
        "status": state.get("Status"),
        "exit_code": state.get("ExitCode"),
        "started_at": local_time(state.get("StartedAt")),
        "finished_at": local_time(state.get("FinishedAt")) if not state.get("Running") else "",
        "error": state.get("Error"),
        "restarts": attrs.get("RestartCount") or None,
    }
    if state.get("OOMKilled"):
        st["oom_killed"] = True
    health = state.get("Health")
    if health:
        last = (health.get("Log") or [{}])[-1]
        st["health"] = drop_empty(
            {
                "status": health.get("Status"),
                "failing_streak": health.get("FailingStreak") or None,
                "last_output": one_line(last.get("Output", ""), 200),
            }
        )

    ports: dict[str, list[str]] = {}
    for cport, binds in (net.get("Ports") or {}).items():
        ports[cport] = [f"{b.get('HostIp', '')}:{b.get('HostPort', '')}" for b in binds or []]
    mounts = [
        drop_empty(
            {
                "type": m.get("Type"),
                "source": m.get("Name") or m.get("Source"),
                "target": m.get("Destination"),
                "rw": m.get("RW"),
            }
        )
        for m in attrs.get("Mounts") or []
    ]
    restart = host.get("RestartPolicy") or {}
    restart_txt = restart.get("Name") or "no"
    if restart.get("MaximumRetryCount"):
        restart_txt += f":{restart['MaximumRetryCount']}"
    networks = {name: info.get("IPAddress") or "" for name, info in (net.get("Networks") or {}).items()}
    out: dict[str, Any] = {
        "id": short_id(attrs.get("Id")),
        "name": (attrs.get("Name") or "").lstrip("/"),
        "image": config.get("Image"),
        "image_id": short_id(attrs.get("Image")),
        "created": local_time(attrs.get("Created")),
        "state": drop_empty(st) | {"exit_code": state.get("ExitCode")},
        "entrypoint": config.get("Entrypoint"),
        "cmd": config.get("Cmd"),
        "user": config.get("User"),
        "workdir": config.get("WorkingDir"),
        "env_keys": sorted({e.split("=", 1)[0] for e in config.get("Env") or []}),
        "ports": ports,
        "mounts": mounts,
        "network_mode": host.get("NetworkMode"),
        "networks": networks,
        "restart_policy": restart_txt,
        "labels": config.get("Labels") or {},
        "privileged": True if host.get("Privileged") else None,
        "pid_mode": host.get("PidMode"),
        "cap_add": host.get("CapAdd"),
        "mem_limit": human_size(host["Memory"]) if host.get("Memory") else None,
        "cpus": host["NanoCpus"] / 1e9 if host.get("NanoCpus") else None,
        "init": host.get("Init"),
    }
    return drop_empty(out)


@engine_errors
def container_logs(
    *,
    container: str,
    tail: int = 100,
    since: str | None = None,
    timestamps: bool = False,
    ctx: ToolContext | None = None,
) -> str:
    """The last `tail` lines of stdout and stderr, optionally only those since a time or duration."""
    kwargs: dict[str, Any] = {"stdout": True, "stderr": True, "timestamps": timestamps, "tail": tail}
    if since:
        kwargs["since"] = _since(since)
    text = decode_output(engine_client(ctx).api.logs(container, **kwargs))
    return text or "(no log output)"


@engine_errors
def run_container(
    *,
    image: str,
    command: str | list[str] | None = None,
    name: str | None = None,
    env: dict[str, str] | None = None,
    ports: dict[str, int | str] | None = None,
    volumes: list[str] | None = None,
    restart_policy: str | None = None,
    mem_limit: str | None = None,
    cpus: float | None = None,
    network_mode: str | None = None,
    labels: dict[str, str] | None = None,
    detach: bool = True,
    remove: bool = False,
    init: bool = True,
    privileged: bool = False,
    pid_mode: str | None = None,
    cap_add: list[str] | None = None,
    user: str | None = None,
    workdir: str | None = None,
    ctx: ToolContext | None = None,
) -> dict[str, Any]:
    """Create and start a container. Detached: its id, name and status. Attached: exit code and output."""
    from docker import errors

    client = engine_client(ctx)
    kwargs: dict[str, Any] = {
        "name": name,
        "environment": env or None,
        "ports": port_bindings(ports),
        "volumes": volume_binds(volumes, ctx),
        "restart_policy": restart_spec(restart_policy),
        "mem_limit": mem_limit,
        "nano_cpus": int(cpus * 1e9) if cpus else None,
        "network_mode": network_mode,
        "labels": labels or None,
        "init": init,
        "privileged": privileged,
        "pid_mode": pid_mode,
        "cap_add": cap_add or None,
        "user": user,
        "working_dir": workdir,
        "auto_remove": remove and detach,
    }
    kwargs = {k: v for k, v in kwargs.items() if v is not None}
    try:
        created = client.containers.create(image, command_argv(command), **kwargs)
    except errors.ImageNotFound:
        raise ToolError(
            f"image {image} not found locally: pull it with docker_pull or build it with docker_build"
        ) from None
    try:
        created.start()
    except Exception:
        with contextlib.suppress(Exception):  # best effort: the start error is what matters
            created.remove(force=True)
        raise
    if detach:
        try:
            brief = _brief(created)
            if brief.get("exit_code"):  # it failed at once: say why
                tail = decode_output(client.api.logs(created.id, stdout=True, stderr=True, tail=5))
                brief["log_tail"] = tail.splitlines()
            return brief
        except errors.NotFound:  # auto-removed already
            return {"id": short_id(created.id), "name": created.name, "status": "exited (removed)"}
    wait_s = client_timeout(ctx) - 5
    try:
        result = client.api.wait(created.id, timeout=wait_s)
    except Exception as exc:
        if type(exc).__name__ in ("ReadTimeout", "ConnectionError"):
            raise ToolError(
                f"container {created.name} still running after {wait_s}s; left running "
                "(see docker_logs, docker_stop)"
            ) from None
        raise
    output = decode_output(client.api.logs(created.id, stdout=True, stderr=True))
    if remove:
        created.remove(force=True)
    return {
        "id": short_id(created.id),
        "name": created.name,
        "exit_code": result.get("StatusCode"),
        "output": output,
    }


@engine_errors
def start_container(*, container: str, ctx: ToolContext | None = None) -> dict[str, Any]:
    """Start a stopped container."""
    client = engine_client(ctx)
    client.api.start(container)
    return _brief(client.containers.get(container))


@engine_errors
def stop_container(*, container: str, timeout: int = 10, ctx: ToolContext | None = None) -> dict[str, Any]:
    """Stop a container (SIGTERM, then SIGKILL after `timeout` seconds)."""
    client = engine_client(ctx)
    client.api.stop(container, timeout=timeout)
    return _brief(client.containers.get(container))


@engine_errors
def restart_container(*, container: str, timeout: int = 10, ctx: ToolContext | None = None) -> dict[str, Any]:
    """Restart a container."""
    client = engine_client(ctx)
    client.api.restart(container, timeout=timeout)
    return _brief(client.containers.get(container))


@engine_errors
def remove_container(
    *, container: str, force: bool = False, volumes: bool = False, ctx: ToolContext | None = None
) -> dict[str, Any]:
    """Remove a container (force: even if running; volumes: its anonymous volumes too)."""
    engine_client(ctx).api.remove_container(container, force=force, v=volumes)
    return {"removed": container}


@engine_errors
def exec_command(
    *,
    container: str,
    command: str | list[str],
    workdir: str | None = None,
    user: str | None = None,
    env: dict[str, str] | None = None,
    ctx: ToolContext | None = None,
) -> dict[str, Any]:
    """Run a command in a running container: its exit code and combined output."""
    api = engine_client(ctx).api
    argv = command_argv(command)
    exec_id = api.exec_create(
        container, argv, stdout=True, stderr=True, user=user or "", workdir=workdir, environment=env
    )["Id"]
    output = decode_output(api.exec_start(exec_id))
    code = api.exec_inspect(exec_id).get("ExitCode")
    return {"exit_code": code, "output": output}


@engine_errors
def container_stats(*, container: str, ctx: ToolContext | None = None) -> dict[str, Any]:
    """One sample of CPU %, memory usage and limit, and process count."""
    raw = engine_client(ctx).api.stats(container, stream=False)
    cpu = raw.get("cpu_stats") or {}
    pre = raw.get("precpu_stats") or {}
    cpu_delta = (cpu.get("cpu_usage") or {}).get("total_usage", 0) - (pre.get("cpu_usage") or {}).get(
        "total_usage", 0
    )
    sys_delta = (cpu.get("system_cpu_usage") or 0) - (pre.get("system_cpu_usage") or 0)
    ncpu = cpu.get("online_cpus") or len((cpu.get("cpu_usage") or {}).get("percpu_usage") or []) or 1
    cpu_pct = (cpu_delta / sys_delta) * ncpu * 100.0 if sys_delta > 0 and cpu_delta > 0 else 0.0
    mem = raw.get("memory_stats") or {}
    details = mem.get("stats") or {}
    cache = details.get("inactive_file") or details.get("total_inactive_file") or 0
    usage = (mem.get("usage") or 0) - cache
    limit = mem.get("limit") or 0
    out: dict[str, Any] = {
        "name": (raw.get("name") or container).lstrip("/"),
        "cpu_percent": round(cpu_pct, 2),
        "mem_usage": human_size(usage),
        "mem_limit": human_size(limit),
        "mem_percent": round(usage / limit * 100.0, 2) if limit else None,
        "pids": (raw.get("pids_stats") or {}).get("current"),
    }
    if not raw.get("read") or raw["read"].startswith("0001-") or not limit:
        return {"name": out["name"], "note": "container is not running"}
    return drop_empty(out)
