"""Helm manager: charts (create, lint, template, show, package) and releases (list, status, history, install,
upgrade, rollback, uninstall).

The engine is PyPI's `helm-python-sdk` (module `helm_python`: Helm v4 as a shared library, no binary, no
network for local charts); without it, a `helm` binary on PATH (Helm 3 or 4) is driven with `-o json`.
`REIGN_HELM_ENGINE=sdk|cli` forces one. Both are imported or found lazily.

Charts and values files are paths under `settings.workspace_root` (symlinks resolved; a chart holding a
symlink that leaves the root is refused, since templates can read chart files). Values: the files in order,
then `set` ({"image.tag": "v2"}: dotted keys, JSON-typed values) on top.

Releases use the kubeconfig context the Kubernetes manager uses (`settings.kube_context`, else the current
one) and the same namespace scope: a call that names no namespace uses the first of `kube_namespaces`, else
the context's namespace. Rendered objects that name another namespace are refused when that namespace is out
of scope or protected, and cluster-scoped objects are refused in a scoped session. install and upgrade preview
the rendered manifest (server dry-run) against the release's current one; rollback previews the target
revision's manifest; uninstall lists what goes. An approved preview is re-checked before anything changes.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import tempfile
from pathlib import Path
from typing import Any, Protocol

from reign.context import ToolContext
from reign.errors import ToolError
from reign.managers import kube_summary as ks
from reign.policy.classifiers.kubernetes import CLUSTER_SCOPED, canonical_kind
from reign.workspace import confine

CHANGED = "the release or its rendered manifest changed since the diff was approved; ask again"
_SEVERITY = {0: "UNKNOWN", 1: "INFO", 2: "WARNING", 3: "ERROR"}


# ------------------------------------------------------------------------------------------ engine


def _one_line(text: Any, limit: int = 400) -> str:
    line = " ".join(str(text).split())
    return line if len(line) <= limit else line[: limit - 3] + "..."


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


def _summary(raw: dict[str, Any]) -> dict[str, Any]:
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
        out["description"] = _one_line(description, 200)
    return {k: v for k, v in out.items() if v not in (None, "")}


class SdkEngine:
    name = "helm-python-sdk"

    def __init__(self, kubeconfig: str | None, context: str | None) -> None:
        import helm_python

        self.helm = helm_python
        self.kubeconfig = kubeconfig
        self.context = context

    def _err(self, exc: Exception) -> ToolError:
        detail = getattr(exc, "detail", None) or str(exc)
        return ToolError(f"helm: {_one_line(detail)}")

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
        return [{"severity": _SEVERITY.get(int(m.get("severity", 0)), "UNKNOWN"), "path": str(m.get("path", "")),
                 "message": _one_line(m.get("error", ""))} for m in report.get("messages") or []]

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
        return [_summary(r) for r in rows]

    def status(self, release: str, namespace: str, revision: int | None = None) -> dict[str, Any] | None:
        try:
            with self._config(namespace) as cfg:
                raw: dict[str, Any] = cfg.status(release, revision=revision)
        except self.helm.HelmNotFoundError:
            return None
        except self.helm.HelmError as exc:
            raise self._err(exc) from None
        return {**_summary(raw), "manifest": raw.get("manifest") or "", "notes": raw.get("notes") or ""}

    def history(self, release: str, namespace: str) -> list[dict[str, Any]]:
        try:
            with self._config(namespace) as cfg:
                rows = cfg.history(release)
        except self.helm.HelmNotFoundError:
            raise ToolError(f"release {release!r} not found in namespace {namespace}") from None
        except self.helm.HelmError as exc:
            raise self._err(exc) from None
        return [_summary(r) for r in rows]

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
        return {**_summary(raw), "manifest": raw.get("manifest") or "", "notes": raw.get("notes") or ""}

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
        return {**_summary(raw), "manifest": raw.get("manifest") or "", "notes": raw.get("notes") or ""}

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
        return {"info": _one_line(raw.get("info") or "uninstalled", 300)}


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
            proc = subprocess.run(argv, capture_output=True, text=True, timeout=timeout or self.timeout,
                                  stdin=subprocess.DEVNULL)
        except subprocess.TimeoutExpired:
            raise ToolError(f"helm {args[0]} did not finish in {timeout or self.timeout:.0f}s") from None
        except OSError as exc:
            raise ToolError(f"cannot run {self.binary}: {exc.strerror}") from None
        if check and proc.returncode != 0:
            message = proc.stderr.strip() or proc.stdout.strip()
            raise ToolError(f"helm: {_one_line(message.removeprefix('Error: '))}")
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
        with tempfile.TemporaryDirectory(prefix="reign-helm-") as tmp:
            proc = self._run("lint", str(chart), *self._values_args(values, Path(tmp)),
                             *(["--strict"] if strict else []), check=False)
        out = []
        for line in (proc.stdout + "\n" + proc.stderr).splitlines():
            match = re.match(r"^\[(INFO|WARNING|ERROR)\]\s+([^:]*):\s*(.*)$", line.strip())
            if match:
                out.append({"severity": match.group(1), "path": match.group(2), "message": _one_line(match.group(3))})
        if proc.returncode != 0 and not any(m["severity"] == "ERROR" for m in out):
            out.append({"severity": "ERROR", "path": "", "message": _one_line(proc.stderr or proc.stdout)})
        return out

    def render(self, chart: Path, values: dict[str, Any], release: str, namespace: str) -> dict[str, str]:
        with tempfile.TemporaryDirectory(prefix="reign-helm-") as tmp:
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
        return [_summary(r) for r in self._json(*args) or []]

    def status(self, release: str, namespace: str, revision: int | None = None) -> dict[str, Any] | None:
        args = ["status", release, "-n", namespace, "-o", "json", *(["--revision", str(revision)] if revision else [])]
        proc = self._run(*args, cluster=True, check=False)
        if proc.returncode != 0:
            if "not found" in proc.stderr:
                return None
            raise ToolError(f"helm: {_one_line(proc.stderr.strip().removeprefix('Error: '))}")
        raw = json.loads(proc.stdout)
        return {**_summary(raw), "manifest": raw.get("manifest") or "",
                "notes": (raw.get("info") or {}).get("notes") or ""}

    def history(self, release: str, namespace: str) -> list[dict[str, Any]]:
        proc = self._run("history", release, "-n", namespace, "-o", "json", cluster=True, check=False)
        if proc.returncode != 0:
            if "not found" in proc.stderr:
                raise ToolError(f"release {release!r} not found in namespace {namespace}")
            raise ToolError(f"helm: {_one_line(proc.stderr.strip().removeprefix('Error: '))}")
        return [{**_summary(r), "namespace": namespace} for r in json.loads(proc.stdout or "[]")]

    def _write(self, verb: str, chart: Path, release: str, values: dict[str, Any], namespace: str,
               extra: list[str], *, dry_run: bool, wait: bool, timeout: int) -> dict[str, Any]:
        with tempfile.TemporaryDirectory(prefix="reign-helm-") as tmp:
            args = [verb, release, str(chart), "-n", namespace, *self._values_args(values, Path(tmp)), *extra,
                    "-o", "json", "--timeout", f"{timeout}s"]
            if dry_run:
                args.append("--dry-run=server")
            elif wait:
                args.append("--wait")
            raw = json.loads(self._run(*args, cluster=True, timeout=timeout + 30).stdout)
        return {**_summary(raw), "manifest": raw.get("manifest") or "",
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
        return {"info": _one_line(proc.stdout.strip() or "uninstalled", 300)}


def _engine_choice() -> tuple[str | None, str | None]:
    """("sdk"|"cli", None) or (None, reason)."""
    import importlib.util

    forced = os.environ.get("REIGN_HELM_ENGINE", "").strip().lower()
    has_sdk = forced in ("", "sdk") and importlib.util.find_spec("helm_python") is not None
    if has_sdk:
        return "sdk", None
    if forced in ("", "cli") and shutil.which("helm"):
        return "cli", None
    if forced == "sdk":
        return None, "helm-python-sdk is not installed (pip install 'reign[kubernetes]')"
    if forced == "cli":
        return None, "no helm binary on PATH"
    return None, "no Helm engine: pip install helm-python-sdk (or put a helm binary on PATH)"


def _engine(ctx: ToolContext) -> Engine:
    from reign.managers.kubernetes import kubeconfig_files

    kind, reason = _engine_choice()
    files = kubeconfig_files()
    kubeconfig = files[0] if len(files) == 1 else None  # several files: the engines read $KUBECONFIG themselves
    context = ctx.settings.kube_context or None
    if kind == "sdk":
        try:
            return SdkEngine(kubeconfig, context)
        except Exception as exc:  # the shared library failed to load: try the binary
            binary = shutil.which("helm")
            if binary is None:
                raise ToolError(f"helm-python-sdk does not load: {_one_line(exc, 200)}") from None
            return CliEngine(binary, kubeconfig, context, float(ctx.settings.tool_timeout))
    if kind == "cli":
        return CliEngine(str(shutil.which("helm")), kubeconfig, context, float(ctx.settings.tool_timeout))
    raise ToolError(reason or "no Helm engine")


def available() -> str | None:
    """Chart tools: a Helm engine is present."""
    return _engine_choice()[1]


def cluster_available() -> str | None:
    """Release tools: a Helm engine and a reachable cluster."""
    reason = available()
    if reason:
        return reason
    from reign.managers.kubernetes import available as kube_available

    return kube_available()


# ------------------------------------------------------------------------------------------ paths, values


def confined(path: str, ctx: ToolContext, *, must_exist: bool = True) -> Path:
    """`path` (relative to the workspace root) resolved, symlinks followed; refused when it leaves the root."""
    root = Path(ctx.settings.workspace_root).expanduser().resolve()
    real = confine(path, root)
    if real is None:
        raise ToolError(f"{path}: outside the workspace root {root}")
    if must_exist and not real.exists():
        raise ToolError(f"{path}: no such file or directory under the workspace root")
    return real


def _chart_dir(chart: str, ctx: ToolContext) -> Path:
    real = confined(chart, ctx)
    root = Path(ctx.settings.workspace_root).expanduser().resolve()
    if real.is_dir():
        if not (real / "Chart.yaml").is_file():
            raise ToolError(f"{chart}: not a chart (no Chart.yaml)")
        for dirpath, dirnames, filenames in os.walk(real):
            for entry in [*dirnames, *filenames]:
                candidate = Path(dirpath) / entry
                if candidate.is_symlink() and not candidate.resolve().is_relative_to(root):
                    raise ToolError(f"{chart}: {candidate.relative_to(real)} links outside the workspace root")
    elif not real.name.endswith(".tgz"):
        raise ToolError(f"{chart}: a chart is a directory with Chart.yaml or a packaged .tgz")
    return real


def _set_path(target: dict[str, Any], dotted: str, value: Any) -> None:
    parts = [p.replace("\\.", ".") for p in re.split(r"(?<!\\)\.", dotted)]
    if not all(parts):
        raise ToolError(f"set: bad key {dotted!r}")
    cur = target
    for part in parts[:-1]:
        nxt = cur.get(part)
        if not isinstance(nxt, dict):
            nxt = cur[part] = {}
        cur = nxt
    cur[parts[-1]] = value


def merge(base: dict[str, Any], over: dict[str, Any]) -> dict[str, Any]:
    out = dict(base)
    for key, value in over.items():
        if isinstance(value, dict) and isinstance(out.get(key), dict):
            out[key] = merge(out[key], value)
        else:
            out[key] = value
    return out


def user_values(values_files: list[str] | None, set: dict[str, Any] | None, ctx: ToolContext) -> dict[str, Any]:
    """Values files in order, then `set` on top: what the user supplies over the chart's defaults."""
    import yaml

    values: dict[str, Any] = {}
    for name in values_files or []:
        path = confined(name, ctx)
        try:
            data = yaml.safe_load(path.read_text()) or {}
        except (OSError, yaml.YAMLError) as exc:
            raise ToolError(f"{name}: not a readable YAML values file: {_one_line(exc, 200)}") from None
        if not isinstance(data, dict):
            raise ToolError(f"{name}: a values file is a mapping")
        values = merge(values, data)
    overrides: dict[str, Any] = {}
    for key, value in (set or {}).items():
        _set_path(overrides, key, value)
    return merge(values, overrides)


