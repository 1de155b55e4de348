"""Workflow generation from the templates shipped in reign/templates, and writing them."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

from reign.errors import ToolError
from reign.managers.cicd.detect import SAFE_VALUE, Project, detect_project, read_text
from reign.managers.cicd.host import inside_root, project_root
from reign.managers.cicd.validate import validate_contents
from reign.toolcontext import ToolContext

TEMPLATES = ("test-python", "test-node", "test-go", "docker-image", "terraform", "helm")
HELM_VERSION = "v3.17.3"
_PLACEHOLDER = re.compile(r"@([a-z_]+)@")


# --------------------------------------------------------------------------------------------- rendering


def template_dir() -> Path:
    return Path(__file__).resolve().parents[2] / "templates" / "workflows"


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
    if not SAFE_VALUE.match(value):
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
        m = re.search(r'required_version\s*=\s*"([^"]+)"', read_text(tf))
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


def generate(*, path: str = ".", templates: list[str] | None = None, ctx: ToolContext) -> dict[str, Any]:
    """Render workflows for the repository and validate them; nothing is written."""
    root = project_root(ctx, path)
    items = plan_workflows(detect_project(root), templates)
    report = validate_contents(items, max(60.0, ctx.settings.tool_timeout))
    return {"workflows": items, "validation": report.as_dict()}


def write_workflows(*, path: str = ".", templates: list[str] | None = None, overwrite: bool = False,
                    ctx: ToolContext) -> dict[str, Any]:
    """Render, validate, and write the workflows into the repository (refused if any check finds a problem)."""
    root = project_root(ctx, path)
    items = plan_workflows(detect_project(root), templates)
    report = validate_contents(items, max(60.0, ctx.settings.tool_timeout))
    if not report.ok:
        raise ToolError("generated workflows failed validation, nothing written: "
                        + "; ".join(f.text() for f in report.findings[:5]))
    written, skipped = [], []
    for item in items:
        target = inside_root(root, item["file"])
        if target.exists() and not overwrite:
            skipped.append(f"{item['file']} (exists; overwrite=true replaces it)")
            continue
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(item["content"])
        written.append(item["file"])
    return {"written": written, "skipped": skipped, "validation": report.as_dict()}
