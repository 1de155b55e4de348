"""The loop with a scripted provider (no LLM can run here) and the real catalogue, gate and bash tool."""

from __future__ import annotations

import time
from pathlib import Path

import pytest
from conftest import turn
from helpers import make_agent

from reign.agent import Limits
from reign.approval import NonInteractive
from reign.config import Settings
from reign.errors import ReignError
from reign.executor import parse_process
from reign.types import ModelTurn


def test_several_calls_in_one_turn_each_get_one_result(scripted, settings: Settings) -> None:
    provider = scripted([turn("", ("bash", {"command": "echo one"}), ("bash", {"command": "echo two"})),
                         turn("done")])
    agent = make_agent(provider, settings)
    result = agent.run("say one and two")
    assert result.stop_reason == "completed" and result.final == "done"
    results = provider.requests[1]["messages"][-1].tool_results
    assert [r.call_id for r in results] == ["c0-bash", "c1-bash"]
    assert parse_process(results[0].content)["stdout"] == "one\n"
    assert parse_process(results[1].content)["stdout"] == "two\n"
    assert [c.decision for c in result.tool_calls] == ["allow", "allow"]


def test_unknown_tool_and_schema_violation_go_back_and_the_loop_continues(scripted, settings: Settings) -> None:
    provider = scripted([turn("", ("no_such_tool", {})), turn("", ("bash", {"cmd": "ls"})), turn("ok")])
    result = make_agent(provider, settings).run("x")
    assert result.stop_reason == "completed"
    first = provider.requests[1]["messages"][-1].tool_results[0]
    assert first.is_error and "unknown tool 'no_such_tool'" in first.content and "bash" in first.content
    second = provider.requests[2]["messages"][-1].tool_results[0]
    assert second.is_error and "invalid arguments" in second.content and "command" in second.content


def test_malformed_call_is_an_error_result(scripted, settings: Settings) -> None:
    bad = turn("", ("bash", {}))
    bad.tool_calls[0].error = "the arguments were not valid JSON: {"
    provider = scripted([bad, turn("fine")])
    result = make_agent(provider, settings).run("x")
    assert result.stop_reason == "completed"
    assert "not valid JSON" in provider.requests[1]["messages"][-1].tool_results[0].content


def test_max_steps_offers_no_tools_on_the_last_step(scripted, settings: Settings) -> None:
    calls = [turn("", ("bash", {"command": "echo again"})) for _ in range(3)]
    provider = scripted(calls)
    result = make_agent(provider, settings, limits=Limits(max_steps=3)).run("loop")
    assert result.stop_reason == "max_steps" and result.steps == 3
    assert [r["tool_choice"] for r in provider.requests] == ["auto", "auto", "none"]
    assert len(result.tool_calls) == 2  # the last turn's call is answered "not run", never executed
    messages = provider.requests[-1]["messages"]
    assert messages[-1].tool_results[0].content.count("again") == 1


def test_token_budget_stops_the_run(scripted, settings: Settings) -> None:
    provider = scripted([turn("", ("bash", {"command": "echo a"}), tokens=600),
                         turn("", ("bash", {"command": "echo b"}), tokens=600), turn("never")])
    result = make_agent(provider, settings, limits=Limits(token_budget=1000)).run("x")
    assert result.stop_reason == "token_budget" and result.steps == 2


def test_wall_clock_limit_stops_the_run(scripted, settings: Settings) -> None:
    def slow() -> ModelTurn:
        time.sleep(0.3)
        return turn("", ("bash", {"command": "echo a"}))

    provider = scripted([slow, slow, slow])
    result = make_agent(provider, settings, limits=Limits(time_limit=0.5)).run("x")
    assert result.stop_reason == "timeout" and result.steps == 2


def test_ctrl_c_mid_run_keeps_what_was_done(scripted, settings: Settings) -> None:
    provider = scripted([turn("", ("bash", {"command": "echo kept"})), KeyboardInterrupt()])
    agent = make_agent(provider, settings)
    result = agent.run("x")
    assert result.stop_reason == "interrupted"
    assert len(result.tool_calls) == 1 and result.tool_calls[0].ok
    assert agent.messages[-1].role == "tool"


def test_ctrl_c_inside_a_tool_answers_every_call(scripted, settings: Settings, monkeypatch) -> None:
    provider = scripted([turn("", ("bash", {"command": "echo a"}), ("bash", {"command": "echo b"}))])
    agent = make_agent(provider, settings)
    real = agent.executor.execute

    def interrupt_second(call, step):
        if call.args["command"] == "echo b":
            raise KeyboardInterrupt
        return real(call, step)

    monkeypatch.setattr(agent.executor, "execute", interrupt_second)
    result = agent.run("x")
    assert result.stop_reason == "interrupted"
    answered = agent.messages[-1].tool_results
    assert [r.call_id for r in answered] == ["c0-bash", "c1-bash"] and answered[1].is_error


def test_provider_error_stops_with_error(scripted, settings: Settings) -> None:
    provider = scripted([ReignError("anthropic API rejected the request: HTTP 401")])
    result = make_agent(provider, settings).run("x")
    assert result.stop_reason == "error" and "401" in result.error


def test_ask_is_refused_without_yes_and_runs_with_it(scripted, settings: Settings, workdir: Path) -> None:
    provider = scripted([turn("", ("bash", {"command": "touch made.txt"})), turn("ok")])
    result = make_agent(provider, settings).run("x")
    assert result.tool_calls[0].decision == "ask" and result.tool_calls[0].approved is False
    assert not (workdir / "made.txt").exists()
    provider = scripted([turn("", ("bash", {"command": "touch made.txt"})), turn("ok")])
    result = make_agent(provider, settings, approver=NonInteractive(yes=True)).run("x")
    assert result.tool_calls[0].approved is True and (workdir / "made.txt").exists()


def test_yes_never_turns_a_deny_into_a_run(scripted, settings: Settings, isolated_home: Path) -> None:
    (isolated_home / "keep").mkdir()
    provider = scripted([turn("", ("bash", {"command": "rm -rf ~"})), turn("ok")])
    result = make_agent(provider, settings, approver=NonInteractive(yes=True)).run("x")
    assert result.tool_calls[0].decision == "deny" and result.tool_calls[0].rule == "shell-wipe-system"
    assert (isolated_home / "keep").is_dir()


def test_large_output_is_cut_with_a_marker(scripted, settings: Settings) -> None:
    provider = scripted([turn("", ("bash", {"command": "seq 1 100000"})), turn("ok")])
    make_agent(provider, settings).run("x")
    content = provider.requests[1]["messages"][-1].tool_results[0].content
    assert len(content) < settings.output_cap + 400
    assert "cut by reign" in content and "100000" in content and content.startswith("exit_code: 0\nstdout:\n1\n2\n")


@pytest.mark.parametrize("read_only", [True, False])
def test_read_only_offers_only_read_tools(scripted, workdir: Path, read_only: bool) -> None:
    settings = Settings(workspace_root=workdir, read_only=read_only)
    provider = scripted([turn("", ("bash", {"command": "ls"})), turn("ok")])
    result = make_agent(provider, settings).run("x")
    assert ("bash" in provider.requests[0]["tools"]) is (not read_only)
    assert (result.tool_calls[0].decision == "deny") is read_only