# ------------------------------------------------------------------------------------------ manifests


def split_sources(text: str) -> dict[str, str]:
    """`helm template` output -> {template path: manifest}."""
    out: dict[str, str] = {}
    current = "(unnamed)"
    for doc in re.split(r"(?m)^---\s*$", text):
        match = re.search(r"(?m)^# Source: (.+)$", doc)
        if match:
            current = match.group(1).strip()
        body = doc.strip()
        if body:
            out[current] = (out.get(current, "") + "\n---\n" + body).strip("-\n") if current in out else body
    return out


def objects(manifest: str) -> list[dict[str, Any]]:
    import yaml

    try:
        docs = list(yaml.safe_load_all(manifest))
    except yaml.YAMLError as exc:
        raise ToolError(f"rendered manifest is not YAML: {_one_line(exc, 200)}") from None
    return [d for d in docs if isinstance(d, dict) and d.get("kind")]


def _object_key(obj: dict[str, Any], namespace: str) -> str:
    meta = obj.get("metadata") or {}
    kind = canonical_kind(str(obj.get("kind")))
    ns = "" if kind in CLUSTER_SCOPED else f"{meta.get('namespace') or namespace}/"
    return f"{obj.get('kind')} {ns}{meta.get('name')}"


def manifest_diff(before: str | None, after: str | None, namespace: str) -> tuple[str, dict[str, int]]:
    """Per-object unified diff of two rendered manifests (Secret values fingerprinted, never shown)."""
    old = {_object_key(o, namespace): o for o in objects(before or "")}
    new = {_object_key(o, namespace): o for o in objects(after or "")}
    counts = {"create": 0, "change": 0, "delete": 0, "unchanged": 0}
    parts = []
    for key in sorted(set(old) | set(new)):
        a, b = ks.normalise(old.get(key)), ks.normalise(new.get(key))
        action = "create" if a is None else "delete" if b is None else "change" if a != b else "unchanged"
        counts[action] += 1
        parts.append(f"## {key}: {action}")
        diff = ks.object_diff(a, b, key.replace(" ", "/"), max_lines=40 if action == "delete" else 0)
        if diff:
            parts.append(diff.rstrip("\n").replace("live/", "release/").replace("dry-run/", "rendered/"))
    return "\n".join(parts), counts


