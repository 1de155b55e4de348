"""Workflow validation: schema, actionlint and zizmor, as findings with file and line."""

from __future__ import annotations

import json
import re
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from reign.errors import ToolError, last_line
from reign.managers.cicd.host import INSTALL_HINTS, find_tool, inside_root, project_root, tool_env
from reign.process import run_argv
from reign.toolcontext import ToolContext

VALIDATORS = ("actionlint", "zizmor", "check-jsonschema")


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
    res = run_argv(argv, timeout=timeout, cap=2_000_000, cwd=root, env=tool_env())
    if res.timed_out or res.exit_code not in (0, 1):
        report.validators["actionlint"] = f"failed: {'timed out' if res.timed_out else last_line(res.stderr)}"
        return
    try:
        items = json.loads(res.stdout or "[]") or []
    except json.JSONDecodeError:
        report.validators["actionlint"] = f"failed: unreadable output: {last_line(res.stdout)}"
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
    res = run_argv(argv, timeout=timeout, cap=4_000_000, cwd=root, env=tool_env())
    skipped = re.findall(r"failed to validate file://(\S+) as (?:workflow|action)", res.stderr)
    if res.timed_out or res.exit_code != 0:
        if skipped and "no inputs collected" in res.stderr:
            report.validators["zizmor"] = (f"skipped: not a valid workflow: {', '.join(skipped)} "
                                           "(fix the schema errors first)")
        else:
            errors = [ln.strip() for ln in res.stderr.splitlines() if ln.strip().startswith(("fatal:", "error:"))]
            why = "timed out" if res.timed_out else (" ".join(errors[:2]) or last_line(res.stderr))
            report.validators["zizmor"] = f"failed: {why}"
        return
    try:
        items = json.loads(res.stdout or "[]") or []
    except json.JSONDecodeError:
        report.validators["zizmor"] = f"failed: unreadable output: {last_line(res.stdout)}"
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
    res = run_argv(argv, timeout=timeout, cap=2_000_000, cwd=root, env=tool_env())
    try:
        data = json.loads(res.stdout)
    except json.JSONDecodeError:
        why = "timed out" if res.timed_out else last_line(res.stderr or res.stdout)
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


def validate_contents(items: list[dict[str, str]], timeout: float) -> Report:
    """Validate rendered workflows in a scratch repository (they are not written anywhere yet)."""
    from reign.sandbox import share

    with tempfile.TemporaryDirectory(prefix="reign-wf-") as tmp, share(Path(tmp)):  # validators read it
        root = Path(tmp).resolve()
        for item in items:
            target = root / item["file"]
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_text(item["content"])
        return validate_files(root, [i["file"] for i in items], timeout)


def validate(*, path: str = ".", file: str | None = None, content: str | None = None,
             ctx: ToolContext) -> dict[str, Any]:
    """Validate the repository's workflows (or one file, or a draft given as content)."""
    timeout = max(60.0, ctx.settings.tool_timeout)
    if content is not None:
        name = Path(file or "draft.yml").name
        if not name.endswith((".yml", ".yaml")):
            name += ".yml"
        return validate_contents([{"file": f".github/workflows/{name}", "content": content}], timeout).as_dict()
    root = project_root(ctx, path)
    if file:
        target = inside_root(root, file)
        if not target.is_file():
            raise ToolError(f"{file} not found under {path}")
        files = [target.relative_to(root).as_posix()]
    else:
        wf = root / ".github" / "workflows"
        files = sorted(p.relative_to(root).as_posix() for p in wf.glob("*.y*ml")) if wf.is_dir() else []
        if not files:
            raise ToolError(f"no workflows in {path}/.github/workflows")
    return validate_files(root, files, timeout).as_dict()
