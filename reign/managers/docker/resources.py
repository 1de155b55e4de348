"""Network and volume tools, and prune."""

from __future__ import annotations

from typing import Any

from reign.errors import ToolError, one_line
from reign.managers.docker.client import _client, _tool
from reign.managers.docker.format import _drop_empty, _labels_filter, _short, _size
from reign.toolcontext import ToolContext

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
        out["warning"] = one_line(result["Warning"])
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