def _resources(manifest: str, namespace: str) -> list[str]:
    return [_object_key(o, namespace) for o in objects(manifest)]


# ------------------------------------------------------------------------------------------ scope


def _namespace(ctx: ToolContext, namespace: str | None, *, write: bool, all_namespaces: bool = False) -> str | None:
    from reign.managers.kubernetes import kubeconfig_files, load_kubeconfig, scoped_namespace

    def context_default() -> str:
        files = kubeconfig_files()
        if not files:
            return "default"
        kc = load_kubeconfig(files)
        entry = kc["contexts"].get(ctx.settings.kube_context or kc["current-context"]) or {}
        return str(entry.get("namespace") or "default")

    return scoped_namespace(ctx, namespace, context_default, write=write, all_namespaces=all_namespaces)


def _context_name(ctx: ToolContext) -> str:
    from reign.managers.kubernetes import kubeconfig_files, load_kubeconfig

    if ctx.settings.kube_context:
        return ctx.settings.kube_context
    files = kubeconfig_files()
    return str(load_kubeconfig(files)["current-context"] or "?") if files else "?"


def _check_rendered(manifest: str, namespace: str, ctx: ToolContext) -> None:
    """Objects a chart puts outside the release namespace must be in scope and not protected."""
    allowed = [str(n) for n in getattr(ctx.settings, "kube_namespaces", None) or []]
    protected = [str(n) for n in getattr(ctx.settings, "protected_namespaces", None) or []]
    for obj in objects(manifest):
        kind = canonical_kind(str(obj.get("kind")))
        meta = obj.get("metadata") or {}
        if kind in CLUSTER_SCOPED:
            if allowed:
                raise ToolError(f"the chart renders a cluster-scoped {obj.get('kind')} ({meta.get('name')}): outside "
                                f"this session's namespaces ({', '.join(allowed)})")
            continue
        ns = meta.get("namespace")
        if not ns or ns == namespace:
            continue
        if allowed and ns not in allowed:
            raise ToolError(f"the chart renders {obj.get('kind')} {meta.get('name')} into namespace {ns!r}, outside "
                            f"this session's namespaces ({', '.join(allowed)})")
        if ns in protected:
            raise ToolError(f"the chart renders {obj.get('kind')} {meta.get('name')} into protected namespace {ns!r}")


