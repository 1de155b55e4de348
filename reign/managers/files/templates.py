"""Templates as data: reign/templates/files/<name>/template.yaml lists the parameters (default, pattern or
enum) and the files to render (Jinja2, strict: an unknown name is an error). Defaults come from the manifest,
then from what is detected in the target directory (stack, entry point, lock files), then from the call.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from reign.errors import ToolError

TEMPLATES_DIR = Path(__file__).resolve().parent.parent.parent / "templates" / "files"
STACK_PORTS = {"python": "8000", "node": "3000", "go": "8080", "java": "8080"}
JAVA_BUILD_IMAGES = {"maven": "maven:3.9.9-eclipse-temurin-21", "gradle": "gradle:8.11.1-jdk21"}


@dataclass(frozen=True)
class Template:
    name: str
    description: str
    params: dict[str, dict[str, Any]]
    files: list[dict[str, str]]
    folder: Path


def names() -> list[str]:
    return sorted(p.parent.name for p in TEMPLATES_DIR.glob("*/template.yaml"))


def load(name: str) -> Template:
    if name not in names():
        raise ToolError(f"unknown template {name!r}; templates: {', '.join(names())}")
    folder = TEMPLATES_DIR / name
    data = yaml.safe_load((folder / "template.yaml").read_text())
    return Template(name=name, description=" ".join(str(data.get("description", "")).split()),
                    params=dict(data.get("params") or {}), files=list(data.get("files") or []), folder=folder)


# ------------------------------------------------------------------------------------------ detection


def _slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")[:40].strip("-") or "app"


def detect_stack(folder: Path) -> str | None:
    if not folder.is_dir():
        return None
    if (folder / "go.mod").is_file():
        return "go"
    if (folder / "package.json").is_file():
        return "node"
    if any((folder / f).is_file() for f in ("pom.xml", "build.gradle", "build.gradle.kts")):
        return "java"
    if any((folder / f).is_file() for f in ("requirements.txt", "pyproject.toml", "setup.py")) or \
            any(folder.glob("*.py")):
        return "python"
    return None


def detect(folder: Path) -> dict[str, Any]:
    """Facts about the target directory that templates use as defaults and conditions."""
    stack = detect_stack(folder)
    name = _slug(folder.name)
    facts: dict[str, Any] = {"name": name, "image": f"{name}:0.1.0", "host": f"{name}.example.com"}
    if stack:
        facts.update(stack=stack, port=STACK_PORTS[stack])
    facts["host_port"] = facts.get("port", "8080")
    facts["requirements"] = (folder / "requirements.txt").is_file()
    facts["lockfile"] = (folder / "package-lock.json").is_file()
    facts["go_sum"] = (folder / "go.sum").is_file()
    facts["java_build"] = "maven" if (folder / "pom.xml").is_file() else "gradle"
    facts["java_build_image"] = JAVA_BUILD_IMAGES[facts["java_build"]]
    facts["build_script"] = False
    if stack == "python":
        facts["entry"] = next((f for f in ("app.py", "main.py", "server.py", "manage.py") if (folder / f).is_file()),
                              "app.py")
    elif stack == "node":
        try:
            package = json.loads((folder / "package.json").read_text())
        except (OSError, ValueError):
            package = {}
        scripts = package.get("scripts") if isinstance(package.get("scripts"), dict) else {}
        facts["build_script"] = "build" in scripts
        main = package.get("main")
        facts["entry"] = main if isinstance(main, str) and main else next(
            (f for f in ("server.js", "index.js", "app.js") if (folder / f).is_file()), "server.js")
    return facts


# ------------------------------------------------------------------------------------------ rendering


def values(template: Template, facts: dict[str, Any], given: dict[str, Any]) -> dict[str, Any]:
    """The parameters: manifest defaults < detected facts < the call's `params`; each checked."""
    unknown = sorted(set(given) - set(template.params))
    if unknown:
        raise ToolError(f"template {template.name} has no parameter {', '.join(unknown)}; "
                        f"its parameters: {', '.join(template.params)}")
    out: dict[str, Any] = dict(facts)
    for key, spec in template.params.items():
        if key in given:
            value = given[key]
        elif key in facts:
            value = facts[key]
        elif "default" in spec:
            value = spec["default"]
        else:
            raise ToolError(f"template {template.name}: give params.{key} ({spec.get('description', 'required')}); "
                            "it could not be detected")
        value = str(value).lower() if isinstance(value, bool) else str(value)
        if "enum" in spec and value not in spec["enum"]:
            raise ToolError(f"params.{key}={value!r}: must be one of {', '.join(spec['enum'])}")
        if "pattern" in spec and not re.fullmatch(str(spec["pattern"]), value):
            raise ToolError(f"params.{key}={value!r} does not fit the pattern {spec['pattern']}")
        out[key] = value
    return out


def render(template: Template, context: dict[str, Any]) -> dict[str, str]:
    """{relative destination: rendered text} for every file of the template."""
    import jinja2

    env = jinja2.Environment(loader=jinja2.FileSystemLoader(template.folder), undefined=jinja2.StrictUndefined,
                             keep_trailing_newline=True, autoescape=False)  # noqa: S701 - not HTML
    out: dict[str, str] = {}
    try:
        for entry in template.files:
            source = env.from_string(entry["src"]).render(context)
            dest = env.from_string(entry["dest"]).render(context)
            out[dest] = env.get_template(source).render(context)
    except jinja2.TemplateError as exc:
        raise ToolError(f"template {template.name}: {exc}") from None
    return out
