"""A small compose: bring a project's services up and down, labelled so they can be found again."""

from __future__ import annotations

import hashlib
import json
from typing import Any

from reign.errors import ToolError
from reign.managers.docker.client import (
    describe_engine_error,
    engine_client,
    engine_errors,
    engine_host,
    is_engine_error,
)
from reign.managers.docker.mounts import is_host_path, parse_volume, volume_binds
from reign.managers.docker.specs import command_argv, restart_spec
from reign.toolcontext import ToolContext

PROJECT_LABEL = "reign.project"
SERVICE_LABEL = "reign.service"
HASH_LABEL = "reign.config-hash"


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


@engine_errors
def compose_up(
    *, project: str, services: dict[str, dict[str, Any]], ctx: ToolContext | None = None
) -> dict[str, Any]:
    """Create or update one container per service, labelled with the project; unchanged ones are kept."""
    from docker import errors

    client = engine_client(ctx)
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
            for source, _, _ in map(parse_volume, spec.get("volumes") or []):
                if source and not is_host_path(source):
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
                    command_argv(spec.get("command")),
                    name=name,
                    environment=_service_env(spec.get("environment")),
                    volumes=volume_binds(spec.get("volumes"), ctx),
                    network_mode=spec.get("network_mode"),
                    restart_policy=restart_spec(spec.get("restart")),
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
        if not is_engine_error(exc):
            raise
        msg = describe_engine_error(exc, engine_host(ctx))
        raise ToolError(f"service {current}: {msg} (done: {', '.join(done) or 'none'})") from exc
    return {"project": project, "services": report}


@engine_errors
def compose_down(*, project: str, volumes: bool = False, ctx: ToolContext | None = None) -> dict[str, Any]:
    """Remove every container of the project (and, with volumes, the volumes compose_up created)."""
    client = engine_client(ctx)
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
