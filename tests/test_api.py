"""The Python API (reign.Reign): runs through the real wiring, gate, bash, audit trail and sessions.
The model is a replayed synthesized cassette or the scripted provider (no LLM API is reachable here)."""

from __future__ import annotations

import asyncio
from pathlib import Path

from conftest import ScriptedProvider, turn

from reign import Event, Reign
from reign.approval import Approval, ApprovalRequest
from reign.audit import default_path, read
from reign.config import Settings
from reign.sessions import SessionStore

ROOT = Path(__file__).resolve().parent.parent


def test_run_with_a_cassette_emits_typed_events_and_keeps_a_session(settings: Settings) -> None:
    reign = Reign(settings=settings, cassette=ROOT / "examples" / "machine-report" / "cassette.yaml")
    events: list[Event] = []
    reign.subscribe(events.append)
    result = reign.run("Report on this machine")
    assert result.stop_reason == "completed" and result.steps == 3
    kinds = [e.kind for e in events]
    assert kinds[0] == "step" and kinds[-1] == "final"
    assert kinds.count("result") == 4 and kinds.count("call") == 4 and kinds.count("decision") == 4
    # the ask (a write of machine-report.txt) reaches the (default) approver, which refuses it
    [required] = [e for e in events if e.kind == "approval_required"]
    assert required.data["args"] == {"command": "uname -sr > machine-report.txt"} and len(required.data["digest"]) == 64
    [answer] = [e for e in events if e.kind == "approval"]
    assert answer.data["approved"] is False
    assert [e.seq for e in events] == list(range(1, len(events) + 1))
    assert all(e.session == result.session for e in events)
    store = SessionStore(settings.sessions_db)
    info = store.find(result.session)
    assert info.status == "completed" and info.steps == 3 and info.goal == "Report on this machine"


def test_approver_hook_runs_the_call_and_the_audit_names_the_approver(settings: Settings, workdir: Path) -> None:
    provider = ScriptedProvider([turn("", ("bash", {"command": "echo hi >> side.txt"})), turn("done")])
    seen: list[ApprovalRequest] = []

    def approve(request: ApprovalRequest) -> Approval:
        seen.append(request)
        return Approval(True, "once", "looks fine", by="alice")

    result = Reign(settings=settings, provider=provider, approver=approve).run("append a line")
    assert result.stop_reason == "completed"
    assert (workdir / "side.txt").read_text() == "hi\n"
    assert [r.call.args for r in seen] == [{"command": "echo hi >> side.txt"}]
    [approval] = [r for r in read(default_path(settings.audit_dir), result.session) if r["kind"] == "approval"]
    assert approval["approved"] is True and approval["approved_by"] == "alice" and approval["ts"]
    # and in the session: the call record, the stored call and the transcript name her
    assert result.tool_calls[0].approved_by == "alice"
    from reign.sessions import SessionStore, transcript_text

    store = SessionStore(settings.sessions_db)
    assert [c["approved_by"] for c in store.calls(result.session)] == ["alice"]
    assert "approved by alice" in transcript_text(store, result.session)


def test_a_boolean_hook_refusing_leaves_the_world_alone(settings: Settings, workdir: Path) -> None:
    provider = ScriptedProvider([turn("", ("bash", {"command": "echo hi >> side.txt"})), turn("refused")])
    result = Reign(settings=settings, provider=provider, approver=lambda request: False).run("append a line")
    assert not (workdir / "side.txt").exists()
    [call] = result.tool_calls
    assert call.approved is False and not call.ok and "refused by the approver hook" in call.output


def test_arun_and_astream(settings: Settings) -> None:
    async def main() -> tuple[str, list[str]]:
        first = await Reign(settings=settings, provider=ScriptedProvider([turn("hello")])).arun("say hello")
        reign = Reign(settings=settings, provider=ScriptedProvider([turn("", ("bash", {"command": "echo x"})),
                                                                    turn("ok")]))
        kinds = [e.kind async for e in reign.astream("echo")]
        return first.final, kinds

    final, kinds = asyncio.run(main())
    assert final == "hello"
    assert kinds == ["step", "call", "decision", "result", "step", "final"]


def test_stream_gives_the_result_and_resume_continues_the_session(settings: Settings) -> None:
    reign = Reign(settings=settings, provider=ScriptedProvider([turn("first answer"), turn("second answer")]))
    stream = reign.stream("first")
    assert [e.kind for e in stream] == ["step", "final"]
    assert stream.result is not None and stream.result.final == "first answer"
    again = reign.run("and again", resume=stream.result.session)
    assert again.session == stream.result.session and again.final == "second answer"
    assert len(SessionStore(settings.sessions_db).transcript(again.session)) == 4
