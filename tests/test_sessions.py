"""Sessions: every run is kept in Reign's database (SQLite here; PostgreSQL in test_sessions_postgres), survives crashes and Ctrl-C, and can be listed, shown, exported and
resumed with its scope. Runs are driven by the scripted provider (and one cassette replay through the CLI)."""

from __future__ import annotations

import json
import multiprocessing
import os
import signal
import socket
import sqlite3
import subprocess
import sys
import textwrap
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from click.testing import CliRunner
from conftest import ScriptedProvider, turn

from reign import sessions
from reign.approval import Approval, ApprovalRequest, NonInteractive
from reign.audit import default_path, read
from reign.catalogue import Tool
from reign.cli import main
from reign.config import Settings
from reign.errors import ReignError
from reign.sessions import INTERRUPTED, NOT_RUN, SessionStore, compact
from reign.types import Message, ModelTurn, RunResult, ToolCall, ToolResult
from reign.wiring import Options, build_agent

ROOT = Path(__file__).resolve().parent.parent
TESTS = Path(__file__).resolve().parent


def run_session(settings: Settings, provider: Any, goal: str | None, *, resume: str | None = None,
                approver: Any = None, read_only: bool | None = None,
                policies: list[Path] | None = None) -> tuple[RunResult, sessions.Plan, Any]:
    plan = sessions.start(settings, resume=resume, read_only=read_only, policies=policies or [])
    agent = build_agent(plan.settings, provider, Options(plan=plan, approver=approver or NonInteractive()))
    return plan.run(agent, goal or sessions.DEFAULT_FOLLOW_UP), plan, agent


def test_a_run_is_recorded_with_its_calls_tokens_and_stop_reason(scripted, settings: Settings) -> None:
    provider = scripted([turn("looking", ("bash", {"command": "echo one"}), ("bash", {"command": "rm -rf /"})),
                         turn("done", tokens=50)])
    result, plan, _ = run_session(settings, provider, "count things")
    assert result.stop_reason == "completed" and result.session == plan.id
    [info] = plan.store.recent()
    assert (info.id, info.goal, info.status, info.steps) == (plan.id, "count things", "completed", 2)
    assert (info.input_tokens, info.output_tokens) == (150, 20) and info.ended
    assert info.scope.provider == "scripted" and info.scope.workspace_root == str(settings.workspace_root)
    echo, wipe = plan.store.calls(plan.id)
    assert (echo["state"], echo["decision"], echo["ok"]) == ("finished", "allow", 1) and "one" in echo["output"]
    assert (wipe["decision"], wipe["rule"], wipe["ok"]) == ("deny", "shell-wipe-system", 0)
    messages = plan.store.transcript(plan.id)
    assert [m.role for m in messages] == ["user", "assistant", "tool", "assistant"]
    assert [r.call_id for r in messages[2].tool_results] == ["c0-bash", "c1-bash"]
    assert messages[2].tool_results[1].is_error and "denied" in messages[2].tool_results[1].content
    # the audit trail carries the same session id
    assert {r["session"] for r in read(default_path(settings.audit_dir))} == {plan.id}


CHILD = textwrap.dedent("""
    import os, signal, sys
    from pathlib import Path
    from reign import sessions
    from reign.approval import NonInteractive
    from reign.catalogue import Tool
    from reign.config import Settings
    from reign.wiring import Options, build_agent
    from reign.types import ModelTurn, ToolCall, Usage

    def crash() -> str:
        os.kill(os.getpid(), signal.SIGKILL)  # dies between call_started and call_finished
        return "never"

    class Provider:
        name, model = "scripted", "scripted-1"
        turns = [[("bash", {"command": "echo before"})], [("crash_now", {}), ("bash", {"command": "echo never"})]]
        def complete(self, system, messages, tools, *, tool_choice="auto", on_text=None):
            calls = self.turns.pop(0)
            return ModelTurn(tool_calls=[ToolCall(id=f"c{i}-{n}", name=n, args=a) for i, (n, a) in enumerate(calls)],
                             usage=Usage(input_tokens=100, output_tokens=10))

    settings = Settings(workspace_root=Path.cwd(), tool_timeout=10)
    plan = sessions.start(settings, resume=None, read_only=None, policies=[], new_id="crashy")
    agent = build_agent(settings, Provider(), Options(plan=plan, approver=NonInteractive()))
    agent.executor.catalogue.add(Tool(name="crash_now", description="dies", effect="read", impl="__main__:crash",
                                      input_schema={"type": "object", "properties": {}}, manager="test",
                                      source=Path("test")))
    plan.run(agent, "do two things")
""")


