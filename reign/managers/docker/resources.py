"""Network and volume tools, and prune."""

from __future__ import annotations

from typing import Any

from reign.errors import ToolError, one_line
from reign.managers.docker.client import engine_client, engine_errors
from reign.managers.docker.format import drop_empty, human_size, labels_filter, short_id
from reign.toolcontext import ToolContext

# --------------------------------------------------------------------------- networks and volumes


@engine_errors
def list_networks(
    *, name: str | None = None, label: list[str] | None = None, ctx: ToolContext | None = None
) -> list[dict[str, Any]]:
    """Networks as {id, name, driver, scope[, internal]}."""
    filters = labels_filter(label)
    if name:
        filters["name"] = name
    rows = engine_client(ctx).api.networks(filters=filters or None)
    out = []
    for row in rows:
        item = {
            "id": short_id(row.get("Id")),
            "name": row.get("Name"),
            "driver": row.get("Driver"),
            "scope": row.get("Scope"),
        }
        if row.get("Internal"):
            item["internal"] = True
        out.append(item)
    return out


@engine_errors
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
    result = engine_client(ctx).api.create_network(
        name, driver=driver, internal=internal, attachable=attachable, labels=labels, check_duplicate=True
    )
    out = {"id": short_id(result.get("Id")), "name": name}
    if result.get("Warning"):
        out["warning"] = one_line(result["Warning"])
    return out


@engine_errors
def remove_network(*, name: str, ctx: ToolContext | None = None) -> dict[str, Any]:
    """Remove a network."""
    engine_client(ctx).api.remove_network(name)
    return {"removed": name}


@engine_errors
def list_volumes(
    *,
    name: str | None = None,
    label: list[str] | None = None,
    dangling: bool | None = None,
    ctx: ToolContext | None = None,
) -> list[dict[str, Any]]:
    """Volumes as {name, driver[, labels]}."""
    filters = labels_filter(label)
    if name:
        filters["name"] = name
    if dangling is not None:
        filters["dangling"] = dangling
    rows = (engine_client(ctx).api.volumes(filters=filters or None) or {}).get("Volumes") or []
    return [
        drop_empty({"name": row.get("Name"), "driver": row.get("Driver"), "labels": row.get("Labels")})
        for row in rows
    ]


@engine_errors
def create_volume(
    *,
    name: str,
    driver: str = "local",
    labels: dict[str, str] | None = None,
    ctx: ToolContext | None = None,
) -> dict[str, Any]:
    """Create a named volume."""
    result = engine_client(ctx).api.create_volume(name, driver=driver, labels=labels)
    return {"name": result.get("Name", name), "driver": result.get("Driver", driver)}


@engine_errors
def remove_volume(*, name: str, force: bool = False, ctx: ToolContext | None = None) -> dict[str, Any]:
    """Remove a named volume."""
    engine_client(ctx).api.remove_volume(name, force=force)
    return {"removed": name}


@engine_errors
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
    api = engine_client(ctx).api
    base = labels_filter(label)
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
    out["reclaimed"] = human_size(reclaimed)
    return out
