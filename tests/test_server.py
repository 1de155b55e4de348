"""`reign serve` over real HTTP on loopback ports: real server processes (killed with SIGKILL where a test
says so), a real PostgreSQL 15 (scripts/postgres.sh) or SQLite, real bash, real DBOS recovery.
The model is a synthesized cassette replayed through the real Anthropic SDK (no LLM API is reachable here).
"""

from __future__ import annotations

import json
import os
import subprocess
import threading
from http.server import BaseHTTPRequestHandler, HTTPServer
from pathlib import Path
from typing import Any

import httpx
import pytest
from conftest_server import ROOT, Server, bash, cassette, new_pg_database, wait_for

pytestmark = pytest.mark.server


def _db_url(kind: str, tmp_path: Path, pg_admin_url: str | None) -> str:
    if kind == "sqlite":
        return f"sqlite:///{tmp_path / 'server.db'}"
    assert pg_admin_url is not None
    return new_pg_database(pg_admin_url)


@pytest.fixture(params=["sqlite", "postgresql"])
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    admin = request.getfixturevalue("pg_admin_url") if request.param == "postgresql" else None
    return _db_url(request.param, tmp_path, admin)


@pytest.fixture
def pg_url(pg_admin_url: str) -> str:
    return new_pg_database(pg_admin_url)


def _sse(server: Server, token: str, run_id: str, last: int | None = None) -> list[tuple[int, str, dict[str, Any]]]:
    headers = {"Last-Event-ID": str(last)} if last is not None else {}
    events: list[tuple[int, str, dict[str, Any]]] = []
    with httpx.stream("GET", f"{server.url}/api/runs/{run_id}/events", timeout=30,
                      headers={"Authorization": f"Bearer {token}", **headers}) as response:
        assert response.status_code == 200
        ident, kind = 0, ""
        for line in response.iter_lines():
            if line.startswith("id:"):
                ident = int(line[3:].strip())
            elif line.startswith("event:"):
                kind = line[6:].strip()
            elif line.startswith("data:"):
                events.append((ident, kind, json.loads(line[5:].strip())))
                if kind == "end":
                    break
    return events


def _approval_cassette(tmp_path: Path, command: str, name: str = "approve.yaml") -> Path:
    return cassette(tmp_path / name, [
        {"text": "I'll record it.", "calls": [bash(command)]},
        {"text": "Recorded."},
    ], "a write that needs a person's approval")


# -- requests and statuses -------------------------------------------------------------------------------
def test_bad_oversized_and_unauthorised_requests_get_their_statuses(server_home: tuple[Path, Path], tmp_path: Path,
                                                                    servers: list[Server]) -> None:
    home, ws = server_home
    server = Server(home, ws, f"sqlite:///{tmp_path / 'server.db'}", replay=False)
    servers.append(server)
    viewer, operator = server.add_user("vera", "viewer"), server.add_user("otto", "operator")
    server.start()
    assert server.request("GET", "/api/runs", None).status_code == 401
    assert server.request("GET", "/api/runs", "rgn_not-a-token").status_code == 401
    assert server.request("GET", "/api/runs", viewer).json() == []
    assert server.request("POST", "/api/runs", viewer, json={"goal": "x"}).status_code == 403
    missing = server.request("POST", "/api/runs", operator, json={"max_steps": 3})
    assert missing.status_code == 422 and missing.json()["detail"][0]["loc"] == ["body", "goal"]
    bad = server.request("POST", "/api/runs", operator, json={"goal": "x", "max_steps": 0})
    assert bad.status_code == 422 and bad.json()["detail"][0]["loc"] == ["body", "max_steps"]
    extra = server.request("POST", "/api/runs", operator, json={"goal": "x", "sudo": True})
    assert extra.status_code == 422 and extra.json()["detail"][0]["loc"] == ["body", "sudo"]
    assert server.request("POST", "/api/runs", operator, content=b"{not json",
                          headers={"content-type": "application/json"}).status_code == 422
    assert server.request("POST", "/api/runs", operator, json={"goal": "x" * 100_000}).status_code == 413
    chunks = (b'{"goal": "' + b"x" * 50_000 for _ in range(3))  # streamed, no Content-Length
    assert server.request("POST", "/api/runs", operator, content=chunks,
                          headers={"content-type": "application/json"}).status_code == 413
    replay = server.request("POST", "/api/runs", operator, json={"goal": "x", "cassette": "/etc/hostname"})
    assert replay.status_code == 400 and "--replay" in replay.json()["detail"]
    assert server.request("GET", "/api/runs/nope", viewer).status_code == 404
    assert server.request("POST", "/api/runs/nope/cancel", operator).status_code == 404
    revoked = server.cli("users", "revoke", "vera", "--database-url", server.database_url)
    assert revoked.returncode == 0
    assert server.request("GET", "/api/runs", viewer).status_code == 401
    listing = server.cli("users", "list", "--database-url", server.database_url).stdout
    assert "vera" in listing and "revoked" in listing and viewer not in listing


