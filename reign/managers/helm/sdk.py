"""The Helm engine over the helm Python SDK."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from reign.errors import ToolError, one_line
from reign.managers.helm.engine import SEVERITY, release_summary


class SdkEngine:
    name = "helm-python-sdk"

    def __init__(self, kubeconfig: str | None, context: str | None) -> None:
        import helm_python

        self.helm = helm_python
        self.kubeconfig = kubeconfig
        self.context = context

    def _err(self, exc: Exception) -> ToolError:
        detail = getattr(exc, "detail", None) or str(exc)
        return ToolError(f"helm: {one_line(detail)}")

    def _config(self, namespace: str | None) -> Any:
        return self.helm.Config(kubeconfig_path=self.kubeconfig, kube_context=self.context, namespace=namespace)

    def create(self, name: str, parent: Path) -> Path:
        try:
            chart = self.helm.Chart.create(name, parent)
            chart.close()
        except self.helm.HelmError as exc:
            raise self._err(exc) from None
        return parent / name

    def lint(self, chart: Path, values: dict[str, Any], strict: bool) -> list[dict[str, str]]:
        try:
            report = self.helm.lint(chart, values or None, strict=strict or None)
        except self.helm.HelmError as exc:
            raise self._err(exc) from None
        return [{"severity": SEVERITY.get(int(m.get("severity", 0)), "UNKNOWN"), "path": str(m.get("path", "")),
                 "message": one_line(m.get("error", ""))} for m in report.get("messages") or []]

    def render(self, chart: Path, values: dict[str, Any], release: str, namespace: str) -> dict[str, str]:
        try:
            with self.helm.Chart.load(chart) as loaded:
                manifests: dict[str, str] = loaded.render(values=values or None, name=release, namespace=namespace,
                                                          is_install=True)
        except self.helm.HelmError as exc:
            raise self._err(exc) from None
        return manifests

    def show(self, chart: Path, what: str) -> str:
        try:
            return str(self.helm.show(str(chart), output_format=what))
        except self.helm.HelmError as exc:
            raise self._err(exc) from None

    def package(self, chart: Path, destination: Path, version: str | None, app_version: str | None) -> str:
        try:
            return str(self.helm.package(chart, destination=destination, version=version, app_version=app_version))
        except self.helm.HelmError as exc:
            raise self._err(exc) from None

    def releases(self, namespace: str | None, all_states: bool, name_filter: str | None) -> list[dict[str, Any]]:
        try:
            with self._config(namespace) as cfg:
                rows = cfg.list(all_states=all_states, all_namespaces=namespace is None, name_filter=name_filter)
        except self.helm.HelmError as exc:
            raise self._err(exc) from None
        return [release_summary(r) for r in rows]

    def status(self, release: str, namespace: str, revision: int | None = None) -> dict[str, Any] | None:
        try:
            with self._config(namespace) as cfg:
                raw: dict[str, Any] = cfg.status(release, revision=revision)
        except self.helm.HelmNotFoundError:
            return None
        except self.helm.HelmError as exc:
            raise self._err(exc) from None
        return {**release_summary(raw), "manifest": raw.get("manifest") or "", "notes": raw.get("notes") or ""}

    def history(self, release: str, namespace: str) -> list[dict[str, Any]]:
        try:
            with self._config(namespace) as cfg:
                rows = cfg.history(release)
        except self.helm.HelmNotFoundError:
            raise ToolError(f"release {release!r} not found in namespace {namespace}") from None
        except self.helm.HelmError as exc:
            raise self._err(exc) from None
        return [release_summary(r) for r in rows]

    def install(self, chart: Path, release: str, values: dict[str, Any], namespace: str, *, dry_run: bool,
                wait: bool, timeout: int, create_namespace: bool) -> dict[str, Any]:
        try:
            with self._config(namespace) as cfg:
                raw: dict[str, Any] = cfg.install(
                    str(chart), release, values or None, namespace=namespace, timeout=timeout,
                    wait="watcher" if wait and not dry_run else None, dry_run="server" if dry_run else None,
                    create_namespace=create_namespace)
        except self.helm.HelmError as exc:
            raise self._err(exc) from None
        return {**release_summary(raw), "manifest": raw.get("manifest") or "", "notes": raw.get("notes") or ""}

    def upgrade(self, chart: Path, release: str, values: dict[str, Any], namespace: str, *, dry_run: bool,
                wait: bool, timeout: int, reuse_values: bool, reset_values: bool) -> dict[str, Any]:
        try:
            with self._config(namespace) as cfg:
                raw: dict[str, Any] = cfg.upgrade(
                    str(chart), release, values or None, namespace=namespace, timeout=timeout,
                    wait="watcher" if wait and not dry_run else None, dry_run="server" if dry_run else None,
                    reuse_values=reuse_values, reset_values=reset_values)
        except self.helm.HelmNotFoundError:
            raise ToolError(f"release {release!r} not found in namespace {namespace} (use helm_install)") from None
        except self.helm.HelmError as exc:
            raise self._err(exc) from None
        return {**release_summary(raw), "manifest": raw.get("manifest") or "", "notes": raw.get("notes") or ""}

    def rollback(self, release: str, namespace: str, revision: int | None, *, wait: bool, timeout: int) -> None:
        try:
            with self._config(namespace) as cfg:
                cfg.rollback(release, version=revision, timeout=timeout, wait="watcher" if wait else None)
        except self.helm.HelmError as exc:
            raise self._err(exc) from None

    def uninstall(self, release: str, namespace: str, *, keep_history: bool, wait: bool,
                  timeout: int) -> dict[str, Any]:
        try:
            with self._config(namespace) as cfg:
                raw: dict[str, Any] = cfg.uninstall(release, keep_history=keep_history, timeout=timeout,
                                                    wait="watcher" if wait else None)
        except self.helm.HelmNotFoundError:
            raise ToolError(f"release {release!r} not found in namespace {namespace}") from None
        except self.helm.HelmError as exc:
            raise self._err(exc) from None
        return {"info": one_line(raw.get("info") or "uninstalled", 300)}
