"""Image tools: list, pull, build, tag, remove."""

from __future__ import annotations

import re
from typing import Any

from reign.errors import ToolError, one_line
from reign.managers.docker.client import engine_client, engine_errors
from reign.managers.docker.format import drop_empty, epoch, human_size, labels_filter, short_id
from reign.managers.docker.mounts import confine_path
from reign.toolcontext import ToolContext

# --------------------------------------------------------------------------- images


@engine_errors
def list_images(
    *,
    name: str | None = None,
    all: bool = False,
    dangling: bool | None = None,
    label: list[str] | None = None,
    ctx: ToolContext | None = None,
) -> list[dict[str, Any]]:
    """Images as {id, tags, size, created}."""
    filters = labels_filter(label)
    if dangling is not None:
        filters["dangling"] = dangling
    rows = engine_client(ctx).api.images(name=name, all=all, filters=filters or None)
    return [
        {
            "id": short_id(row.get("Id")),
            "tags": [t for t in row.get("RepoTags") or [] if t != "<none>:<none>"],
            "size": human_size(row.get("Size")),
            "created": epoch(row.get("Created")),
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


@engine_errors
def pull_image(*, image: str, ctx: ToolContext | None = None) -> dict[str, Any]:
    """Pull an image (tag defaults to latest)."""
    from docker import errors

    repo, tag = _split_ref(image)
    ref = f"{repo}@{tag}" if tag.startswith("sha256:") else f"{repo}:{tag}"
    api = engine_client(ctx).api
    failure = ""
    try:
        for event in api.pull(repo, tag=tag, stream=True, decode=True):
            if event.get("error"):
                failure = str(event["error"])
    except errors.APIError as exc:
        failure = str(exc.explanation or exc)
    if failure:
        if _REGISTRY_DOWN.search(failure):
            raise ToolError(one_line(f"cannot reach registry for {ref}: {failure}"))
        raise ToolError(one_line(f"pull {ref} failed: {failure}"))
    info = api.inspect_image(ref)
    return {"image": ref, "id": short_id(info.get("Id"))}


_BUILD_NOISE = (" ---> Running in ", "Removing intermediate container ", " ---> [Warning] IPv4 forwarding")


@engine_errors
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
    context = confine_path(path, ctx, "build context")
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
    stream = engine_client(ctx).api.build(
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
        raise ToolError(one_line(f"build failed: {error}{where}"))
    if not image_id:
        found = [line.split()[-1] for line in lines if line.startswith("Successfully built ")]
        image_id = found[-1] if found else ""
    return {"id": short_id(image_id), "tag": tag, "log": lines[-10:]}


@engine_errors
def tag_image(*, image: str, target: str, ctx: ToolContext | None = None) -> dict[str, Any]:
    """Give an image another name (target: repo[:tag], tag defaults to latest)."""
    repo, tag = _split_ref(target)
    api = engine_client(ctx).api
    api.tag(image, repo, tag=tag)
    return {"id": short_id(api.inspect_image(image).get("Id")), "tag": f"{repo}:{tag}"}


@engine_errors
def remove_image(*, image: str, force: bool = False, ctx: ToolContext | None = None) -> dict[str, Any]:
    """Remove an image or one of its tags."""
    result = engine_client(ctx).api.remove_image(image, force=force) or []
    return drop_empty(
        {
            "untagged": [r["Untagged"] for r in result if "Untagged" in r],
            "deleted": [short_id(r["Deleted"]) for r in result if "Deleted" in r],
        }
    ) or {"removed": image}
