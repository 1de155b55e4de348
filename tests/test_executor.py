"""The executor and the one wiring function (reign/wiring.py), with the real catalogue, policy and audit trail."""

from __future__ import annotations

from pathlib import Path

import structlog

from reign.catalogue import Tool
from reign.config import Settings
from reign.types import ToolCall
from reign.wiring import Options, build_agent, build_executor


def _buggy() -> str:
    secret = "sk-ant-api03-" + "x" * 40
    raise RuntimeError(f"no such thing\nsecond line with {secret}")


def test_an_unexpected_exception_reaches_the_model_as_one_line_and_the_log_with_its_traceback(
        settings: Settings) -> None:
    executor = build_executor(settings, Options(audit=False))
    executor.catalogue.add(Tool(name="buggy", description="", effect="read", impl=f"{__name__}:_buggy",
                                input_schema={"type": "object", "properties": {}}, manager="test", source=Path("t")))
    with structlog.testing.capture_logs() as logs:
        result, _ = executor.execute(ToolCall(id="c1", name="buggy", args={}), step=1)
    assert result.is_error and "\n" not in result.content
    assert result.content.startswith("error: RuntimeError: no such thing second line with ")
    assert "sk-ant-api03-" not in result.content
    [entry] = [e for e in logs if e["event"] == "tool_crashed"]
    assert entry["tool"] == "buggy" and entry["log_level"] == "error"
    assert "Traceback (most recent call last)" in entry["traceback"] and "in _buggy" in entry["traceback"]
    assert "x" * 40 not in entry["traceback"] and "x" * 40 not in entry["error"]  # redacted in the log too


def test_the_agent_is_built_whole_session_audit_and_tool_loading_agree(scripted, settings: Settings,
                                                                        tmp_path: Path) -> None:
    agent = build_agent(settings, scripted([]), Options(session="s-1", audit_path=tmp_path / "audit.jsonl"))
    executor = agent.executor
    assert executor.session == "s-1" and getattr(executor.audit, "session", None) == "s-1"
    assert executor.toolset is not None and executor.catalogue is executor.toolset.catalogue
    assert executor.catalogue.settings is settings  # availability probes see these settings
    names = [spec.name for spec in executor.toolset.specs()]
    assert "bash" in names and "use_tools" in names  # loading: always, and the loader (lazy by default)


def test_eager_loading_offers_no_loader(scripted, settings: Settings) -> None:
    eager = settings.model_copy(update={"tool_loading": "eager"})
    agent = build_agent(eager, scripted([]), Options(audit=False))
    assert agent.executor.toolset is not None
    assert "use_tools" not in [spec.name for spec in agent.executor.toolset.specs()]
