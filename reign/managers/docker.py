"""Docker manager: plain keyword-only functions over the Docker SDK.

The SDK is imported lazily inside functions. One client is cached per (DOCKER_HOST, timeout); the host is
`ctx.settings.docker_host` when set, else `$DOCKER_HOST`, else the local socket. Every engine, API or
connection failure becomes a one-line `ToolError`. Outputs are compact (short ids, trimmed fields): the
model's context is a budget.
"""

from __future__ import annotations

import contextlib
import functools
import hashlib
import json
import os
import posixpath
import re
import shlex
import threading
import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, ParamSpec, TypeVar

from reign.context import ToolContext
from reign.errors import ToolError, connection_reason
from reign.workspace import confine

DEFAULT_HOST = "unix:///var/run/docker.sock"
PROJECT_LABEL = "reign.project"
SERVICE_LABEL = "reign.service"
HASH_LABEL = "reign.config-hash"

_P = ParamSpec("_P")
_R = TypeVar("_R")
_clients: dict[tuple[str, int], Any] = {}
_clients_lock = threading.Lock()
_SHELL_CHARS = re.compile(r"[|&;<>()$`\\\n*?~{}\[\]#]|^\s*\w+=")


# --------------------------------------------------------------------------- client and errors


def _host(ctx: ToolContext | None) -> str:
    if ctx is not None and ctx.settings.docker_host:
        return ctx.settings.docker_host
    return os.environ.get("DOCKER_HOST") or DEFAULT_HOST


def _timeout(ctx: ToolContext | None) -> int:
    return int(ctx.settings.tool_timeout) + 5 if ctx is not None else 65


def _client(ctx: ToolContext | None) -> Any:
    """The cached DockerClient for this context's host (connects on first use)."""
    host, timeout = _host(ctx), _timeout(ctx)
    key = (host, timeout)
    with _clients_lock:
        client = _clients.get(key)
    if client is not None:
        return client
    try:
        import docker
    except ImportError:
        raise ToolError("the docker Python SDK is not installed (pip install 'reign[docker]')") from None
    try:
        client = docker.from_env(timeout=timeout, environment={**os.environ, "DOCKER_HOST": host})
    except Exception as exc:
        raise ToolError(_unreachable(host, exc)) from exc
    with _clients_lock:
        _clients[key] = client
    return client


def _one_line(text: str, limit: int = 300) -> str:
    line = " ".join(str(text).split())
    return line if len(line) <= limit else line[: limit - 3] + "..."


def _unreachable(host: str, exc: BaseException) -> str:
    return f"Docker engine unreachable at {host} ({connection_reason(exc)})"


def _describe(exc: BaseException, host: str) -> str:
    """One line for an SDK, HTTP or socket failure."""
    from docker import errors

    if isinstance(exc, errors.NotFound):
        return _one_line(f"not found: {exc.explanation or exc}")
    if isinstance(exc, errors.APIError):
        status = exc.status_code
        return _one_line(f"docker engine error ({status}): {exc.explanation or exc}")
    name = type(exc).__name__
    if name == "ReadTimeout":
        return f"Docker engine at {host} did not answer in time"
    if name in ("ConnectionError", "ConnectTimeout") or isinstance(exc, OSError):
        return _unreachable(host, exc)
    if isinstance(exc, errors.DockerException) and "fetching server API version" in str(exc):
        return _unreachable(host, exc)
    return _one_line(f"docker: {exc}")


def _is_engine_error(exc: BaseException) -> bool:
    module = type(exc).__module__
    return isinstance(exc, OSError) or module.startswith(("docker.", "requests.", "urllib3."))


def _tool(fn: Callable[_P, _R]) -> Callable[_P, _R]:
    """Turn engine, API and connection failures into a one-line ToolError."""

    @functools.wraps(fn)
    def wrapper(*args: _P.args, **kwargs: _P.kwargs) -> _R:
        try:
            return fn(*args, **kwargs)
        except ToolError:
            raise
        except Exception as exc:
            if not _is_engine_error(exc):
                raise
            ctx = kwargs.get("ctx")
            raise ToolError(_describe(exc, _host(ctx if isinstance(ctx, ToolContext) else None))) from exc

    return wrapper