# ------------------------------------------------------------------------------------------ chart tools


def _create_plan(name: str, dir: str, ctx: ToolContext) -> tuple[str, list[Any]]:
    """The chart Helm would scaffold at dir/name, as file changes (made in a scratch folder, nothing written)."""
    from reign.managers.files.diff import Change

    parent = confined(dir, ctx)
    if not parent.is_dir():
        raise ToolError(f"{dir}: not a directory")
    if (parent / name).exists():
        raise ToolError(f"{parent / name} already exists")
    root = Path(ctx.settings.workspace_root).expanduser().resolve()
    chart = (parent / name).relative_to(root).as_posix()
    with tempfile.TemporaryDirectory(prefix="reign-helm-create-") as tmp:
        made = _engine(ctx).create(name, Path(tmp))
        files = sorted(p for p in made.rglob("*") if p.is_file())
        return chart, [Change(f"{chart}/{p.relative_to(made).as_posix()}", None, p.read_text()) for p in files]


def preview_create(*, name: str, dir: str = ".", ctx: ToolContext) -> str:
    """Catalogue `preview` of helm_create: the diff of every file the new chart adds."""
    from reign.managers.files.diff import preview

    return preview(_create_plan(name, dir, ctx)[1])


def create(*, name: str, dir: str = ".", ctx: ToolContext) -> dict[str, Any]:
    """Scaffold a new chart (Chart.yaml, values.yaml, templates/) at dir/name: exactly the files of the approved
    diff, refused when the folder appeared or changed since that diff was shown."""
    from reign.managers.files.write import changes_for_run, commit

    plan: list[str] = []

    def make() -> list[Any]:
        chart, changes = _create_plan(name, dir, ctx)
        plan.append(chart)
        return changes

    changes = changes_for_run(make, ctx)
    for change in changes:
        commit(change, ctx)
    return {"chart": plan[0], "files": sorted(c.path.removeprefix(plan[0] + "/") for c in changes)}


