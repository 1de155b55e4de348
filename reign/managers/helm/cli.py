"""The Helm engine over the helm binary (argv, no shell)."""

from __future__ import annotations

import json
import re
import subprocess
import tempfile
from pathlib import Path
from typing import Any

from reign import sandbox
from reign.errors import ToolError, one_line
from reign.managers.helm.engine import release_summary
from reign.managers.helm.values import split_sources


class CliEngine:
    """The `helm` binary (3.x or 4.x), with JSON output where it has one."""

    name = "helm-cli"

    def __init__(self, binary: str, kubeconfig: str | None, context: str | None, timeout: float) -> None:
        self.binary = binary
        self.kubeconfig = kubeconfig
        self.context = context
        self.timeout = timeout

    def _run(self, *args: str, cluster: bool = False, check: bool = True, timeout: float | None = None,
             ) -> subprocess.CompletedProcess[str]:
        argv = [self.binary, *args]
        if cluster:
            if self.kubeconfig:
                argv += ["--kubeconfig", self.kubeconfig]
            if self.context:
                argv += ["--kube-context", self.context]
        try:
            argv = sandbox.wrap(argv)  # inside a tool call: under bubblewrap
            proc = subprocess.run(argv, capture_output=True, text=True, timeout=timeout or self.timeout,
                                  stdin=subprocess.DEVNULL)
        except subprocess.TimeoutExpired:
            raise ToolError(f"helm {args[0]} did not finish in {timeout or self.timeout:.0f}s") from None
        except OSError as exc:
            raise ToolError(f"cannot run {self.binary}: {exc.strerror}") from None
        if check and proc.returncode != 0:
            message = proc.stderr.strip() or proc.stdout.strip()
            raise ToolError(f"helm: {one_line(message.removeprefix('Error: '))}")
        return proc

    def _json(self, *args: str) -> Any:
        return json.loads(self._run(*args, "-o", "json", cluster=True).stdout or "null")

    def _values_args(self, values: dict[str, Any], tmp: Path) -> list[str]:
        if not values:
            return []
        path = tmp / "values.json"
        path.write_text(json.dumps(values))
        return ["-f", str(path)]

    def create(self, name: str, parent: Path) -> Path:
        self._run("create", str(parent / name))
        return parent / name

    def lint(self, chart: Path, values: dict[str, Any], strict: bool) -> list[dict[str, str]]:
        with tempfile.TemporaryDirectory(prefix="reign-helm-") as tmp, sandbox.share(Path(tmp)):
            proc = self._run("lint", str(chart), *self._values_args(values, Path(tmp)),
                             *(["--strict"] if strict else []), check=False)
        out = []
        for line in (proc.stdout + "\n" + proc.stderr).splitlines():
            match = re.match(r"^\[(INFO|WARNING|ERROR)\]\s+([^:]*):\s*(.*)$", line.strip())
            if match:
                out.append({"severity": match.group(1), "path": match.group(2), "message": one_line(match.group(3))})
        if proc.returncode != 0 and not any(m["severity"] == "ERROR" for m in out):
            out.append({"severity": "ERROR", "path": "", "message": one_line(proc.stderr or proc.stdout)})
        return out

    def render(self, chart: Path, values: dict[str, Any], release: str, namespace: str) -> dict[str, str]:
        with tempfile.TemporaryDirectory(prefix="reign-helm-") as tmp, sandbox.share(Path(tmp)):
            text = self._run("template", release, str(chart), "--namespace", namespace,
                             *self._values_args(values, Path(tmp))).stdout
        return split_sources(text)

    def show(self, chart: Path, what: str) -> str:
        return self._run("show", what, str(chart)).stdout

    def package(self, chart: Path, destination: Path, version: str | None, app_version: str | None) -> str:
        args = ["package", str(chart), "-d", str(destination)]
        if version:
            args += ["--version", version]
        if app_version:
            args += ["--app-version", app_version]
        out = self._run(*args).stdout.strip()
        return out.rsplit(": ", 1)[-1] if ": " in out else out

    def releases(self, namespace: str | None, all_states: bool, name_filter: str | None) -> list[dict[str, Any]]:
        args = ["list", *(["-A"] if namespace is None else ["-n", namespace]), *(["-a"] if all_states else [])]
        if name_filter:
            args += ["--filter", name_filter]
        return [release_summary(r) for r in self._json(*args) or []]

    def status(self, release: str, namespace: str, revision: int | None = None) -> dict[str, Any] | None:
        args = ["status", release, "-n", namespace, "-o", "json", *(["--revision", str(revision)] if revision else [])]
        proc = self._run(*args, cluster=True, check=False)
        if proc.returncode != 0:
            if "not found" in proc.stderr:
                return None
            raise ToolError(f"helm: {one_line(proc.stderr.strip().removeprefix('Error: '))}")
        raw = json.loads(proc.stdout)
        return {**release_summary(raw), "manifest": raw.get("manifest") or "",
                "notes": (raw.get("info") or {}).get("notes") or ""}

    def history(self, release: str, namespace: str) -> list[dict[str, Any]]:
        proc = self._run("history", release, "-n", namespace, "-o", "json", cluster=True, check=False)
        if proc.returncode != 0:
            if "not found" in proc.stderr:
                raise ToolError(f"release {release!r} not found in namespace {namespace}")
            raise ToolError(f"helm: {one_line(proc.stderr.strip().removeprefix('Error: '))}")
        return [{**release_summary(r), "namespace": namespace} for r in json.loads(proc.stdout or "[]")]

    def _write(self, verb: str, chart: Path, release: str, values: dict[str, Any], namespace: str,
               extra: list[str], *, dry_run: bool, wait: bool, timeout: int) -> dict[str, Any]:
        with tempfile.TemporaryDirectory(prefix="reign-helm-") as tmp, sandbox.share(Path(tmp)):
            args = [verb, release, str(chart), "-n", namespace, *self._values_args(values, Path(tmp)), *extra,
                    "-o", "json", "--timeout", f"{timeout}s"]
            if dry_run:
                args.append("--dry-run=server")
            elif wait:
                args.append("--wait")
            raw = json.loads(self._run(*args, cluster=True, timeout=timeout + 30).stdout)
        return {**release_summary(raw), "manifest": raw.get("manifest") or "",
                "notes": (raw.get("info") or {}).get("notes") or ""}

    def install(self, chart: Path, release: str, values: dict[str, Any], namespace: str, *, dry_run: bool,
                wait: bool, timeout: int, create_namespace: bool) -> dict[str, Any]:
        return self._write("install", chart, release, values, namespace,
                           ["--create-namespace"] if create_namespace else [], dry_run=dry_run, wait=wait,
                           timeout=timeout)

    def upgrade(self, chart: Path, release: str, values: dict[str, Any], namespace: str, *, dry_run: bool,
                wait: bool, timeout: int, reuse_values: bool, reset_values: bool) -> dict[str, Any]:
        extra = [*(["--reuse-values"] if reuse_values else []), *(["--reset-values"] if reset_values else [])]
        return self._write("upgrade", chart, release, values, namespace, extra, dry_run=dry_run, wait=wait,
                           timeout=timeout)

    def rollback(self, release: str, namespace: str, revision: int | None, *, wait: bool, timeout: int) -> None:
        self._run("rollback", release, *([str(revision)] if revision else []), "-n", namespace,
                  "--timeout", f"{timeout}s", *(["--wait"] if wait else []), cluster=True, timeout=timeout + 30)

    def uninstall(self, release: str, namespace: str, *, keep_history: bool, wait: bool,
                  timeout: int) -> dict[str, Any]:
        proc = self._run("uninstall", release, "-n", namespace, "--timeout", f"{timeout}s",
                         *(["--keep-history"] if keep_history else []), *(["--wait"] if wait else []),
                         cluster=True, timeout=timeout + 30)
        return {"info": one_line(proc.stdout.strip() or "uninstalled", 300)}
