"""Who may see a run, over real HTTP against a real `reign serve --replay` process (SQLite, real bash):
scoped users see the runs within their scope, a run outside it is 404 for every endpoint (read, events,
approve, cancel) and for the console's pages, and the console's runs list, sessions and audit browsers hide
it. The model is a synthesized cassette (no LLM API is reachable here)."""

from __future__ import annotations

import json
from pathlib import Path

import httpx
import pytest
from conftest_server import Server, bash, cassette

pytestmark = pytest.mark.server


def _asking(tmp_path: Path, name: str, command: str) -> Path:
    return cassette(tmp_path / f"{name}.yaml", [{"text": "I'll record it.", "calls": [bash(command)]},
                                                {"text": "Recorded."}], "a write that needs approval")


def _ids(server: Server, token: str) -> set[str]:
    response = server.request("GET", "/api/runs", token)
    assert response.status_code == 200, response.text
    return {row["id"] for row in response.json()}


def _console(server: Server, token: str) -> httpx.Client:
    """A console session: the HttpOnly cookie the sign-in form sets holds the bearer token."""
    return httpx.Client(base_url=server.url, cookies={"reign_session": token}, timeout=30)


def test_runs_are_seen_within_scope_and_are_404_outside_it(server_home: tuple[Path, Path], tmp_path: Path,
                                                           servers: list[Server]) -> None:
    home, ws = server_home
    server = Server(home, ws, f"sqlite:///{tmp_path / 'server.db'}")
    servers.append(server)
    ann = server.add_user("ann", "operator", "--namespace", "team-a")
    bob = server.add_user("bob", "operator", "--namespace", "team-b")
    vic = server.add_user("vic", "viewer", "--namespace", "team-a")
    amy = server.add_user("amy", "approver", "--namespace", "team-a")
    pat = server.add_user("pat", "approver", "--namespace", "team-b")
    uma = server.add_user("uma", "viewer")  # unscoped: sees every run
    wide = server.add_user("wes", "viewer", "--namespace", "team-a", "--namespace", "team-b")
    root = server.add_user("root", "admin", "--namespace", "elsewhere")
    server.start()
    run_a = server.start_run(ann, "write a", _asking(tmp_path, "a", "echo a >> a.txt"))
    run_b = server.start_run(bob, "write b", _asking(tmp_path, "b", "echo b >> b.txt"))
    [pending_a] = server.wait(ann, run_a, "waiting_approval")["pending"]
    [pending_b] = server.wait(bob, run_b, "waiting_approval")["pending"]

    # the list: each sees what lies within their scope (and their own runs)
    assert _ids(server, ann) == {run_a} and _ids(server, bob) == {run_b}
    assert _ids(server, vic) == {run_a} and _ids(server, amy) == {run_a} and _ids(server, pat) == {run_b}
    assert _ids(server, uma) == _ids(server, root) == _ids(server, wide) == {run_a, run_b}

    # outside the view, every endpoint answers as for a run that does not exist
    for token, run_id, digest in ((vic, run_b, pending_b["digest"]), (ann, run_b, pending_b["digest"]),
                                  (bob, run_a, pending_a["digest"]), (pat, run_a, pending_a["digest"])):
        shown = server.request("GET", f"/api/runs/{run_id}", token)
        assert shown.status_code == 404 and shown.json() == {"detail": f"no run {run_id}"}  # as for no run
        assert server.request("GET", f"/api/runs/{run_id}/events", token).status_code == 404
        assert server.request("POST", f"/api/runs/{run_id}/approvals/{digest}", token,
                              json={"approve": True}).status_code == 404
        assert server.request("POST", f"/api/runs/{run_id}/cancel", token).status_code == 404
    # an approver out of scope cannot approve; in scope the role and four-eyes rules apply as before
    assert server.request("POST", f"/api/runs/{run_b}/approvals/{pending_b['digest']}", amy,
                          json={"approve": True}).status_code == 404
    assert server.request("POST", f"/api/runs/{run_a}/approvals/{pending_a['digest']}", vic,
                          json={"approve": True}).status_code == 403  # sees it, but a viewer
    assert server.request("POST", f"/api/runs/{run_a}/cancel", vic).status_code == 403
    assert server.request("POST", f"/api/runs/{run_a}/approvals/{pending_a['digest']}", amy,
                          json={"approve": True, "note": "in scope"}).status_code == 200
    done = server.wait(ann, run_a, "completed", "failed")
    assert done["status"] == "completed" and done["approvals"][0]["by"] == "amy"
    assert (ws / "a.txt").read_text() == "a\n" and not (ws / "b.txt").exists()
    # events within scope stream as before
    with httpx.stream("GET", f"{server.url}/api/runs/{run_a}/events", timeout=30,
                      headers={"Authorization": f"Bearer {vic}"}) as stream:
        assert stream.status_code == 200
        kinds = [line[6:].strip() for line in stream.iter_lines() if line.startswith("event:")]
    assert kinds[-1] == "end" and "approval" in kinds
    # an approver within scope may cancel a run someone else started
    assert server.request("POST", f"/api/runs/{run_b}/cancel", pat).status_code == 200
    assert server.wait(bob, run_b, "cancelled")["error"] == "cancelled by pat"

    # the console: the same rule for the runs list, run pages, their event streams, sessions and audit
    with _console(server, vic) as console:
        listing = console.get("/")
        assert listing.status_code == 200 and run_a in listing.text and run_b not in listing.text
        assert run_b not in console.get("/", params={"who": "bob"}).text  # filters cannot widen the view
        assert console.get(f"/runs/{run_a}").status_code == 200
        assert console.get(f"/runs/{run_b}").status_code == 404
        assert console.get(f"/console/runs/{run_b}/events").status_code == 404
        sessions = console.get("/sessions").text
        assert run_a in sessions and run_b not in sessions
        refused = console.get("/sessions", params={"session": run_b})
        assert refused.status_code == 200 and "no session" in refused.text and "<td>bash</td>" not in refused.text
        assert "<td>bash</td>" in console.get("/sessions", params={"session": run_a}).text
        audit = console.get("/audit").text
        assert run_a in audit and run_b not in audit
        assert "0 records match" in console.get("/audit", params={"session": run_b}).text
    with _console(server, root) as console:
        assert run_b in console.get("/").text and run_b in console.get("/sessions").text
        assert run_b in console.get("/audit").text
    audit_cli = server.cli("audit", "show", "--session", run_b, "--json")  # the records exist; only hidden
    assert any(json.loads(line).get("session") == run_b for line in audit_cli.stdout.splitlines())


def test_a_run_keeps_the_scope_it_started_with(server_home: tuple[Path, Path], tmp_path: Path,
                                               servers: list[Server]) -> None:
    """The scope recorded when the run started decides who sees it: after its starter is re-issued unscoped, a
    team-a reader still sees the run (were the scope read from the user now, it would leave their view)."""
    home, ws = server_home
    server = Server(home, ws, f"sqlite:///{tmp_path / 'server.db'}")
    servers.append(server)
    ann = server.add_user("ann", "operator", "--namespace", "team-a")
    vic = server.add_user("vic", "viewer", "--namespace", "team-a")
    server.start()
    run_id = server.start_run(ann, "write a", _asking(tmp_path, "a", "echo a >> a.txt"))
    server.wait(ann, run_id, "waiting_approval")
    assert server.cli("users", "revoke", "ann", "--database-url", server.database_url).returncode == 0
    server.add_user("ann", "operator")  # now unscoped
    assert _ids(server, vic) == {run_id}  # still within team-a, as recorded
