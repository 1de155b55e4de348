"""Project detection: what a repository is (language, tests, Dockerfile, chart, Terraform) from its files."""

from __future__ import annotations

import json
import re
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from reign.managers.cicd.host import project_root, tool_env
from reign.process import run_argv
from reign.toolcontext import ToolContext

_SKIP_DIRS = {".git", "node_modules", ".venv", "venv", "vendor", ".terraform", "dist", "build", "__pycache__",
              ".tox", ".mypy_cache", ".pytest_cache", "target", ".reign"}
SAFE_VALUE = re.compile(r"^[A-Za-z0-9._/+^~*-]+$")


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


def read_text(path: Path, limit: int = 400_000) -> str:
    try:
        return path.read_text(errors="replace")[:limit]
    except OSError:
        return ""


def _git_default_branch(root: Path) -> str:
    for args in (["symbolic-ref", "--short", "refs/remotes/origin/HEAD"], ["symbolic-ref", "--short", "HEAD"]):
        res = run_argv(["git", *args], timeout=10, cap=1000, cwd=root, env=tool_env())
        name = res.stdout.strip().removeprefix("origin/")
        if res.exit_code == 0 and name and SAFE_VALUE.match(name):
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
            data = tomllib.loads(read_text(pyproject))
        except tomllib.TOMLDecodeError:
            data = {}
    project = data.get("project") or {}
    version = "3.12"
    m = re.search(r"3\.(\d+)", str(project.get("requires-python") or ""))
    if m:
        version = f"3.{m.group(1)}"
    elif (folder / ".python-version").is_file():
        m = re.match(r"\s*(3\.\d+)", read_text(folder / ".python-version"))
        version = m.group(1) if m else version
    extras = project.get("optional-dependencies") or {}
    install = []
    if pyproject.is_file() or (folder / "setup.py").is_file():
        extra = next((e for e in ("test", "tests", "dev") if e in extras), None)
        install.append(f'python -m pip install -e ".[{extra}]"' if extra else "python -m pip install -e .")
    for req in ("requirements.txt", "requirements-dev.txt", "requirements-test.txt"):
        if (folder / req).is_file():
            install.append(f"python -m pip install -r {req}")
    listed = ("requirements-dev.txt", "requirements-test.txt", "requirements.txt", "setup.cfg")
    text = read_text(pyproject) + "".join(read_text(folder / r) for r in listed)
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
        data = json.loads(read_text(pkg))
    except json.JSONDecodeError:
        data = {}
    version = "22"
    m = re.search(r"(\d{2})", str((data.get("engines") or {}).get("node") or ""))
    if m:
        version = m.group(1)
    elif (folder / ".nvmrc").is_file():
        m = re.search(r"(\d{2})", read_text(folder / ".nvmrc"))
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
    m = re.search(r"^name:\s*['\"]?([A-Za-z0-9._-]+)", read_text(chart), re.M)
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


# --------------------------------------------------------------------------------------------- tools


def detect(*, path: str = ".", ctx: ToolContext) -> dict[str, Any]:
    root = project_root(ctx, path)
    return {"path": path, **detect_project(root).summary()}
