"""Installed size of Reign's core (the package and every distribution it requires) and of each extra
(what the extra adds on top of the core), read from the installed distributions' RECORD files."""

from __future__ import annotations

from importlib import metadata
from pathlib import Path

from packaging.requirements import Requirement
from packaging.utils import canonicalize_name


def _dist_size(dist: metadata.Distribution) -> int:
    total = 0
    for file in dist.files or []:
        path = Path(str(dist.locate_file(file)))
        try:
            total += path.stat().st_size if path.is_file() else 0
        except OSError:
            continue
    return total


def _closure(names: list[Requirement]) -> dict[str, metadata.Distribution]:
    """Every installed distribution reachable from `names` (markers evaluated for this interpreter)."""
    seen: dict[str, metadata.Distribution] = {}
    todo = list(names)
    while todo:
        req = todo.pop()
        key = canonicalize_name(req.name)
        if key in seen:
            continue
        try:
            dist = metadata.distribution(req.name)
        except metadata.PackageNotFoundError:
            continue
        seen[key] = dist
        for raw in dist.requires or []:
            sub = Requirement(raw)
            wanted = ["", *req.extras]  # the base requirements, and those of the extras asked for
            if sub.marker is None or any(sub.marker.evaluate({"extra": e}) for e in wanted):
                todo.append(sub)
    return seen


def installed_sizes(package: str = "reign") -> dict[str, dict[str, float]]:
    """{"core": {"mb": .., "distributions": n}, "<extra>": {"mb": added, "distributions": added n}}"""
    dist = metadata.distribution(package)
    core = _closure([Requirement(package)])
    out = {"core": {"mb": round(sum(_dist_size(d) for d in core.values()) / 1e6, 1),
                    "distributions": len(core)}}
    for extra in dist.metadata.get_all("Provides-Extra") or []:
        with_extra = _closure([Requirement(f"{package}[{extra}]")])
        added = {k: d for k, d in with_extra.items() if k not in core}
        out[extra] = {"mb": round(sum(_dist_size(d) for d in added.values()) / 1e6, 1),
                      "distributions": len(added)}
    return out


if __name__ == "__main__":
    import json

    print(json.dumps(installed_sizes(), indent=1))