def lint(*, chart: str, values_files: list[str] | None = None, set: dict[str, Any] | None = None,
         strict: bool = False, ctx: ToolContext) -> dict[str, Any]:
    """helm lint: findings by severity; ok is false when there is an error (or a warning, with strict)."""
    path = _chart_dir(chart, ctx)
    messages = _engine(ctx).lint(path, user_values(values_files, set, ctx), strict)
    errors = sum(1 for m in messages if m["severity"] == "ERROR")
    warnings = sum(1 for m in messages if m["severity"] == "WARNING")
    return {"chart": chart, "ok": errors == 0 and not (strict and warnings), "errors": errors, "warnings": warnings,
            "messages": messages}


def template(*, chart: str, release: str = "release-name", namespace: str = "default",
             values_files: list[str] | None = None, set: dict[str, Any] | None = None,
             show_only: list[str] | None = None, ctx: ToolContext) -> str:
    """helm template: the rendered manifests (offline), each under `# Source: <template>`."""
    path = _chart_dir(chart, ctx)
    rendered = _engine(ctx).render(path, user_values(values_files, set, ctx), release, namespace)
    docs = []
    for source in sorted(rendered):
        body = rendered[source].strip()
        if not body or source.endswith("NOTES.txt"):
            continue
        if show_only and not any(source.endswith(s) for s in show_only):
            continue
        docs.append(f"---\n# Source: {source}\n{body}\n")
    if show_only and not docs:
        raise ToolError(f"no template matches {show_only}; templates: {', '.join(sorted(rendered))}")
    listing = [_object_key(o, namespace) for o in objects("".join(docs))]
    return f"# {len(listing)} objects: {', '.join(listing)}\n" + "".join(docs)