# -- a run, its events and its session --------------------------------------------------------------------
def test_replayed_run_completes_with_events_and_a_session(server_home: tuple[Path, Path], tmp_path: Path,
                                                          servers: list[Server]) -> None:
    home, ws = server_home
    (ws / "a.txt").write_text("a")
    server = Server(home, ws, f"sqlite:///{tmp_path / 'server.db'}")
    servers.append(server)
    token = server.add_user("otto", "operator")
    server.start()
    run_id = server.start_run(token, "count the files", ROOT / "cassettes" / "anthropic" / "basic.yaml")
    done = server.wait(token, run_id, "completed", "failed")
    assert done["status"] == "completed" and done["stop_reason"] == "completed" and done["steps"] == 2
    [call] = done["tool_calls"]
    assert call["tool"] == "bash" and call["decision"] == "allow" and call["ok"] and "stdout:\n1" in call["output"]
    assert done["requested_by"] == "otto" and done["pending"] == []
    events = _sse(server, token, run_id)
    kinds = [kind for _, kind, _ in events]
    assert kinds == ["step", "call", "decision", "result", "step", "final", "end"]
    ids = [ident for ident, _, _ in events]
    assert ids == sorted(ids) and len(set(ids)) == len(ids)
    tail = _sse(server, token, run_id, last=ids[3])  # resume after the result: Last-Event-ID
    assert [kind for _, kind, _ in tail] == ["step", "final", "end"]
    sessions = server.cli("sessions", "show", run_id)
    assert sessions.returncode == 0 and "completed" in sessions.stdout and "ls -1 | wc -l" in sessions.stdout


# -- durability ---------------------------------------------------------------------------------------------
def test_kill9_while_waiting_for_approval_then_approve_runs_the_call_once(
        server_home: tuple[Path, Path], tmp_path: Path, servers: list[Server], database_url: str) -> None:
    home, ws = server_home
    server = Server(home, ws, database_url)
    servers.append(server)
    alice, bob = server.add_user("alice", "operator"), server.add_user("bob", "approver")
    server.start()
    run_id = server.start_run(alice, "append a line", _approval_cassette(tmp_path, "echo ran >> count.txt"))
    waiting = server.wait(alice, run_id, "waiting_approval")
    [pending] = waiting["pending"]
    assert pending["tool"] == "bash" and pending["args"] == {"command": "echo ran >> count.txt"}
    assert pending["expires_at"].endswith("Z") and pending["rule"]
    server.kill9()
    assert not (ws / "count.txt").exists()
    server.start()  # same worker id: DBOS recovers the run, which waits again for the same approval
    assert server.wait(alice, run_id, "waiting_approval")["pending"][0]["digest"] == pending["digest"]
    decided = server.request("POST", f"/api/runs/{run_id}/approvals/{pending['digest']}", bob,
                             json={"approve": True, "note": "checked"})
    assert decided.status_code == 200, decided.text
    done = server.wait(alice, run_id, "completed", "failed")
    assert done["status"] == "completed" and done["final"] == "Recorded."
    assert (ws / "count.txt").read_text() == "ran\n"  # exactly once
    [approval] = done["approvals"]
    assert approval["by"] == "bob" and approval["status"] == "approved" and approval["at"]
    again = server.request("POST", f"/api/runs/{run_id}/approvals/{pending['digest']}", bob, json={"approve": True})
    assert again.status_code == 409
    audit = server.cli("audit", "show", "--session", run_id, "--json")
    records = [json.loads(line) for line in audit.stdout.splitlines()]
    [granted] = [r for r in records if r["kind"] == "approval"]
    assert granted["approved"] is True and granted["approved_by"] == "bob" and granted["ts"]
    assert len([r for r in records if r["kind"] == "decision"]) == 1  # the replay did not write it twice
    shown = server.cli("audit", "show", "--session", run_id)
    assert "approved by bob" in shown.stdout
    assert server.cli("audit", "verify").returncode == 0