def available(*, ctx: ToolContext | None = None) -> str | None:
    """None when the engine answers a ping within 3 s, else a one-line reason."""
    host = _host(ctx)
    if ctx is None:
        try:
            from reign.config import Settings

            host = Settings().docker_host or host
        except Exception:  # a broken config file is reported elsewhere
            host = os.environ.get("REIGN_DOCKER_HOST") or host
    try:
        import docker
    except ImportError:
        return "the docker Python SDK is not installed (pip install 'reign[docker]')"
    try:
        client = docker.from_env(version="1.24", timeout=3, environment={**os.environ, "DOCKER_HOST": host})
        try:
            client.ping()
        finally:
            client.close()
    except Exception as exc:
        return _unreachable(host, exc)
    return None


# --------------------------------------------------------------------------- small helpers


def _short(ident: str | None) -> str:
    if not ident:
        return ""
    return ident.split(":", 1)[-1][:12]


def _size(n: float | None) -> str:
    value = float(n or 0)
    for unit in ("B", "KiB", "MiB", "GiB", "TiB"):
        if value < 1024 or unit == "TiB":
            return f"{value:.0f}{unit}" if unit == "B" else f"{value:.1f}{unit}"
        value /= 1024
    return f"{value:.1f}TiB"  # pragma: no cover


def _when(stamp: str | None) -> str:
    if not stamp or stamp.startswith("0001-"):
        return ""
    return stamp.split(".")[0].rstrip("Z") + "Z"