def show(*, chart: str, what: str = "values", ctx: ToolContext) -> str:
    """helm show: the chart's values (default), Chart.yaml, README or all."""
    return _engine(ctx).show(_chart_dir(chart, ctx), what)


def package(*, chart: str, destination: str = ".", version: str | None = None, app_version: str | None = None,
            ctx: ToolContext) -> dict[str, Any]:
    """helm package: a versioned .tgz of the chart in destination."""
    path = _chart_dir(chart, ctx)
    dest = confined(destination, ctx)
    if not dest.is_dir():
        raise ToolError(f"{destination}: not a directory")
    archive = _engine(ctx).package(path, dest, version, app_version)
    confined(archive, ctx)
    return {"archive": archive}


# ------------------------------------------------------------------------------------------ release tools


def list_releases(*, namespace: str | None = None, all_namespaces: bool = False, all_states: bool = False,
                  filter: str | None = None, ctx: ToolContext) -> dict[str, Any]:
    """Releases (deployed by default; all_states adds failed, pending, uninstalled-with-history)."""
    ns = _namespace(ctx, namespace, write=False, all_namespaces=all_namespaces)
    rows = _engine(ctx).releases(ns, all_states, filter)
    return {"namespace": ns or "(all)", "total": len(rows), "releases": rows}


def status(*, release: str, namespace: str | None = None, revision: int | None = None,
           ctx: ToolContext) -> dict[str, Any]:
    """A release's state, the objects it owns and its notes."""
    ns = _namespace(ctx, namespace, write=False)
    assert ns is not None
    current = _engine(ctx).status(release, ns, revision)
    if current is None:
        raise ToolError(f"release {release!r} not found in namespace {ns}")
    manifest, notes = current.pop("manifest"), current.pop("notes")
    current["resources"] = _resources(manifest, ns)
    if notes:
        current["notes"] = notes[:2000]
    return current


def history(*, release: str, namespace: str | None = None, max: int = 20, ctx: ToolContext) -> dict[str, Any]:
    """A release's revisions, newest first."""
    ns = _namespace(ctx, namespace, write=False)
    assert ns is not None
    rows = sorted(_engine(ctx).history(release, ns), key=lambda r: -int(r.get("revision", 0)))
    return {"release": release, "namespace": ns, "revisions": rows[:max]}