def test_process_killed_mid_call_resumes_with_outcome_unknown_and_no_second_run(
        server_home: tuple[Path, Path], tmp_path: Path, servers: list[Server], pg_url: str) -> None:
    home, ws = server_home
    server = Server(home, ws, pg_url)
    servers.append(server)
    alice, bob = server.add_user("alice", "operator"), server.add_user("bob", "approver")
    server.start()
    path = cassette(tmp_path / "slow.yaml", [
        {"calls": [bash("echo started >> calls.txt; sleep 5")]},
        {"text": "The outcome of the call is unknown; I will check before retrying."},
    ])
    run_id = server.start_run(alice, "a slow write", path)
    [pending] = server.wait(alice, run_id, "waiting_approval")["pending"]
    assert server.request("POST", f"/api/runs/{run_id}/approvals/{pending['digest']}", bob,
                          json={"approve": True}).status_code == 200
    wait_for(lambda: (ws / "calls.txt").exists(), what="the call to start")
    server.kill9()
    server.start()
    done = server.wait(alice, run_id, "completed", "failed")
    assert done["status"] == "completed"
    [call] = done["tool_calls"]
    assert not call["ok"] and "outcome is unknown" in call["output"]
    assert (ws / "calls.txt").read_text() == "started\n"  # not run a second time
    transcript = server.cli("sessions", "export", run_id)
    assert "outcome is unknown" in transcript.stdout


def test_twenty_concurrent_runs_on_two_servers_sharing_one_postgres(
        server_home: tuple[Path, Path], tmp_path: Path, servers: list[Server], pg_url: str) -> None:
    home, ws = server_home
    first = Server(home, ws, pg_url, extra=["--workers", "4"])
    second = Server(home, ws, pg_url, extra=["--workers", "4"])
    servers.extend([first, second])
    token = first.add_user("otto", "operator")
    first.start()
    second.start()
    runs: dict[str, int] = {}
    for n in range(20):
        path = cassette(tmp_path / f"run{n}.yaml", [
            {"calls": [bash(f"echo token-{n}")]}, {"text": f"run {n} saw token-{n}"}])
        server = first if n % 2 else second
        runs[server.start_run(token, f"goal number {n}", path)] = n
    workers = set()
    for run_id, n in runs.items():
        done = first.wait(token, run_id, "completed", "failed", timeout=120)
        assert done["status"] == "completed" and done["goal"] == f"goal number {n}"
        assert done["final"] == f"run {n} saw token-{n}"
        [call] = done["tool_calls"]
        assert call["output"].strip().endswith(f"token-{n}")
        exported = first.cli("sessions", "export", run_id)
        assert exported.returncode == 0, exported.stderr
        session = json.loads(exported.stdout)
        assert session["session"]["goal"] == f"goal number {n}" and session["session"]["status"] == "completed"
        assert [c["args"]["command"] for c in session["calls"]] == [f"echo token-{n}"]
    with httpx.Client() as client:
        listing = client.get(f"{second.url}/api/runs", headers={"Authorization": f"Bearer {token}"}).json()
    assert {r["id"] for r in listing} == set(runs)
    import sqlalchemy as sa

    from reign.server.db import Database

    db = Database(pg_url)
    with db.engine.connect() as conn:
        workers = {row[0] for row in conn.execute(sa.text("SELECT DISTINCT worker FROM reign_runs"))}
    db.engine.dispose()
    assert workers == {first.worker_id, second.worker_id}  # both servers did part of the work


