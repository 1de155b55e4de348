"""Shared fixtures. Every test runs with its own HOME and XDG folders, so no user policy, config or
audit trail of the machine leaks in, and nothing a test does leaks out."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from conftest_docker import busybox_image, docker_engine  # noqa: F401
from conftest_k8s import helm_engine, k8s_cluster, k8s_namespace  # noqa: F401
from conftest_server import pg_admin_url, server_home, servers  # noqa: F401
from conftest_terraform import *  # noqa: F403
from gate_cases import effects, policy  # noqa: F401 (the gate corpora; a module may define its own policy)

from reign.config import Settings
from reign.types import Message, ModelTurn, ToolCall, ToolSpec, Usage

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(autouse=True)
def isolated_home(tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch) -> Path:
    home = tmp_path_factory.mktemp("home")
    monkeypatch.setenv("HOME", str(home))
    monkeypatch.setenv("XDG_CONFIG_HOME", str(home / ".config"))
    monkeypatch.setenv("XDG_STATE_HOME", str(home / ".local" / "state"))
    for var in ("ANTHROPIC_API_KEY", "OPENAI_API_KEY", "REIGN_PROVIDER", "REIGN_MODEL", "REIGN_TOOLS_PATH",
                "REIGN_CONFIG", "GITHUB_TOKEN", "REIGN_DATABASE_URL", "DATABASE_URL"):
        monkeypatch.delenv(var, raising=False)
    return home


@pytest.fixture
def workdir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.chdir(tmp_path)
    return tmp_path


@pytest.fixture
def settings(workdir: Path) -> Settings:
    return Settings(workspace_root=workdir, tool_timeout=10, output_cap=4000)


class ScriptedProvider:
    """A provider that plays queued turns and records what it was sent (the LLM is what cannot run here)."""

    name = "scripted"
    model = "scripted-1"

    def __init__(self, turns: list[ModelTurn | BaseException | Callable[[], ModelTurn]]) -> None:
        self.turns = list(turns)
        self.requests: list[dict[str, Any]] = []

    def complete(self, system: str, messages: list[Message], tools: list[ToolSpec], *,
                 tool_choice: str = "auto", on_text: Callable[[str], None] | None = None) -> ModelTurn:
        self.requests.append({"messages": [m.model_copy(deep=True) for m in messages],
                              "tools": [t.name for t in tools], "tool_choice": tool_choice})
        if not self.turns:
            raise AssertionError("the scripted provider ran out of turns")
        turn = self.turns.pop(0)
        if isinstance(turn, BaseException):
            raise turn
        if callable(turn):
            return turn()
        if on_text and turn.text:
            on_text(turn.text)
        return turn


def turn(text: str = "", *calls: tuple[str, dict[str, Any]], tokens: int = 100) -> ModelTurn:
    return ModelTurn(text=text, tool_calls=[ToolCall(id=f"c{i}-{name}", name=name, args=args)
                                            for i, (name, args) in enumerate(calls)],
                     usage=Usage(input_tokens=tokens, output_tokens=10))


@pytest.fixture
def scripted() -> type[ScriptedProvider]:
    return ScriptedProvider


@pytest.fixture
def cassettes() -> Iterator[Path]:
    yield ROOT / "cassettes"