def _release_plan(verb: str, release: str, chart: str, namespace: str | None, values_files: list[str] | None,
                  set: dict[str, Any] | None, ctx: ToolContext, *, install_missing: bool = False,
                  reuse_values: bool = False, reset_values: bool = False) -> tuple[Engine, Path, dict[str, Any], str,
                                                                                    str]:
    ns = _namespace(ctx, namespace, write=True)
    assert ns is not None
    engine = _engine(ctx)
    path = _chart_dir(chart, ctx)
    values = user_values(values_files, set, ctx)
    current = engine.status(release, ns)
    if verb == "install" and current is not None:
        raise ToolError(f"release {release!r} already exists in {ns} (revision {current.get('revision')}, "
                        f"{current.get('status')}): use helm_upgrade")
    if verb == "upgrade" and current is None and not install_missing:
        raise ToolError(f"release {release!r} not found in namespace {ns} (use helm_install, or install=true)")
    if current is None:
        rendered = engine.install(path, release, values, ns, dry_run=True, wait=False, timeout=60,
                                  create_namespace=True)
    else:
        rendered = engine.upgrade(path, release, values, ns, dry_run=True, wait=False, timeout=60,
                                  reuse_values=reuse_values, reset_values=reset_values)
    manifest = str(rendered.get("manifest") or "")
    _check_rendered(manifest, ns, ctx)
    diff, counts = manifest_diff((current or {}).get("manifest"), manifest, ns)
    what = "new release" if current is None else f"release revision {current.get('revision')}"
    head = (f"# helm_{verb} {release} in {ns} (chart {rendered.get('chart', path.name)}) on context "
            f"{_context_name(ctx)}: rendered manifest against the {what}\n"
            f"# {counts['create']} to create, {counts['change']} to change, {counts['delete']} to delete, "
            f"{counts['unchanged']} unchanged\n")
    return engine, path, values, ns, head + diff + ("\n" if diff else "")


def preview_install(*, release: str, chart: str, namespace: str | None = None, values_files: list[str] | None = None,
                    set: dict[str, Any] | None = None, create_namespace: bool = False, wait: bool = True,
                    timeout_seconds: int = 300, ctx: ToolContext) -> str:
    return _release_plan("install", release, chart, namespace, values_files, set, ctx)[4]


def install(*, release: str, chart: str, namespace: str | None = None, values_files: list[str] | None = None,
            set: dict[str, Any] | None = None, create_namespace: bool = False, wait: bool = True,
            timeout_seconds: int = 300, ctx: ToolContext) -> dict[str, Any]:
    """helm install of a local chart, after a server dry-run render; waits for the objects to be ready."""
    engine, path, values, ns, preview = _release_plan("install", release, chart, namespace, values_files, set, ctx)
    if ctx.approved_preview is not None and ctx.approved_preview != preview:
        raise ToolError(CHANGED)
    out = engine.install(path, release, values, ns, dry_run=False, wait=wait, timeout=timeout_seconds,
                         create_namespace=create_namespace)
    return _written(out, ns)


def _written(out: dict[str, Any], ns: str) -> dict[str, Any]:
    manifest, notes = out.pop("manifest", ""), out.pop("notes", "")
    out["resources"] = _resources(manifest, ns)
    if notes:
        out["notes"] = notes[:1000]
    return out


def preview_upgrade(*, release: str, chart: str, namespace: str | None = None, values_files: list[str] | None = None,
                    set: dict[str, Any] | None = None, install: bool = False, reuse_values: bool = False,
                    reset_values: bool = False, wait: bool = True, timeout_seconds: int = 300,
                    ctx: ToolContext) -> str:
    return _release_plan("upgrade", release, chart, namespace, values_files, set, ctx, install_missing=install,
                         reuse_values=reuse_values, reset_values=reset_values)[4]


def upgrade(*, release: str, chart: str, namespace: str | None = None, values_files: list[str] | None = None,
            set: dict[str, Any] | None = None, install: bool = False, reuse_values: bool = False,
            reset_values: bool = False, wait: bool = True, timeout_seconds: int = 300,
            ctx: ToolContext) -> dict[str, Any]:
    """helm upgrade (install=true: install when missing), after a server dry-run render diffed against the release."""
    engine, path, values, ns, preview = _release_plan("upgrade", release, chart, namespace, values_files, set, ctx,
                                                      install_missing=install, reuse_values=reuse_values,
                                                      reset_values=reset_values)
    if ctx.approved_preview is not None and ctx.approved_preview != preview:
        raise ToolError(CHANGED)
    if engine.status(release, ns) is None:
        out = engine.install(path, release, values, ns, dry_run=False, wait=wait, timeout=timeout_seconds,
                             create_namespace=False)
    else:
        out = engine.upgrade(path, release, values, ns, dry_run=False, wait=wait, timeout=timeout_seconds,
                             reuse_values=reuse_values, reset_values=reset_values)
    return _written(out, ns)


