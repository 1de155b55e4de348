"""The tool catalogue: tool definitions as data, argument validation, and binding to implementations.

Catalogue files are YAML (see docs/CONVENTIONS.md). The shipped files come from the package data;
users add folders with `tools_dirs` in config or `REIGN_TOOLS_PATH` (os.pathsep-separated).
A user file may also define command-template tools (`command: [argv template]`) that need no Python.
"""

from __future__ import annotations

import contextlib
import importlib
import inspect
import os
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal, cast

from reign.config import Settings
from reign.errors import ReignError
from reign.sandbox import ToolSandbox, parse_spec
from reign.types import Effect, ToolSpec
from reign.yamlcache import BadYaml, cache_dir, load_text

Loading = Literal["always", "manager", "loader"]

_NAME = re.compile(r"^[a-zA-Z][a-zA-Z0-9_]{0,63}$")
_EFFECTS = ("read", "write", "destructive")
_FIELDS = {"name", "description", "effect", "impl", "input_schema", "preview", "command", "available", "loading",
           "sandbox"}
_LOADING = ("always", "manager", "loader")
_TEMPLATE_IMPL = "reign.managers.template:run"


def shipped_dir(kind: str) -> Path:
    """`tools` or `prompts`: inside the wheel under reign/_data, or at the top of a source checkout."""
    packaged = Path(__file__).parent / "_data" / kind
    return packaged if packaged.is_dir() else Path(__file__).parent.parent / kind


@dataclass(frozen=True)
class Tool:
    name: str
    description: str
    effect: Effect
    input_schema: dict[str, Any]
    impl: str
    manager: str
    source: Path
    available: str | None = None  # "module:function" returning None or the reason it is unavailable
    preview: str | None = None  # "module:function" giving the text an approval shows (plan, diff)
    command: tuple[str, ...] | None = None
    bound: tuple[tuple[str, Any], ...] = ()  # extra keyword args for impl, never shown to the model
    # when the model gets the schema (reign.toolset): "always" from the first request (bash), "manager" once
    # its manager is loaded, "loader" is the tool that loads managers (use_tools: lazy loading only, never MCP)
    loading: Loading = "manager"
    sandbox: ToolSandbox = field(default_factory=ToolSandbox)  # what its processes may write, need, reach

    def spec(self) -> ToolSpec:
        return ToolSpec(name=self.name, description=self.description, input_schema=self.input_schema)

    def resolve(self) -> Callable[..., Any]:
        return resolve(self.impl)

    def wants_ctx(self) -> bool:
        return "ctx" in inspect.signature(self.resolve()).parameters


def resolve(ref: str) -> Callable[..., Any]:
    module, _, name = ref.partition(":")
    try:
        return cast(Callable[..., Any], getattr(importlib.import_module(module), name))
    except (ImportError, AttributeError) as exc:
        raise ReignError(f"cannot load tool implementation {ref}: {exc}") from exc


@dataclass
class Catalogue:
    tools: dict[str, Tool] = field(default_factory=dict)
    settings: Settings | None = None  # what availability probes see (a resumed session's scope); None: the environment
    _availability: dict[str, str | None] = field(default_factory=dict)
    _validators: dict[str, Any] = field(default_factory=dict)

    @classmethod
    def load(cls, extra_dirs: Iterable[Path] = (), *, check_schemas: bool = True,
             settings: Settings | None = None) -> Catalogue:
        """`check_schemas=False` skips the JSON-Schema meta-check: for callers that only read effects."""
        cat = cls(settings=settings)
        for folder in [shipped_dir("tools"), *extra_dirs, *_env_dirs()]:
            if not folder.is_dir():
                raise ReignError(f"tool catalogue folder not found: {folder}")
            for path in sorted(folder.glob("*.y*ml")):
                for tool in _load_file(path, check_schemas):
                    cat.add(tool)
        return cat

    def add(self, tool: Tool) -> None:
        """Tools that are not files: e.g. those of an MCP server Reign connects to."""
        if tool.name in self.tools:
            first = self.tools[tool.name].source
            raise ReignError(f"{tool.source}: tool {tool.name!r} is already defined in {first}")
        self.tools[tool.name] = tool

    def get(self, name: str) -> Tool | None:
        return self.tools.get(name)

    def unavailable_reason(self, tool: Tool) -> str | None:
        """Why this machine cannot serve the tool (no engine, no binary), or None. Cached per check."""
        if tool.available is None:
            return None
        if tool.available not in self._availability:
            try:
                self._availability[tool.available] = self._probe(tool.available)
            except Exception as exc:  # an availability probe must never crash the catalogue
                self._availability[tool.available] = f"availability check failed: {exc}"
        return self._availability[tool.available]

    def _probe(self, ref: str) -> str | None:
        """Run an availability probe with the catalogue's settings (a probe may also take none)."""
        probe = resolve(ref)
        if not inspect.signature(probe).parameters:
            return cast(str | None, probe())
        if self.settings is None:
            self.settings = Settings()
        return cast(str | None, probe(self.settings))

    def subset(self, names: Iterable[str]) -> Catalogue:
        """A catalogue of only these tools (same settings): what an MCP client is offered."""
        wanted = set(names)
        return Catalogue(tools={n: t for n, t in self.tools.items() if n in wanted}, settings=self.settings)

    def offered(self, *, read_only: bool = False) -> list[Tool]:
        """Tools the model may see: available here, and only `read` ones in read-only mode."""
        return [
            t for t in self.tools.values()
            if (not read_only or t.effect == "read") and self.unavailable_reason(t) is None
        ]

    def validate(self, tool: Tool, args: dict[str, Any]) -> str | None:
        """None when the arguments fit the schema, else a message the model can act on."""
        if tool.name not in self._validators:
            from jsonschema import Draft202012Validator

            self._validators[tool.name] = Draft202012Validator(tool.input_schema)
        errors = sorted(self._validators[tool.name].iter_errors(args), key=lambda e: list(e.path))
        if not errors:
            return None
        parts = []
        for err in errors[:5]:
            where = "/".join(str(p) for p in err.absolute_path) or "(arguments)"
            parts.append(f"{where}: {err.message}")
        return "; ".join(parts)