def test_resume_after_a_crash_between_the_call_and_its_result(scripted, settings: Settings, workdir: Path) -> None:
    child = subprocess.run([sys.executable, "-c", CHILD], cwd=workdir, capture_output=True, text=True, timeout=60)
    assert child.returncode == -signal.SIGKILL, child.stderr
    store = SessionStore(settings.sessions_db)
    info = store.find("crashy")
    assert info.status == "running" and info.steps == 2  # the process died mid-step
    states = [(c["tool"], c["state"]) for c in store.calls("crashy")]
    assert states == [("bash", "finished"), ("crash_now", "started"), ("bash", "pending")]

    provider = scripted([turn("", ("bash", {"command": "echo after"})), turn("all done")])
    result, plan, _ = run_session(settings, provider, None, resume="cra")  # an id prefix is enough
    assert result.stop_reason == "completed" and plan.id == "crashy"
    sent = provider.requests[0]["messages"]
    assert [m.role for m in sent] == ["user", "assistant", "tool", "assistant", "tool", "user"]
    unknown, not_run = sent[4].tool_results
    assert unknown.is_error and unknown.content == INTERRUPTED and "check the state" in unknown.content
    assert not_run.is_error and not_run.content == NOT_RUN
    assert sent[-1].text == sessions.DEFAULT_FOLLOW_UP
    info = store.find("crashy")
    assert (info.status, info.steps) == ("completed", 4)
    assert [c["state"] for c in store.calls("crashy")] == ["finished", "interrupted", "not_run", "finished"]


def test_ctrl_c_in_the_provider_then_resume_finishes_the_goal(settings: Settings, workdir: Path,
                                                             monkeypatch: pytest.MonkeyPatch) -> None:
    first = ScriptedProvider([turn("", ("bash", {"command": "echo step-one > progress.txt"})), KeyboardInterrupt()])
    second = ScriptedProvider([turn("", ("bash", {"command": "echo step-two >> progress.txt"})), turn("finished")])
    providers = iter([first, second])
    monkeypatch.setattr("reign.providers.make_provider", lambda *a, **k: next(providers))
    runner = CliRunner()
    out = runner.invoke(main, ["run", "--output", "json", "--yes", "write progress"])
    assert out.exit_code == 130, out.output  # interrupted: 128 + SIGINT
    stopped = json.loads(out.stdout.strip().splitlines()[-1])
    assert stopped["stop_reason"] == "interrupted" and stopped["session"]
    listed = runner.invoke(main, ["sessions", "--json"])
    [row] = [json.loads(line) for line in listed.stdout.splitlines()]
    assert (row["id"], row["status"], row["steps"]) == (stopped["session"], "interrupted", 1)  # turns recorded

    out = runner.invoke(main, ["run", "--resume", stopped["session"], "--output", "json", "--yes"])
    assert out.exit_code == 0, out.output
    done = json.loads(out.stdout.strip().splitlines()[-1])
    assert done["stop_reason"] == "completed" and done["final"] == "finished"
    assert done["session"] == stopped["session"]
    assert (workdir / "progress.txt").read_text() == "step-one\nstep-two\n"
    resent = second.requests[0]["messages"]
    assert resent[0].text == "write progress" and "step-one" in resent[1].tool_calls[0].args["command"]
    info = SessionStore(settings.sessions_db).find(stopped["session"])
    assert (info.status, info.steps) == ("completed", 3)


