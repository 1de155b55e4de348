"""What a Helm engine does (the protocol both engines follow) and the release summary they share."""

from __future__ import annotations

from pathlib import Path
from typing import Any, Protocol

from reign.errors import one_line

CHANGED = "the release or its rendered manifest changed since the diff was approved; ask again"
SEVERITY = {0: "UNKNOWN", 1: "INFO", 2: "WARNING", 3: "ERROR"}


# ------------------------------------------------------------------------------------------ engine


class Engine(Protocol):
    name: str

    def create(self, name: str, parent: Path) -> Path: ...
    def lint(self, chart: Path, values: dict[str, Any], strict: bool) -> list[dict[str, str]]: ...
    def render(self, chart: Path, values: dict[str, Any], release: str, namespace: str) -> dict[str, str]: ...
    def show(self, chart: Path, what: str) -> str: ...
    def package(self, chart: Path, destination: Path, version: str | None, app_version: str | None) -> str: ...
    def releases(self, namespace: str | None, all_states: bool, name_filter: str | None) -> list[dict[str, Any]]: ...
    def status(self, release: str, namespace: str, revision: int | None = None) -> dict[str, Any] | None: ...
    def history(self, release: str, namespace: str) -> list[dict[str, Any]]: ...
    def install(self, chart: Path, release: str, values: dict[str, Any], namespace: str, *, dry_run: bool,
                wait: bool, timeout: int, create_namespace: bool) -> dict[str, Any]: ...
    def upgrade(self, chart: Path, release: str, values: dict[str, Any], namespace: str, *, dry_run: bool,
                wait: bool, timeout: int, reuse_values: bool, reset_values: bool) -> dict[str, Any]: ...
    def rollback(self, release: str, namespace: str, revision: int | None, *, wait: bool, timeout: int) -> None: ...
    def uninstall(self, release: str, namespace: str, *, keep_history: bool, wait: bool,
                  timeout: int) -> dict[str, Any]: ...


def release_summary(raw: dict[str, Any]) -> dict[str, Any]:
    """A release as both engines report it: name, namespace, revision, status, chart, app_version, updated."""
    chart = raw.get("chart")
    if isinstance(chart, dict):  # helm CLI: full chart object
        meta = chart.get("metadata") or {}
        chart = f"{meta.get('name')}-{meta.get('version')}"
        app_version = meta.get("appVersion")
    elif raw.get("chart_name"):
        chart = f"{raw.get('chart_name')}-{raw.get('chart_version')}"
        app_version = raw.get("app_version")
    else:
        app_version = raw.get("app_version")
    info: dict[str, Any] = raw["info"] if isinstance(raw.get("info"), dict) else {}
    out = {
        "name": raw.get("name"),
        "namespace": raw.get("namespace"),
        "revision": int(raw.get("revision") or raw.get("version") or 0),
        "status": raw.get("status") or info.get("status"),
        "chart": chart,
        "app_version": app_version,
        "updated": raw.get("deployed_at") or raw.get("updated") or info.get("last_deployed"),
    }
    description = raw.get("description") or info.get("description")
    if description:
        out["description"] = one_line(description, 200)
    return {k: v for k, v in out.items() if v not in (None, "")}