def _rollback_plan(release: str, namespace: str | None, revision: int | None,
                   ctx: ToolContext) -> tuple[Engine, str, int, str]:
    ns = _namespace(ctx, namespace, write=True)
    assert ns is not None
    engine = _engine(ctx)
    current = engine.status(release, ns)
    if current is None:
        raise ToolError(f"release {release!r} not found in namespace {ns}")
    revisions = sorted(int(r.get("revision", 0)) for r in engine.history(release, ns))
    now = int(current.get("revision", 0))
    target = revision or max((r for r in revisions if r < now), default=0)
    if not target or target not in revisions:
        raise ToolError(f"release {release!r} has no revision {revision or 'before ' + str(now)} "
                        f"(revisions: {', '.join(map(str, revisions))})")
    old = engine.status(release, ns, target)
    diff, counts = manifest_diff(current.get("manifest"), (old or {}).get("manifest"), ns)
    head = (f"# helm_rollback {release} in {ns}: revision {now} -> a new revision with revision {target}'s manifest\n"
            f"# {counts['create']} to create, {counts['change']} to change, {counts['delete']} to delete, "
            f"{counts['unchanged']} unchanged\n")
    return engine, ns, target, head + diff + ("\n" if diff else "")


def preview_rollback(*, release: str, namespace: str | None = None, revision: int | None = None, wait: bool = True,
                     timeout_seconds: int = 300, ctx: ToolContext) -> str:
    return _rollback_plan(release, namespace, revision, ctx)[3]


def rollback(*, release: str, namespace: str | None = None, revision: int | None = None, wait: bool = True,
             timeout_seconds: int = 300, ctx: ToolContext) -> dict[str, Any]:
    """helm rollback to a revision (default: the previous one); creates a new revision."""
    engine, ns, target, preview = _rollback_plan(release, namespace, revision, ctx)
    if ctx.approved_preview is not None and ctx.approved_preview != preview:
        raise ToolError(CHANGED)
    engine.rollback(release, ns, target, wait=wait, timeout=timeout_seconds)
    after = engine.status(release, ns) or {}
    return {"release": release, "namespace": ns, "rolled_back_to": target, "revision": after.get("revision"),
            "status": after.get("status")}


def _uninstall_plan(release: str, namespace: str | None, ctx: ToolContext) -> tuple[Engine, str, str]:
    ns = _namespace(ctx, namespace, write=True)
    assert ns is not None
    engine = _engine(ctx)
    current = engine.status(release, ns)
    if current is None:
        raise ToolError(f"release {release!r} not found in namespace {ns}")
    resources = _resources(str(current.get("manifest") or ""), ns)
    lines = [f"# helm_uninstall {release} in {ns} (revision {current.get('revision')}, chart "
             f"{current.get('chart', '?')}): deletes {len(resources)} objects", *(f"- {r}" for r in resources)]
    return engine, ns, "\n".join(lines) + "\n"


def preview_uninstall(*, release: str, namespace: str | None = None, keep_history: bool = False, wait: bool = True,
                      timeout_seconds: int = 300, ctx: ToolContext) -> str:
    return _uninstall_plan(release, namespace, ctx)[2]


def uninstall(*, release: str, namespace: str | None = None, keep_history: bool = False, wait: bool = True,
              timeout_seconds: int = 300, ctx: ToolContext) -> dict[str, Any]:
    """helm uninstall: deletes every object of the release (keep_history keeps its record)."""
    engine, ns, preview = _uninstall_plan(release, namespace, ctx)
    if ctx.approved_preview is not None and ctx.approved_preview != preview:
        raise ToolError(CHANGED)
    out = engine.uninstall(release, ns, keep_history=keep_history, wait=wait, timeout=timeout_seconds)
    return {"release": release, "namespace": ns, **out}