def test_ctrl_c_inside_a_tool_leaves_the_outcome_unknown(scripted, settings: Settings) -> None:
    provider = scripted([turn("", ("stuck", {}))])
    plan = sessions.start(settings, resume=None, read_only=None, policies=[])
    agent = build_agent(settings, provider, Options(plan=plan))
    agent.executor.catalogue.add(Tool(name="stuck", description="", effect="read", impl=f"{__name__}:_interrupt",
                                      input_schema={"type": "object"}, manager="test", source=Path("test")))
    result = plan.run(agent, "go")
    assert result.stop_reason == "interrupted"
    [call] = plan.store.calls(plan.id)
    assert (call["state"], call["output"]) == ("interrupted", INTERRUPTED)
    assert agent.messages[-1].tool_results[0].content == INTERRUPTED  # what a chat would send next


def _interrupt() -> str:
    raise KeyboardInterrupt


def _worker(db: str, workspace: str, index: int, steps: int) -> str:
    os.chdir(workspace)
    settings = Settings(workspace_root=Path(workspace), sessions_db=Path(db), tool_timeout=10)
    turns: list[Any] = [turn("", ("bash", {"command": f"echo w{index}-s{s}"}), ("bash", {"command": "echo ok"}))
                        for s in range(steps)]
    result, plan, _ = run_session(settings, ScriptedProvider([*turns, turn(f"worker {index} done")]),
                                  f"worker {index}")
    assert result.stop_reason == "completed", result.error
    return plan.id


def _in_another_process(settings: Settings) -> None:
    """A run in another process, as an earlier `reign run` would have made it (this process has not opened
    the file, so it checks it as a new process does)."""
    with multiprocessing.get_context("spawn").Pool(1) as pool:
        pool.starmap(_worker, [(str(settings.sessions_db), str(settings.workspace_root), 0, 1)])


def test_concurrent_runs_write_to_the_same_database(settings: Settings, workdir: Path) -> None:
    ctx = multiprocessing.get_context("spawn")
    db = str(settings.sessions_db)
    with ctx.Pool(6) as pool:
        ids = pool.starmap(_worker, [(db, str(workdir), i, 6) for i in range(6)])
    assert len(set(ids)) == 6
    store = SessionStore(settings.sessions_db)
    infos = {i.id: i for i in store.recent()}
    assert set(infos) == set(ids)
    for session in ids:
        assert (infos[session].status, infos[session].steps) == ("completed", 7)
        calls = store.calls(session)
        assert len(calls) == 12 and all(c["state"] == "finished" and c["ok"] for c in calls)
        assert len(store.transcript(session)) == 1 + 6 * 2 + 1
    with sqlite3.connect(settings.sessions_db) as raw:
        assert raw.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    raw.close()


@pytest.mark.parametrize("damage", ["garbage", "truncated"])
def test_a_corrupt_database_is_refused_and_left_untouched(settings: Settings, scripted, damage: str) -> None:
    if damage == "garbage":
        settings.sessions_db.parent.mkdir(parents=True)
        settings.sessions_db.write_bytes(os.urandom(8192))
    else:
        _in_another_process(settings)  # which checkpoints the WAL as it ends
        data = settings.sessions_db.read_bytes()
        settings.sessions_db.write_bytes(data[:100] + b"\xff" * (len(data) - 100))
    before = settings.sessions_db.read_bytes()
    with pytest.raises(ReignError) as err:
        SessionStore(settings.sessions_db)
    message = str(err.value)
    assert str(settings.sessions_db) in message and "\n" not in message and "left as it is" in message
    out = CliRunner().invoke(main, ["sessions"])
    assert out.exit_code == 1 and str(settings.sessions_db) in out.output
    assert settings.sessions_db.read_bytes() == before