def _env_dirs() -> list[Path]:
    raw = os.environ.get("REIGN_TOOLS_PATH", "")
    return [Path(p).expanduser() for p in raw.split(os.pathsep) if p.strip()]


def _checked_marker(text: str) -> Path:
    """Where a file whose schemas passed the meta-check is remembered, by content hash: the check costs
    more than everything else a start does, and catalogue files rarely change."""
    import hashlib

    digest = hashlib.sha256(f"Draft202012\0{text}".encode()).hexdigest()
    return cache_dir() / "catalogue-checked" / digest


def _load_file(path: Path, check_schemas: bool = True) -> list[Tool]:
    try:
        text = path.read_text()
        data = load_text(text)
    except (OSError, BadYaml) as exc:
        raise ReignError(f"{path}: cannot read tool catalogue: {exc}") from exc
    marker = _checked_marker(text) if check_schemas else None
    if marker is not None and marker.exists():
        check_schemas = False
    if not isinstance(data, dict) or not isinstance(data.get("tools"), list):
        raise ReignError(f"{path}: a catalogue file needs a `tools:` list")
    manager = str(data.get("manager") or path.stem)
    file_sandbox = data.get("sandbox")  # the file's default for its tools; a tool's own replaces it
    tools = []
    for i, entry in enumerate(data["tools"]):
        where = f"{path}: tools[{i}]"
        if not isinstance(entry, dict):
            raise ReignError(f"{where}: must be a mapping")
        unknown = set(entry) - _FIELDS
        if unknown:
            raise ReignError(f"{where}: unknown fields {sorted(unknown)}")
        name = entry.get("name")
        if not isinstance(name, str) or not _NAME.match(name):
            raise ReignError(f"{where}: `name` must match {_NAME.pattern}")
        effect = entry.get("effect")
        if effect not in _EFFECTS:
            raise ReignError(f"{where} ({name}): `effect` must be one of {', '.join(_EFFECTS)}")
        schema = entry.get("input_schema") or {"type": "object", "properties": {}, "additionalProperties": False}
        if check_schemas:
            _check_schema(schema, f"{where} ({name})")
        loading = entry.get("loading", "manager")
        if loading not in _LOADING:
            raise ReignError(f"{where} ({name}): `loading` must be one of {', '.join(_LOADING)}")
        command = entry.get("command")
        impl = entry.get("impl") or (_TEMPLATE_IMPL if command else None)
        if not impl or ":" not in str(impl):
            raise ReignError(f"{where} ({name}): needs `impl: module:function` or a `command:` template")
        if command is not None and (not isinstance(command, list) or not all(isinstance(c, str) for c in command)):
            raise ReignError(f"{where} ({name}): `command` must be a list of strings (an argv template)")
        tools.append(Tool(
            name=name,
            description=str(entry.get("description") or "").strip(),
            effect=effect,
            input_schema=schema,
            impl=str(impl),
            manager=manager,
            source=path,
            available=entry.get("available", data.get("available")),
            preview=entry.get("preview"),
            command=tuple(command) if command else None,
            bound=(("__template__", tuple(command)),) if command else (),
            loading=loading,
            sandbox=parse_spec(entry.get("sandbox", file_sandbox), f"{where} ({name})"),
        ))
    if check_schemas and marker is not None:
        with contextlib.suppress(OSError):
            marker.parent.mkdir(parents=True, exist_ok=True)
            marker.touch()
    return tools


def _check_schema(schema: Any, where: str) -> None:
    if not isinstance(schema, dict) or schema.get("type") != "object":
        raise ReignError(f"{where}: input_schema must be a JSON Schema with type: object")
    from jsonschema import Draft202012Validator
    from jsonschema.exceptions import SchemaError

    try:
        Draft202012Validator.check_schema(schema)
    except SchemaError as exc:
        raise ReignError(f"{where}: invalid input_schema: {exc.message}") from exc