def test_postgres_restarted_mid_run_and_the_run_goes_on(server_home: tuple[Path, Path], tmp_path: Path,
                                                        servers: list[Server], pg_admin_url: str) -> None:
    port = pg_admin_url.rsplit(":", 1)[1].split("/")[0]
    if os.environ.get("REIGN_TEST_DATABASE_URL") and not os.environ.get("REIGN_TEST_PG_RESTARTABLE"):
        pytest.skip("the PostgreSQL given by REIGN_TEST_DATABASE_URL is not ours to restart")
    url = new_pg_database(pg_admin_url)
    home, ws = server_home
    server = Server(home, ws, url)
    servers.append(server)
    alice, bob = server.add_user("alice", "operator"), server.add_user("bob", "approver")
    server.start()
    run_id = server.start_run(alice, "append a line", _approval_cassette(tmp_path, "echo ran >> count.txt"))
    [pending] = server.wait(alice, run_id, "waiting_approval")["pending"]
    subprocess.run(["bash", str(ROOT / "scripts" / "postgres.sh"), "restart"], check=True, capture_output=True,
                   env={**os.environ, "PG_PORT": port})
    decided = server.request("POST", f"/api/runs/{run_id}/approvals/{pending['digest']}", bob,
                             json={"approve": True})
    assert decided.status_code == 200, decided.text
    done = server.wait(alice, run_id, "completed", "failed", timeout=90)
    assert done["status"] == "completed" and (ws / "count.txt").read_text() == "ran\n"
    second = server.start_run(alice, "count the files", ROOT / "cassettes" / "anthropic" / "basic.yaml")
    assert server.wait(alice, second, "completed", "failed")["status"] == "completed"


# -- approvals: roles, four eyes, expiry, cancel, chat-ops ----------------------------------------------------
@pytest.mark.docker
def test_four_eyes_and_approval_statuses(server_home: tuple[Path, Path], tmp_path: Path, servers: list[Server],
                                         docker_engine: str) -> None:
    home, ws = server_home
    server = Server(home, ws, f"sqlite:///{tmp_path / 'server.db'}",
                    env={"DOCKER_HOST": docker_engine, "REIGN_ALLOW_DESTRUCTIVE": "true"})  # else denied outright
    servers.append(server)
    carol, bob = server.add_user("carol", "admin"), server.add_user("bob", "approver")
    viewer = server.add_user("vera", "viewer")
    server.start()
    path = cassette(tmp_path / "rm.yaml", [
        {"calls": [synth_call("docker_volume_rm", {"name": "reign-test-four-eyes-absent"})]},
        {"text": "Not removed."}])
    run_id = server.start_run(carol, "remove a volume", path)
    [pending] = server.wait(carol, run_id, "waiting_approval")["pending"]
    assert pending["effect"] == "destructive"
    url = f"/api/runs/{run_id}/approvals/{pending['digest']}"
    own = server.request("POST", url, carol, json={"approve": True})
    assert own.status_code == 403 and "four eyes" in own.json()["detail"]
    assert server.request("POST", url, viewer, json={"approve": False}).status_code == 403
    assert server.request("POST", f"/api/runs/{run_id}/approvals/{'0' * 64}", bob,
                          json={"approve": True}).status_code == 404
    assert server.request("POST", url, bob, json={"approve": "maybe"}).status_code == 422
    assert server.request("POST", url, bob, json={"approve": False, "note": "not today"}).status_code == 200
    assert server.request("POST", url, bob, json={"approve": True}).status_code == 409
    done = server.wait(carol, run_id, "completed", "failed")
    [call] = done["tool_calls"]
    assert call["approved"] is False and "refused by bob: not today" in call["output"]


def synth_call(name: str, args: dict[str, Any]) -> dict[str, Any]:
    from conftest_server import synth_cassettes

    return dict(synth_cassettes.call(name, args))