def test_a_database_from_a_newer_reign_is_refused_and_not_migrated(settings: Settings, scripted) -> None:
    _in_another_process(settings)
    with sqlite3.connect(settings.sessions_db) as db:
        db.execute("PRAGMA user_version = 99")
    db.close()
    before = settings.sessions_db.read_bytes()
    with pytest.raises(ReignError, match=r"schema version 99.*newer Reign.*not modified"):
        SessionStore(settings.sessions_db)
    out = CliRunner().invoke(main, ["run", "--output", "json", "x"])
    assert out.exit_code == 1 and "newer Reign" in out.output
    assert settings.sessions_db.read_bytes() == before


def test_another_sqlite_database_is_not_taken_over(settings: Settings) -> None:
    settings.sessions_db.parent.mkdir(parents=True)
    with sqlite3.connect(settings.sessions_db) as db:
        db.execute("CREATE TABLE notes (x)")
    db.close()
    before = settings.sessions_db.read_bytes()
    with pytest.raises(ReignError, match="not a Reign database"):
        SessionStore(settings.sessions_db)
    assert settings.sessions_db.read_bytes() == before


def test_a_resumed_session_keeps_its_scope(scripted, workdir: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    policy = workdir / "team.yaml"
    policy.write_text("rules: []\n")
    settings = Settings(workspace_root=workdir, kube_context="dev", kube_namespaces=["apps"])
    _, plan, _ = run_session(settings, scripted([turn("ok")]), "first", policies=[policy])
    # the environment changed since: the stored scope wins
    elsewhere = workdir / "elsewhere"
    elsewhere.mkdir()
    monkeypatch.chdir(elsewhere)
    changed = Settings(workspace_root=elsewhere, kube_context="prod-eu", kube_namespaces=[], read_only=False)
    _, resumed, agent = run_session(changed, scripted([turn("still ok")]), "again", resume=plan.id)
    assert resumed.settings.kube_context == "dev" and resumed.settings.kube_namespaces == ["apps"]
    assert resumed.settings.workspace_root == workdir and agent.executor.cwd == workdir
    assert resumed.settings.policy_files == [policy.resolve()]
    # flags that would change the scope are refused
    with pytest.raises(ReignError, match="keeps its scope"):
        sessions.start(changed, resume=plan.id, read_only=True, policies=[])
    other = workdir / "other.yaml"
    other.write_text("rules: []\n")
    with pytest.raises(ReignError, match="keeps its policy"):
        sessions.start(changed, resume=plan.id, read_only=None, policies=[other])
    sessions.start(changed, resume=plan.id, read_only=False, policies=[policy])  # the same scope is fine
    policy.write_text("rules: []\n# edited\n")
    with pytest.raises(ReignError, match="changed"):
        sessions.start(changed, resume=plan.id, read_only=None, policies=[])
    out = CliRunner().invoke(main, ["run", "--resume", plan.id, "--read-only", "x"])
    assert out.exit_code == 1 and "keeps its scope" in out.output


def test_the_current_kube_context_is_pinned_at_the_start(scripted, settings: Settings, isolated_home: Path,
                                                         monkeypatch: pytest.MonkeyPatch) -> None:
    kubeconfig = isolated_home / "kubeconfig"
    kubeconfig.write_text("apiVersion: v1\nkind: Config\ncurrent-context: staging\n")
    monkeypatch.setenv("KUBECONFIG", str(kubeconfig))
    _, plan, _ = run_session(settings, scripted([turn("ok")]), "look")
    kubeconfig.write_text("apiVersion: v1\nkind: Config\ncurrent-context: prod-eu\n")  # use-context prod-eu
    _, resumed, _ = run_session(settings, scripted([turn("ok")]), "again", resume=plan.id)
    assert resumed.settings.kube_context == "staging"


class Remembering:
    """Approves the first ask "always for this session", later ones only once; counts what it is asked."""

    def __init__(self) -> None:
        self.asked: list[str] = []

    def approve(self, request: ApprovalRequest) -> Approval:
        self.asked.append(request.call.args["command"])
        return Approval(True, "session" if len(self.asked) == 1 else "once", "test")


def test_only_always_for_this_session_approvals_carry_over(scripted, settings: Settings) -> None:
    always, once = {"command": "touch always.txt"}, {"command": "touch once.txt"}
    approver = Remembering()
    _, plan, _ = run_session(settings, scripted([turn("", ("bash", always)), turn("", ("bash", once)),
                                                 turn("done")]), "touch", approver=approver)
    assert approver.asked == ["touch always.txt", "touch once.txt"]
    assert len(plan.store.approvals(plan.id)) == 1
    again = Remembering()
    provider = scripted([turn("", ("bash", always), ("bash", once), ("bash", {"command": "touch always.txt "})),
                         turn("done")])
    result, _, _ = run_session(settings, provider, "again", resume=plan.id, approver=again)
    # the remembered hash matched only the identical call; the "once" and a changed call were asked again
    assert again.asked == ["touch once.txt", "touch always.txt "]
    assert [c.approved for c in result.tool_calls] == [True, True, True]
    # a new session starts with no approvals
    fresh = Remembering()
    run_session(settings, scripted([turn("", ("bash", always)), turn("ok")]), "new", approver=fresh)
    assert fresh.asked == ["touch always.txt"]


def _long_history(turns: int) -> list[Message]:
    messages = [Message(role="user", text="the first goal")]
    for i in range(turns):
        call = ToolCall(id=f"t{i}", name="bash", args={"command": f"echo {i}"})
        messages += [Message(role="assistant", text=f"step {i}", tool_calls=[call]),
                     Message(role="tool", tool_results=[ToolResult(call_id=f"t{i}", name="bash",
                                                                   content="x" * 1000)])]
        if i == 10:
            messages.append(Message(role="user", text="a follow-up"))
    return messages


def test_compaction_keeps_the_goal_a_summary_and_whole_recent_turns() -> None:
    history = _long_history(40)
    assert compact(history, 10**9) == history
    short = compact(history, 8_000)
    assert short[0] == history[0] and short[1].role == "user" and "left out" in short[1].text
    assert "bash x" in short[1].text and short[-1] == history[-1]
    assert sum(len(m.model_dump_json()) for m in short) < 9_500
    tail = short[2:]
    assert tail[0].role == "assistant"
    for i, m in enumerate(tail):  # every call is followed by its result
        if m.tool_calls:
            assert tail[i + 1].role == "tool"
            assert [r.call_id for r in tail[i + 1].tool_results] == [c.id for c in m.tool_calls]
    assert compact(history, 1)[-2:] == history[-2:]  # at least the last whole turn, however small the budget


def test_resume_sends_a_compacted_history(scripted, settings: Settings, monkeypatch: pytest.MonkeyPatch) -> None:
    turns: list[Any] = [turn("", ("bash", {"command": "printf '%3000s' x"})) for _ in range(15)]
    _, plan, _ = run_session(settings, scripted([*turns, turn("long done")]), "a long goal")
    monkeypatch.setattr(sessions, "RESUME_BUDGET_CHARS", 20_000)
    provider = scripted([turn("short")])
    run_session(settings, provider, "what now?", resume=plan.id)
    sent = provider.requests[0]["messages"]
    assert sent[0].text == "a long goal" and "left out" in sent[1].text and sent[-1].text == "what now?"
    assert sum(len(m.model_dump_json()) for m in sent) < 25_000


def test_cli_list_show_export_and_resume_with_a_cassette(workdir: Path, cassettes: Path) -> None:
    for name in ("a", "b"):
        (workdir / name).write_text(name)
    runner = CliRunner()
    cassette = str(cassettes / "anthropic" / "basic.yaml")
    out = runner.invoke(main, ["run", "--provider", "anthropic", "--cassette", cassette, "--output", "json",
                               "count the files"])
    assert out.exit_code == 0, out.output
    session = json.loads(out.stdout.strip().splitlines()[-1])["session"]

    listed = runner.invoke(main, ["sessions"])
    assert listed.exit_code == 0 and session in listed.stdout and "count the files" in listed.stdout
    assert "completed" in listed.stdout and "2035" in listed.stdout  # 900+40+1050+45 tokens
    shown = runner.invoke(main, ["sessions", "show", session[:6]])
    assert shown.exit_code == 0, shown.output
    assert "[user] count the files" in shown.stdout and "-> bash" in shown.stdout and "ls -1 | wc -l" in shown.stdout
    assert "allow (shell-read-only-programs)" in shown.stdout and "[assistant] There are as many" in shown.stdout

    target = workdir / "export.json"
    exported = runner.invoke(main, ["sessions", "export", session, "--out", str(target)])
    assert exported.exit_code == 0, exported.output
    data = json.loads(target.read_text())
    assert data["format"] == "reign-session" and data["session"]["id"] == session
    assert [m["role"] for m in data["messages"]] == ["user", "assistant", "tool", "assistant"]
    assert data["calls"][0]["decision"] == "allow" and data["calls"][0]["args"] == {"command": "ls -1 | wc -l"}
    assert json.loads(runner.invoke(main, ["sessions", "export", session]).stdout) == data

    again = runner.invoke(main, ["run", "--provider", "anthropic", "--cassette", cassette, "--output", "json",
                                 "--resume", session, "and now?"])
    assert again.exit_code == 0, again.output
    assert json.loads(again.stdout.strip().splitlines()[-1])["session"] == session
    info = SessionStore(Settings().sessions_db).find(session)
    assert info.steps == 4 and info.input_tokens == 2 * 1950

    missing = runner.invoke(main, ["sessions", "show", "nope"])
    assert missing.exit_code == 1 and "no session 'nope'" in missing.output


def test_sessions_without_a_database(settings: Settings) -> None:
    out = CliRunner().invoke(main, ["sessions"])
    assert out.exit_code == 0 and "no sessions yet" in out.stdout
    assert not settings.sessions_db.exists()  # reading never creates the file


def test_export_redacts_secrets(scripted, settings: Settings) -> None:
    token = "ghp_" + "a1B2c3D4e5F6g7H8i9J0k1L2m3N4o5P6q7R8"
    _, plan, _ = run_session(settings, scripted([turn("ok")]), f"use token {token}")
    text = json.dumps(plan.store.export(plan.id))
    assert token not in text
    assert token not in sessions.transcript_text(plan.store, plan.id)


def test_a_live_session_is_not_taken_over(settings: Settings, scripted) -> None:
    _, plan, _ = run_session(settings, scripted([turn("ok")]), "x")
    sleeper = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(30)"])
    try:
        plan.store.db.write(lambda c: c.execute(sa.text("UPDATE reign_sessions SET status = 'running', pid = :pid "
                                                        "WHERE id = :id"), {"pid": sleeper.pid, "id": plan.id}))
        with pytest.raises(ReignError, match=f"in use by process {sleeper.pid}"):
            run_session(settings, scripted([turn("no")]), "y", resume=plan.id)
    finally:
        sleeper.kill()
        sleeper.wait()
    result, _, _ = run_session(settings, scripted([turn("yes")]), "y", resume=plan.id)
    assert result.stop_reason == "completed"


def test_a_session_running_on_another_host_is_not_taken_over_until_it_is_stale(settings: Settings, scripted) -> None:
    """A shared database (PostgreSQL) holds sessions of other machines, whose processes cannot be checked."""
    _, plan, _ = run_session(settings, scripted([turn("ok")]), "x")

    def running_elsewhere(updated: str) -> None:
        plan.store.db.write(lambda c: c.execute(sa.text(
            "UPDATE reign_sessions SET status = 'running', pid = 4242, host = 'build-7', updated = :u WHERE id = :id"),
            {"u": updated, "id": plan.id}))
    running_elsewhere(sessions._now())
    with pytest.raises(ReignError, match=r"running on build-7 \(process 4242, last step 0 s ago\); resume it there"):
        run_session(settings, scripted([turn("no")]), "y", resume=plan.id)
    running_elsewhere("2026-01-01T00:00:00.000Z")  # long silent: that process is gone
    result, _, _ = run_session(settings, scripted([turn("yes")]), "y", resume=plan.id)
    assert result.stop_reason == "completed"
    assert plan.store.find(plan.id).host == socket.gethostname()


def test_use_tools_loaded_managers_are_loaded_again_on_resume(scripted, settings: Settings) -> None:
    plan = sessions.start(settings, resume=None, read_only=None, policies=[])
    managers = sorted(build_agent(settings, scripted([]), Options()).executor.toolset.managers())
    if not managers:
        pytest.skip("no manager besides bash is available on this machine")
    _, plan, _ = run_session(settings, scripted([turn("", ("use_tools", {"managers": managers[:1]})),
                                                 turn("ok")]), "load")
    _, _, resumed = run_session(settings, scripted([turn("ok")]), "again", resume=plan.id)
    assert resumed.executor.toolset.loaded == {managers[0]}


def test_messages_turn_is_atomic(settings: Settings) -> None:
    """A failing write inside a journal transaction leaves nothing of that step behind, and loses nothing
    written before it (the goal waits for the next record: the run's end)."""
    store = SessionStore(settings.sessions_db)
    journal = store.journal("atomic")
    journal.scope = sessions.Scope()
    journal.begin("goal")
    bad = Message(role="assistant", tool_calls=[ToolCall(id="same", name="bash"), ToolCall(id="same", name="bash")])
    store.db.write(lambda c: c.exec_driver_sql("CREATE TRIGGER boom BEFORE INSERT ON reign_calls WHEN NEW.idx = 1 "
                                               "BEGIN SELECT RAISE(ABORT, 'disk on fire'); END"))
    with pytest.raises(ReignError, match="disk on fire"):
        journal.turn(1, bad, ModelTurn().usage)
    journal.end(RunResult(stop_reason="error", error="disk on fire"), [])  # the goal is still written, once
    assert [m.role for m in store.transcript("atomic")] == ["user"]
    assert store.calls("atomic") == [] and store.find("atomic").steps == 0


def test_chat_resume_continues_the_conversation_and_reset_starts_a_new_session(
        settings: Settings, monkeypatch: pytest.MonkeyPatch) -> None:
    _, plan, _ = run_session(settings, ScriptedProvider([turn("", ("bash", {"command": "echo 41"})),
                                                          turn("it said 41")]), "what does echo say?")
    plan.store.close()
    provider = ScriptedProvider([turn("42 next"), turn("fresh start")])
    monkeypatch.setattr("reign.providers.make_provider", lambda *a, **k: provider)
    out = CliRunner().invoke(main, ["chat", "--resume", plan.id], input="and then?\n/reset\nhello\n/exit\n")
    assert out.exit_code == 0, out.output
    assert f"resumed session {plan.id}" in out.stdout and "new session" in out.stdout
    resumed, fresh = provider.requests
    assert [m.text for m in resumed["messages"] if m.role == "user"] == ["what does echo say?", "and then?"]
    assert [m.text for m in fresh["messages"]] == ["hello"]
    store = SessionStore(settings.sessions_db)
    infos = {i.goal: i for i in store.recent()}
    assert set(infos) == {"what does echo say?", "hello"}
    assert infos["what does echo say?"].steps == 3 and infos["hello"].steps == 1
    assert [m.text for m in store.transcript(plan.id) if m.role == "user"] == ["what does echo say?", "and then?"]