def _epoch(seconds: float | None) -> str:
    if not seconds:
        return ""
    return datetime.fromtimestamp(seconds, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _drop_empty(data: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in data.items() if v not in (None, "", [], {})}


def _decode(raw: bytes | str | None) -> str:
    if raw is None:
        return ""
    text = raw.decode("utf-8", errors="replace") if isinstance(raw, bytes) else raw
    return text.rstrip("\n")


def _argv(command: str | list[str] | None) -> list[str] | None:
    """A list is argv as given; a string runs through `sh -c` when it uses shell syntax, else is split."""
    if command is None:
        return None
    if isinstance(command, list):
        return [str(part) for part in command]
    if _SHELL_CHARS.search(command):
        return ["/bin/sh", "-c", command]
    try:
        return shlex.split(command)
    except ValueError:
        return ["/bin/sh", "-c", command]


def _labels_filter(label: list[str] | None) -> dict[str, Any]:
    return {"label": list(label)} if label else {}


def _confine(path: str, ctx: ToolContext | None, what: str) -> Path:
    """Resolve `path` (relative to ctx.cwd) and refuse it unless it lies under the workspace root."""
    root = Path(ctx.settings.workspace_root if ctx is not None else Path.cwd()).resolve()
    resolved = confine(path, root, base=ctx.cwd if ctx is not None else Path.cwd())
    if resolved is None:
        raise ToolError(f"{what} {path} is outside the workspace root {root}")
    return resolved


def _parse_volume(spec: str) -> tuple[str, str, str]:
    """'src:dst[:mode]' -> (src, dst, mode); src is a host path or a volume name."""
    parts = spec.split(":")
    if len(parts) == 1:
        return "", parts[0], ""
    if len(parts) == 2:
        return parts[0], parts[1], ""
    return parts[0], parts[1], ":".join(parts[2:])


def _is_host_path(source: str) -> bool:
    return source.startswith(("/", "./", "../", "~")) or source in (".", "..")


def _binds(volumes: list[str] | None, ctx: ToolContext | None) -> list[str] | None:
    """Resolve relative host paths (confined to the workspace) and refuse symlinks that hide / or a socket.

    The gate judged the literal strings; a host path that only reaches `/` or the engine socket through a
    symlink would slip past it, so it is refused here with a request to give the real path.
    """
    if not volumes:
        return None
    out: list[str] = []
    for spec in volumes:
        source, target, mode = _parse_volume(spec)
        if source and _is_host_path(source):
            if source.startswith("~"):
                raise ToolError(f"volume {spec}: give an absolute host path, not {source}")
            literal = posixpath.normpath("/" + source.lstrip("/")) if source.startswith("/") else source
            if not source.startswith("/"):
                source = str(_confine(source, ctx, "volume source"))
            real = os.path.realpath(source)
            if _exposes_host(real, ctx) and not _exposes_host(literal, ctx):
                raise ToolError(
                    f"volume {spec}: {source} resolves to {real}; give the real path for the policy"
                )
        out.append(":".join(p for p in (source, target, mode) if p))
    return out


_SOCKETS = (
    "/run/docker.sock",
    "/var/run/docker.sock",
    "/run/containerd/containerd.sock",
    "/var/run/containerd/containerd.sock",
    "/run/podman/podman.sock",
)


def _exposes_host(path: str, ctx: ToolContext | None) -> bool:
    """The path is / or is (or holds) an engine socket: what the policy denies when it sees it."""
    if not path.startswith("/"):
        return False
    sockets = [*_SOCKETS]
    host = _host(ctx)
    if host.startswith("unix://"):
        sockets += [host[len("unix://") :], os.path.realpath(host[len("unix://") :])]
    prefix = path.rstrip("/") + "/"
    return path == "/" or any(sock == path or sock.startswith(prefix) for sock in sockets)


def _restart(policy: str | None) -> dict[str, Any] | None:
    if not policy or policy == "no":
        return None
    name, _, count = policy.partition(":")
    out: dict[str, Any] = {"Name": name}
    if count:
        out["MaximumRetryCount"] = int(count)
    return out


def _ports(ports: dict[str, int | str] | None) -> dict[str, Any] | None:
    if not ports:
        return None
    out: dict[str, Any] = {}
    for cport, hport in ports.items():
        key = cport if "/" in cport else f"{cport}/tcp"
        if isinstance(hport, int):
            out[key] = hport
        elif ":" in hport:
            ip, _, port = hport.rpartition(":")
            out[key] = (ip, int(port))
        else:
            out[key] = int(hport)
    return out


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
    out: dict[str, Any] = {"id": _short(container.id), "name": container.name, "status": container.status}
    if state.get("Status") == "exited":
        out["exit_code"] = state.get("ExitCode")
    return out


# --------------------------------------------------------------------------- containers


@_tool
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
    filters: dict[str, Any] = _labels_filter(label)
    if status:
        filters["status"] = status
    if name:
        filters["name"] = name
    rows = _client(ctx).api.containers(all=all, filters=filters or None, limit=limit)
    out: list[dict[str, Any]] = []
    for row in rows:
        image = row.get("Image", "")
        item: dict[str, Any] = {
            "id": _short(row.get("Id")),
            "name": (row.get("Names") or ["/"])[0].lstrip("/"),
            "image": _short(image) if image.startswith("sha256:") else image,
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


@_tool
def inspect_container(*, container: str, ctx: ToolContext | None = None) -> dict[str, Any]:
    """What an operator needs from `docker inspect`: state, image, command, ports, mounts, network, labels."""
    attrs = _client(ctx).api.inspect_container(container)
    state = attrs.get("State") or {}
    config = attrs.get("Config") or {}
    host = attrs.get("HostConfig") or {}
    net = attrs.get("NetworkSettings") or {}

    st: dict[str, Any] = {
        "status": state.get("Status"),
        "exit_code": state.get("ExitCode"),
        "started_at": _when(state.get("StartedAt")),
        "finished_at": _when(state.get("FinishedAt")) if not state.get("Running") else "",
        "error": state.get("Error"),
        "restarts": attrs.get("RestartCount") or None,
    }
    if state.get("OOMKilled"):
        st["oom_killed"] = True
    health = state.get("Health")
    if health:
        last = (health.get("Log") or [{}])[-1]
        st["health"] = _drop_empty(
            {
                "status": health.get("Status"),
                "failing_streak": health.get("FailingStreak") or None,
                "last_output": _one_line(last.get("Output", ""), 200),
            }
        )

    ports: dict[str, list[str]] = {}
    for cport, binds in (net.get("Ports") or {}).items():
        ports[cport] = [f"{b.get('HostIp', '')}:{b.get('HostPort', '')}" for b in binds or []]
    mounts = [
        _drop_empty(
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
        "id": _short(attrs.get("Id")),
        "name": (attrs.get("Name") or "").lstrip("/"),
        "image": config.get("Image"),
        "image_id": _short(attrs.get("Image")),
        "created": _when(attrs.get("Created")),
        "state": _drop_empty(st) | {"exit_code": state.get("ExitCode")},
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
        "mem_limit": _size(host["Memory"]) if host.get("Memory") else None,
        "cpus": host["NanoCpus"] / 1e9 if host.get("NanoCpus") else None,
        "init": host.get("Init"),
    }
    return _drop_empty(out)


@_tool
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
    text = _decode(_client(ctx).api.logs(container, **kwargs))
    return text or "(no log output)"


@_tool
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

    client = _client(ctx)
    kwargs: dict[str, Any] = {
        "name": name,
        "environment": env or None,
        "ports": _ports(ports),
        "volumes": _binds(volumes, ctx),
        "restart_policy": _restart(restart_policy),
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
        created = client.containers.create(image, _argv(command), **kwargs)
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
                tail = _decode(client.api.logs(created.id, stdout=True, stderr=True, tail=5))
                brief["log_tail"] = tail.splitlines()
            return brief
        except errors.NotFound:  # auto-removed already
            return {"id": _short(created.id), "name": created.name, "status": "exited (removed)"}
    wait_s = _timeout(ctx) - 5
    try:
        result = client.api.wait(created.id, timeout=wait_s)
    except Exception as exc:
        if type(exc).__name__ in ("ReadTimeout", "ConnectionError"):
            raise ToolError(
                f"container {created.name} still running after {wait_s}s; left running "
                "(see docker_logs, docker_stop)"
            ) from None
        raise
    output = _decode(client.api.logs(created.id, stdout=True, stderr=True))
    if remove:
        created.remove(force=True)
    return {
        "id": _short(created.id),
        "name": created.name,
        "exit_code": result.get("StatusCode"),
        "output": output,
    }


@_tool
def start_container(*, container: str, ctx: ToolContext | None = None) -> dict[str, Any]:
    """Start a stopped container."""
    client = _client(ctx)
    client.api.start(container)
    return _brief(client.containers.get(container))


@_tool
def stop_container(*, container: str, timeout: int = 10, ctx: ToolContext | None = None) -> dict[str, Any]:
    """Stop a container (SIGTERM, then SIGKILL after `timeout` seconds)."""
    client = _client(ctx)
    client.api.stop(container, timeout=timeout)
    return _brief(client.containers.get(container))


@_tool
def restart_container(*, container: str, timeout: int = 10, ctx: ToolContext | None = None) -> dict[str, Any]:
    """Restart a container."""
    client = _client(ctx)
    client.api.restart(container, timeout=timeout)
    return _brief(client.containers.get(container))


@_tool
def remove_container(
    *, container: str, force: bool = False, volumes: bool = False, ctx: ToolContext | None = None
) -> dict[str, Any]:
    """Remove a container (force: even if running; volumes: its anonymous volumes too)."""
    _client(ctx).api.remove_container(container, force=force, v=volumes)
    return {"removed": container}


@_tool
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
    api = _client(ctx).api
    argv = _argv(command)
    exec_id = api.exec_create(
        container, argv, stdout=True, stderr=True, user=user or "", workdir=workdir, environment=env
    )["Id"]
    output = _decode(api.exec_start(exec_id))
    code = api.exec_inspect(exec_id).get("ExitCode")
    return {"exit_code": code, "output": output}


@_tool
def container_stats(*, container: str, ctx: ToolContext | None = None) -> dict[str, Any]:
    """One sample of CPU %, memory usage and limit, and process count."""
    raw = _client(ctx).api.stats(container, stream=False)
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
        "mem_usage": _size(usage),
        "mem_limit": _size(limit),
        "mem_percent": round(usage / limit * 100.0, 2) if limit else None,
        "pids": (raw.get("pids_stats") or {}).get("current"),
    }
    if not raw.get("read") or raw["read"].startswith("0001-") or not limit:
        return {"name": out["name"], "note": "container is not running"}
    return _drop_empty(out)


# --------------------------------------------------------------------------- images


@_tool
def list_images(
    *,
    name: str | None = None,
    all: bool = False,
    dangling: bool | None = None,
    label: list[str] | None = None,
    ctx: ToolContext | None = None,
) -> list[dict[str, Any]]:
    """Images as {id, tags, size, created}."""
    filters = _labels_filter(label)
    if dangling is not None:
        filters["dangling"] = dangling
    rows = _client(ctx).api.images(name=name, all=all, filters=filters or None)
    return [
        {
            "id": _short(row.get("Id")),
            "tags": [t for t in row.get("RepoTags") or [] if t != "<none>:<none>"],
            "size": _size(row.get("Size")),
            "created": _epoch(row.get("Created")),
        }
        for row in rows
    ]


_REGISTRY_DOWN = re.compile(
    r"dial tcp|lookup |no such host|connection refused|i/o timeout|network is unreachable|"
    r"TLS handshake timeout|Client\.Timeout|server misbehaving|temporary failure|no route to host|EOF",
    re.IGNORECASE,
)


def _split_ref(ref: str) -> tuple[str, str]:
    from docker.utils import parse_repository_tag

    repo, tag = parse_repository_tag(ref)
    return repo, tag or "latest"


@_tool
def pull_image(*, image: str, ctx: ToolContext | None = None) -> dict[str, Any]:
    """Pull an image (tag defaults to latest)."""
    from docker import errors

    repo, tag = _split_ref(image)
    ref = f"{repo}@{tag}" if tag.startswith("sha256:") else f"{repo}:{tag}"
    api = _client(ctx).api
    failure = ""
    try:
        for event in api.pull(repo, tag=tag, stream=True, decode=True):
            if event.get("error"):
                failure = str(event["error"])
    except errors.APIError as exc:
        failure = str(exc.explanation or exc)
    if failure:
        if _REGISTRY_DOWN.search(failure):
            raise ToolError(_one_line(f"cannot reach registry for {ref}: {failure}"))
        raise ToolError(_one_line(f"pull {ref} failed: {failure}"))
    info = api.inspect_image(ref)
    return {"image": ref, "id": _short(info.get("Id"))}


_BUILD_NOISE = (" ---> Running in ", "Removing intermediate container ", " ---> [Warning] IPv4 forwarding")


@_tool
def build_image(
    *,
    path: str,
    tag: str | None = None,
    dockerfile: str = "Dockerfile",
    buildargs: dict[str, str] | None = None,
    labels: dict[str, str] | None = None,
    target: str | None = None,
    nocache: bool = False,
    pull: bool = False,
    network_mode: str | None = None,
    ctx: ToolContext | None = None,
) -> dict[str, Any]:
    """Build an image (legacy builder) from a context directory inside the workspace."""
    context = _confine(path, ctx, "build context")
    if not context.is_dir():
        raise ToolError(f"build context {path} is not a directory")
    dockerfile_path = (context / dockerfile).resolve()
    if not dockerfile_path.is_relative_to(context):
        raise ToolError(f"dockerfile {dockerfile} is outside the build context {context}")
    if not dockerfile_path.is_file():
        raise ToolError(f"no dockerfile at {dockerfile_path}")
    lines: list[str] = []
    image_id = ""
    error = ""
    stream = _client(ctx).api.build(
        path=str(context),
        tag=tag,
        dockerfile=str(dockerfile_path.relative_to(context)),
        buildargs=buildargs,
        labels=labels,
        target=target,
        nocache=nocache,
        pull=pull,
        network_mode=network_mode,
        rm=True,
        forcerm=True,
        decode=True,
    )
    for chunk in stream:
        if "stream" in chunk:
            lines.extend(
                line.rstrip()
                for line in str(chunk["stream"]).splitlines()
                if line.strip() and not line.startswith(_BUILD_NOISE)
            )
        if isinstance(chunk.get("aux"), dict) and chunk["aux"].get("ID"):
            image_id = chunk["aux"]["ID"]
        if chunk.get("error"):
            error = str(chunk["error"])
    if error:
        steps = [line for line in lines if line.startswith("Step ")]
        where = f" (at {steps[-1]})" if steps else ""
        raise ToolError(_one_line(f"build failed: {error}{where}"))
    if not image_id:
        found = [line.split()[-1] for line in lines if line.startswith("Successfully built ")]
        image_id = found[-1] if found else ""
    return {"id": _short(image_id), "tag": tag, "log": lines[-10:]}


@_tool
def tag_image(*, image: str, target: str, ctx: ToolContext | None = None) -> dict[str, Any]:
    """Give an image another name (target: repo[:tag], tag defaults to latest)."""
    repo, tag = _split_ref(target)
    api = _client(ctx).api
    api.tag(image, repo, tag=tag)
    return {"id": _short(api.inspect_image(image).get("Id")), "tag": f"{repo}:{tag}"}


@_tool
def remove_image(*, image: str, force: bool = False, ctx: ToolContext | None = None) -> dict[str, Any]:
    """Remove an image or one of its tags."""
    result = _client(ctx).api.remove_image(image, force=force) or []
    return _drop_empty(
        {
            "untagged": [r["Untagged"] for r in result if "Untagged" in r],
            "deleted": [_short(r["Deleted"]) for r in result if "Deleted" in r],
        }
    ) or {"removed": image}


# --------------------------------------------------------------------------- networks and volumes


@_tool
def list_networks(
    *, name: str | None = None, label: list[str] | None = None, ctx: ToolContext | None = None
) -> list[dict[str, Any]]:
    """Networks as {id, name, driver, scope[, internal]}."""
    filters = _labels_filter(label)
    if name:
        filters["name"] = name
    rows = _client(ctx).api.networks(filters=filters or None)
    out = []
    for row in rows:
        item = {
            "id": _short(row.get("Id")),
            "name": row.get("Name"),
            "driver": row.get("Driver"),
            "scope": row.get("Scope"),
        }
        if row.get("Internal"):
            item["internal"] = True
        out.append(item)
    return out


@_tool
def create_network(
    *,
    name: str,
    driver: str = "bridge",
    internal: bool = False,
    attachable: bool = False,
    labels: dict[str, str] | None = None,
    ctx: ToolContext | None = None,
) -> dict[str, Any]:
    """Create a network."""
    result = _client(ctx).api.create_network(
        name, driver=driver, internal=internal, attachable=attachable, labels=labels, check_duplicate=True
    )
    out = {"id": _short(result.get("Id")), "name": name}
    if result.get("Warning"):
        out["warning"] = _one_line(result["Warning"])
    return out


@_tool
def remove_network(*, name: str, ctx: ToolContext | None = None) -> dict[str, Any]:
    """Remove a network."""
    _client(ctx).api.remove_network(name)
    return {"removed": name}


@_tool
def list_volumes(
    *,
    name: str | None = None,
    label: list[str] | None = None,
    dangling: bool | None = None,
    ctx: ToolContext | None = None,
) -> list[dict[str, Any]]:
    """Volumes as {name, driver[, labels]}."""
    filters = _labels_filter(label)
    if name:
        filters["name"] = name
    if dangling is not None:
        filters["dangling"] = dangling
    rows = (_client(ctx).api.volumes(filters=filters or None) or {}).get("Volumes") or []
    return [
        _drop_empty({"name": row.get("Name"), "driver": row.get("Driver"), "labels": row.get("Labels")})
        for row in rows
    ]


@_tool
def create_volume(
    *,
    name: str,
    driver: str = "local",
    labels: dict[str, str] | None = None,
    ctx: ToolContext | None = None,
) -> dict[str, Any]:
    """Create a named volume."""
    result = _client(ctx).api.create_volume(name, driver=driver, labels=labels)
    return {"name": result.get("Name", name), "driver": result.get("Driver", driver)}


@_tool
def remove_volume(*, name: str, force: bool = False, ctx: ToolContext | None = None) -> dict[str, Any]:
    """Remove a named volume."""
    _client(ctx).api.remove_volume(name, force=force)
    return {"removed": name}


@_tool
def prune(
    *,
    containers: bool = False,
    images: bool = False,
    all_images: bool = False,
    volumes: bool = False,
    networks: bool = False,
    label: list[str] | None = None,
    ctx: ToolContext | None = None,
) -> dict[str, Any]:
    """Delete stopped containers, unused images (dangling unless all_images), volumes or networks."""
    if not (containers or images or volumes or networks):
        raise ToolError("nothing to prune: set containers, images, volumes or networks")
    api = _client(ctx).api
    base = _labels_filter(label)
    out: dict[str, Any] = {}
    reclaimed = 0
    if containers:
        res = api.prune_containers(filters=base or None) or {}
        out["containers"] = len(res.get("ContainersDeleted") or [])
        reclaimed += res.get("SpaceReclaimed") or 0
    if images:
        res = api.prune_images(filters={**base, "dangling": not all_images}) or {}
        out["images"] = len(res.get("ImagesDeleted") or [])
        reclaimed += res.get("SpaceReclaimed") or 0
    if volumes:
        res = api.prune_volumes(filters=base or None) or {}
        out["volumes"] = len(res.get("VolumesDeleted") or [])
        reclaimed += res.get("SpaceReclaimed") or 0
    if networks:
        res = api.prune_networks(filters=base or None) or {}
        out["networks"] = len(res.get("NetworksDeleted") or [])
    out["reclaimed"] = _size(reclaimed)
    return out


# --------------------------------------------------------------------------- compose-style projects


def _service_env(env: dict[str, str] | list[str] | None) -> dict[str, str] | None:
    if env is None:
        return None
    if isinstance(env, dict):
        return {k: str(v) for k, v in env.items()}
    pairs = (item.partition("=") for item in env)
    return {key: value for key, _, value in pairs}


def _project_containers(client: Any, project: str) -> list[Any]:
    return list(client.containers.list(all=True, filters={"label": f"{PROJECT_LABEL}={project}"}))


@_tool
def compose_up(
    *, project: str, services: dict[str, dict[str, Any]], ctx: ToolContext | None = None
) -> dict[str, Any]:
    """Create or update one container per service, labelled with the project; unchanged ones are kept."""
    from docker import errors

    client = _client(ctx)
    report: dict[str, str] = {}
    done: list[str] = []
    current = ""
    existing = {c.labels.get(SERVICE_LABEL): c for c in _project_containers(client, project)}
    try:
        for svc, spec in services.items():
            current = svc
            digest = hashlib.sha256(json.dumps(spec, sort_keys=True).encode()).hexdigest()[:16]
            name = f"{project}-{svc}"
            labels = {**(spec.get("labels") or {}), PROJECT_LABEL: project, SERVICE_LABEL: svc}
            labels[HASH_LABEL] = digest
            for source, _, _ in map(_parse_volume, spec.get("volumes") or []):
                if source and not _is_host_path(source):
                    try:
                        client.api.inspect_volume(source)
                    except errors.NotFound:
                        client.api.create_volume(source, labels={PROJECT_LABEL: project})
            old = existing.pop(svc, None)
            if old is None:
                try:
                    other = client.containers.get(name)
                except errors.NotFound:
                    other = None
                if other is not None:
                    raise ToolError(f"container name {name} is taken by a container outside {project}")
            elif old.labels.get(HASH_LABEL) == digest:
                if old.status != "running":
                    old.start()
                    report[svc] = "started"
                else:
                    report[svc] = "unchanged"
                done.append(svc)
                continue
            else:
                old.remove(force=True)
            try:
                created = client.containers.create(
                    spec["image"],
                    _argv(spec.get("command")),
                    name=name,
                    environment=_service_env(spec.get("environment")),
                    volumes=_binds(spec.get("volumes"), ctx),
                    network_mode=spec.get("network_mode"),
                    restart_policy=_restart(spec.get("restart")),
                    labels=labels,
                    init=True,
                )
            except errors.ImageNotFound:
                raise ToolError(f"image {spec['image']} not found locally: pull or build it first") from None
            created.start()
            report[svc] = "recreated" if old is not None else "created"
            done.append(svc)
        for svc, orphan in existing.items():
            current = f"{svc} (orphan)"
            orphan.remove(force=True)
            report[str(svc)] = "removed (orphan)"
    except ToolError as exc:
        raise ToolError(f"service {current}: {exc} (done: {', '.join(done) or 'none'})") from exc
    except Exception as exc:
        if not _is_engine_error(exc):
            raise
        msg = _describe(exc, _host(ctx))
        raise ToolError(f"service {current}: {msg} (done: {', '.join(done) or 'none'})") from exc
    return {"project": project, "services": report}


@_tool
def compose_down(*, project: str, volumes: bool = False, ctx: ToolContext | None = None) -> dict[str, Any]:
    """Remove every container of the project (and, with volumes, the volumes compose_up created)."""
    client = _client(ctx)
    removed: list[str] = []
    for container in _project_containers(client, project):
        container.remove(force=True)
        removed.append(container.name)
    out: dict[str, Any] = {"project": project, "removed": sorted(removed)}
    if volumes:
        gone: list[str] = []
        filters = {"label": f"{PROJECT_LABEL}={project}"}
        for vol in (client.api.volumes(filters=filters) or {}).get("Volumes") or []:
            client.api.remove_volume(vol["Name"], force=True)
            gone.append(vol["Name"])
        out["volumes"] = sorted(gone)
    return out