def test_an_ask_expires_and_is_refused(server_home: tuple[Path, Path], tmp_path: Path, servers: list[Server]) -> None:
    home, ws = server_home
    server = Server(home, ws, f"sqlite:///{tmp_path / 'server.db'}", extra=["--approval-ttl", "1"])
    servers.append(server)
    alice, bob = server.add_user("alice", "operator"), server.add_user("bob", "approver")
    server.start()
    run_id = server.start_run(alice, "append a line", _approval_cassette(tmp_path, "echo ran >> count.txt"))
    done = server.wait(alice, run_id, "completed", "failed", timeout=30)
    [call] = done["tool_calls"]
    assert call["approved"] is False and "expired" in call["output"] and not (ws / "count.txt").exists()
    [approval] = done["approvals"]
    late = server.request("POST", f"/api/runs/{run_id}/approvals/{approval['digest']}", bob, json={"approve": True})
    assert approval["status"] == "expired" and late.status_code == 409


def test_cancel_ends_a_waiting_run(server_home: tuple[Path, Path], tmp_path: Path, servers: list[Server]) -> None:
    home, ws = server_home
    server = Server(home, ws, f"sqlite:///{tmp_path / 'server.db'}")
    servers.append(server)
    alice, otto = server.add_user("alice", "operator"), server.add_user("otto", "operator")
    server.start()
    run_id = server.start_run(alice, "append a line", _approval_cassette(tmp_path, "echo ran >> count.txt"))
    assert len(server.wait(alice, run_id, "waiting_approval")["pending"]) == 1
    assert server.request("POST", f"/api/runs/{run_id}/cancel", otto).status_code == 403  # not otto's run
    assert server.request("POST", f"/api/runs/{run_id}/cancel", alice).status_code == 200
    events = _sse(server, alice, run_id)
    assert events[-1][1] == "end" and events[-1][2]["status"] == "cancelled"
    shown = server.run(alice, run_id)
    assert shown["status"] == "cancelled" and shown["pending"] == []
    assert server.request("POST", f"/api/runs/{run_id}/cancel", alice).status_code == 409
    assert not (ws / "count.txt").exists()
    wait_for(lambda: json.loads(server.cli("sessions", "export", run_id).stdout)["session"]["status"]
             == "interrupted", what="the session to be closed")


def test_pending_approval_is_posted_to_a_slack_webhook(server_home: tuple[Path, Path], tmp_path: Path,
                                                       servers: list[Server]) -> None:
    received: list[dict[str, Any]] = []

    class Receiver(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            received.append(json.loads(self.rfile.read(int(self.headers["content-length"]))))
            self.send_response(200)
            self.end_headers()
            self.wfile.write(b"ok")

        def log_message(self, *args: Any) -> None:
            pass

    receiver = HTTPServer(("127.0.0.1", 0), Receiver)
    threading.Thread(target=receiver.serve_forever, daemon=True).start()
    try:
        home, ws = server_home
        server = Server(home, ws, f"sqlite:///{tmp_path / 'server.db'}",
                        extra=["--webhook-url", f"http://127.0.0.1:{receiver.server_port}/hook"])
        servers.append(server)
        alice, bob = server.add_user("alice", "operator"), server.add_user("bob", "approver")
        server.start()
        run_id = server.start_run(alice, "append a line",
                                  _approval_cassette(tmp_path, "echo '<!channel> *bold*' >> count.txt"))
        [pending] = server.wait(alice, run_id, "waiting_approval")["pending"]
        wait_for(lambda: bool(received), what="the webhook")
        [message] = received
        link = f"{server.url}/runs/{run_id}?approve={pending['digest']}"
        assert link in message["text"] and "bash" in message["text"]
        button = message["blocks"][-1]["elements"][0]
        assert button["url"] == link and button["type"] == "button"
        assert "<!channel>" not in json.dumps(message["blocks"])  # the model's text cannot ping the channel
        assert server.request("POST", f"/api/runs/{run_id}/approvals/{pending['digest']}", bob,
                              json={"approve": False}).status_code == 200
        assert server.wait(alice, run_id, "completed", "failed")["status"] == "completed"
    finally:
        receiver.shutdown()
