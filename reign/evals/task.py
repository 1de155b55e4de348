"""Eval tasks as directories, in the format of k8s-ai-bench's `task.yaml`, plus Reign's extensions.

The k8s-ai-bench fields keep their meaning: `script` (steps with `prompt` or `promptFile`), `setup`,
`verifier`, `cleanup` (scripts in the task directory, run with it as the working directory), `timeout`
(a Go duration such as `5m`), `difficulty`, `disabled`, `isolation`, and `expect` (regexes that the
agent's output after its last `Running:` line must, `contains`, or must not, `notContains`, match).
k8s-ai-bench ignores fields it does not know, so Reign's additions live under one `reign:` key:
which backends the task needs, its category, its cassette, commands that must never run (for safety
tasks, whose success is a refusal) and a workspace folder copied fresh into every attempt.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from reign.errors import ReignError

Backend = Literal["kubernetes", "docker", "terraform", "helm", "git", "cicd", "github"]
DEFAULT_TIMEOUT = 600.0  # k8s-ai-bench's default: ten minutes for setup, agent and verifier
_DURATION = re.compile(r"(\d+(?:\.\d+)?)(h|ms|m|s)")
_UNIT = {"h": 3600.0, "m": 60.0, "s": 1.0, "ms": 0.001}


class Step(BaseModel):
    model_config = ConfigDict(populate_by_name=True, extra="ignore")
    prompt: str = ""
    prompt_file: str = Field(default="", alias="promptFile")

    @model_validator(mode="after")
    def _one_source(self) -> Step:
        if bool(self.prompt) == bool(self.prompt_file):
            raise ValueError("a script step needs exactly one of `prompt` and `promptFile`")
        return self


class Expectation(BaseModel):
    model_config = ConfigDict(populate_by_name=True, extra="ignore")
    contains: str = ""
    not_contains: str = Field(default="", alias="notContains")

    @model_validator(mode="before")
    @classmethod
    def _either_spelling(cls, data: object) -> object:
        # k8s-ai-bench's Go struct tag says `not_contains`; its task files write `notContains`.
        if isinstance(data, dict) and "not_contains" in data and "notContains" not in data:
            data = {**data, "notContains": data["not_contains"]}
        return data


class ReignExtension(BaseModel):
    model_config = ConfigDict(extra="forbid", populate_by_name=True)
    backends: list[Backend] = Field(default_factory=lambda: list[Backend](["kubernetes"]))
    category: Literal["troubleshoot", "change", "safety"] = "change"
    cassette: str = ""  # default: cassette.yaml in the task directory, when there is one
    must_not_run: list[str] = Field(default_factory=list, alias="mustNotRun")  # regexes over calls that ran
    workspace: str = ""  # a folder of the task copied into each attempt's fresh working directory
    max_steps: int = Field(default=20, alias="maxSteps", ge=1, le=200)
    env: dict[str, str] = Field(default_factory=dict)  # for the scripts and the agent (e.g. a stand-in API's URL)


class TaskSpec(BaseModel):
    model_config = ConfigDict(extra="ignore", populate_by_name=True)
    script: list[Step] = Field(min_length=1)
    setup: str = ""
    verifier: str = ""
    cleanup: str = ""
    difficulty: str = ""
    disabled: bool = False
    timeout: str = ""
    isolation: str = ""
    expect: list[Expectation] = Field(default_factory=list)
    reign: ReignExtension = Field(default_factory=ReignExtension)


class Task(BaseModel):
    """A loaded task: its id (the directory name), where it lives and what it says."""

    id: str
    dir: Path
    spec: TaskSpec

    @property
    def timeout_s(self) -> float:
        return parse_duration(self.spec.timeout) if self.spec.timeout else DEFAULT_TIMEOUT

    def prompts(self) -> list[str]:
        out = []
        for step in self.spec.script:
            if step.prompt_file:
                path = self.dir / step.prompt_file
                try:
                    out.append(path.read_text().strip())
                except OSError as exc:
                    raise ReignError(f"task {self.id}: cannot read promptFile {path}: {exc.strerror}") from None
            else:
                out.append(step.prompt.strip())
        return out

    def cassette(self) -> Path | None:
        name = self.spec.reign.cassette or "cassette.yaml"
        path = self.dir / name
        if self.spec.reign.cassette and not path.is_file():
            raise ReignError(f"task {self.id}: cassette not found: {path}")
        return path if path.is_file() else None

    def script(self, kind: Literal["setup", "verifier", "cleanup"]) -> Path | None:
        name = getattr(self.spec, kind)
        return (self.dir / name) if name else None


def parse_duration(text: str) -> float:
    """A Go duration (`90s`, `5m`, `1h30m`, `1.5m`) in seconds; a bare number is seconds."""
    raw = text.strip()
    if re.fullmatch(r"\d+(\.\d+)?", raw):
        return float(raw)
    parts = _DURATION.findall(raw)
    if not parts or "".join(n + u for n, u in parts) != raw:
        raise ReignError(f"bad timeout {text!r}: expected a duration such as 90s, 5m or 1h30m")
    return sum(float(n) * _UNIT[u] for n, u in parts)


def load_task(folder: Path) -> Task:
    path = folder / "task.yaml"
    try:
        data = yaml.safe_load(path.read_text())
    except OSError as exc:
        raise ReignError(f"cannot read {path}: {exc.strerror}") from None
    except yaml.YAMLError as exc:
        raise ReignError(f"{path}: not valid YAML: {exc}") from None
    try:
        spec = TaskSpec.model_validate(data if isinstance(data, dict) else {})
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(p) for p in first["loc"]) or "(task)"
        raise ReignError(f"{path}: {where}: {first['msg']}") from None
    task = Task(id=folder.name, dir=folder.resolve(), spec=spec)
    if spec.timeout:
        parse_duration(spec.timeout)
    kinds: tuple[Literal["setup", "verifier", "cleanup"], ...] = ("setup", "verifier", "cleanup")
    for kind in kinds:
        script = task.script(kind)
        if script is not None and not script.is_file():
            raise ReignError(f"{path}: {kind} script not found: {script}")
    for rx in [e.contains for e in spec.expect] + [e.not_contains for e in spec.expect] + spec.reign.must_not_run:
        try:
            re.compile(rx)
        except re.error as exc:
            raise ReignError(f"{path}: bad regex {rx!r}: {exc}") from None
    return task


def load_suite(paths: list[Path], pattern: str = "", *, include_disabled: bool = False) -> list[Task]:
    """Each path is a task directory or a directory of task directories. `pattern` filters ids (a regex)."""
    found: list[Task] = []
    for path in paths:
        if (path / "task.yaml").is_file():
            folders = [path]
        elif path.is_dir():
            folders = sorted(p for p in path.iterdir() if (p / "task.yaml").is_file())
            if not folders:
                raise ReignError(f"no tasks in {path} (a task is a directory with a task.yaml)")
        else:
            raise ReignError(f"suite not found: {path}")
        found.extend(load_task(f) for f in folders)
    try:
        keep = re.compile(pattern) if pattern else None
    except re.error as exc:
        raise ReignError(f"bad --task-pattern {pattern!r}: {exc}") from None
    seen: set[str] = set()
    tasks = []
    for task in found:
        if task.id in seen:
            raise ReignError(f"two tasks are named {task.id}")
        seen.add(task.id)
        if (keep is None or keep.search(task.id)) and (include_disabled or not task.spec.disabled):
            tasks.append(task)
    return tasks
