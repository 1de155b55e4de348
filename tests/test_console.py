"""The web console without a browser: sign-in, CSRF, security headers and escaping, through FastAPI's
TestClient on a real SQLite database (no durable runs: events are written as a run would write them)."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from reign.server import users
from reign.server.app import create_app
from reign.server.config import ServerConfig

ORIGIN = "http://testserver"
XSS = "<script>alert(1)</script><img src=x onerror=alert(2)>\x1b[31mred\x07"


@pytest.fixture
def app_db(tmp_path: Path) -> Iterator[tuple[TestClient, object]]:
    cfg = ServerConfig(database_url=f"sqlite:///{tmp_path / 'server.db'}", replay=True)
    app = create_app(cfg, durable=False)
    with TestClient(app, base_url=ORIGIN) as client:
        yield client, app.state.db


def _sign_in(client: TestClient, token: str) -> str:
    page = client.get("/login")
    nonce = re.search(r'name="nonce" value="([^"]+)"', page.text)
    assert nonce
    done = client.post("/login", data={"token": token, "nonce": nonce.group(1)}, headers={"Origin": ORIGIN},
                       follow_redirects=False)
    assert done.status_code == 303, done.text
    cookie = done.headers["set-cookie"]
    assert "HttpOnly" in cookie and "SameSite=strict" in cookie and token not in done.headers.get("location", "")
    listing = client.get("/")
    found = re.search(r'name="csrf" value="([0-9a-f]{64})"', listing.text)
    assert found
    return found.group(1)


def test_pages_need_a_session_and_a_bad_token_is_refused(app_db: tuple[TestClient, object]) -> None:
    client, db = app_db
    assert client.get("/", follow_redirects=False).headers["location"] == "/login?next=%2F"
    assert client.get("/runs/x", follow_redirects=False).status_code == 303
    page = client.get("/login")
    nonce = re.search(r'name="nonce" value="([^"]+)"', page.text).group(1)  # type: ignore[union-attr]
    bad = client.post("/login", data={"token": "rgn_nope", "nonce": nonce}, headers={"Origin": ORIGIN})
    assert bad.status_code == 401 and "not valid" in bad.text
    token = users.add(db, "otto", "operator")  # type: ignore[arg-type]
    assert client.get("/api/runs").status_code == 401
    # the webhook's link survives signing in; another site never becomes the destination
    link = client.get("/runs/r9?approve=abc", follow_redirects=False).headers["location"]
    assert link == "/login?next=%2Fruns%2Fr9%3Fapprove%3Dabc"
    for target, expected in [("/runs/r9?approve=abc", "/runs/r9?approve=abc"), ("//evil.example/", "/"),
                             ("https://evil.example/", "/"), ("/\\evil.example", "/")]:
        form = client.get("/login", params={"next": target}).text
        nonce = re.search(r'name="nonce" value="([^"]+)"', form).group(1)  # type: ignore[union-attr]
        done = client.post("/login", data={"token": token, "nonce": nonce, "next": target},
                           headers={"Origin": ORIGIN}, follow_redirects=False)
        assert done.status_code == 303 and done.headers["location"] == expected, target


def test_security_headers_on_pages_and_api(app_db: tuple[TestClient, object]) -> None:
    client, _ = app_db
    for path in ("/login", "/api/runs", "/static/run.js"):
        headers = client.get(path).headers
        csp = headers["content-security-policy"]
        assert "default-src 'self'" in csp and "frame-ancestors 'none'" in csp and "unsafe-inline" not in csp
        assert headers["x-content-type-options"] == "nosniff" and headers["referrer-policy"] == "same-origin"


def test_csrf_token_and_origin_are_required_and_the_cookie_does_not_open_the_api(
        app_db: tuple[TestClient, object]) -> None:
    client, db = app_db
    token = users.add(db, "otto", "operator")  # type: ignore[arg-type]
    csrf = _sign_in(client, token)
    goal = {"goal": "x", "cassette": ""}
    assert client.post("/runs", data=goal, headers={"Origin": ORIGIN}).status_code == 403  # no token
    assert client.post("/runs", data=goal | {"csrf": "0" * 64}, headers={"Origin": ORIGIN}).status_code == 403
    assert client.post("/runs", data=goal | {"csrf": csrf}, headers={"Origin": "http://evil.example"}).status_code \
        == 403
    assert client.post("/runs", data=goal | {"csrf": csrf}).status_code == 403  # neither Origin nor Referer
    assert client.post("/logout", data={}, headers={"Origin": ORIGIN}).status_code == 403
    # the session cookie alone is no credential for the JSON API
    assert client.get("/api/runs").status_code == 401
    assert client.post("/api/runs", json={"goal": "x"}).status_code == 401
    # the login form itself: no nonce, or a foreign origin, is refused
    assert client.post("/login", data={"token": token}, headers={"Origin": ORIGIN}).status_code == 403
    out = client.post("/logout", data={"csrf": csrf}, headers={"Origin": ORIGIN}, follow_redirects=False)
    assert out.status_code == 303 and client.get("/", follow_redirects=False).status_code == 303


def test_untrusted_text_is_escaped_and_control_sequences_are_inert(app_db: tuple[TestClient, object]) -> None:
    client, db = app_db
    token = users.add(db, "vera", "viewer")  # type: ignore[arg-type]
    db.create_run("r1", "goal " + XSS, "vera", provider=None, model=None, max_steps=None, cassette=None)  # type: ignore[attr-defined]
    db.add_event("r1", "step:1:", "step", {"step": 1, "text": XSS, "usage": {"input_tokens": 5, "output_tokens": 7}})  # type: ignore[attr-defined]
    db.add_event("r1", "result:1:c", "result", {"step": 1, "call_id": "c", "record": {  # type: ignore[attr-defined]
        "tool": "bash", "args": {}, "decision": "allow", "ok": True, "output": XSS, "duration_ms": 12}})
    _sign_in(client, token)
    page = client.get("/runs/r1").text
    assert "<script>alert" not in page and "<img src=x" not in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt;&lt;img src=x onerror=alert(2)&gt;" in page
    assert "\x1b" not in page and "\x07" not in page and "\\x1b[31m" in page
    assert "<svg" in page and "Tokens per step" in page and "Time per call" in page
    listing = client.get("/").text
    assert "<script>alert" not in listing and ">12<" in listing  # 5 + 7 tokens in the runs list
    assert "<script" not in re.sub(r'<script src="/static/run.js" defer></script>', "", page)


def test_previews_render_as_coloured_diffs(app_db: tuple[TestClient, object]) -> None:
    client, db = app_db
    token = users.add(db, "vera", "viewer")  # type: ignore[arg-type]
    db.create_run("r2", "edit", "vera", provider=None, model=None, max_steps=None, cassette=None)  # type: ignore[attr-defined]
    diff = "--- a/app.conf\n+++ b/app.conf\n@@ -1 +1 @@\n-replicas: 1\n+replicas: 3"
    db.add_event("r2", "result:1:c", "result", {"step": 1, "call_id": "c", "record": {  # type: ignore[attr-defined]
        "tool": "file_write", "args": {}, "decision": "ask", "ok": True, "output": "ok", "preview": diff}})
    _sign_in(client, token)
    page = client.get("/runs/r2").text
    assert '<span class="del">-replicas: 1</span>' in page and '<span class="add">+replicas: 3</span>' in page
    assert '<span class="hunk">@@ -1 +1 @@</span>' in page


def test_approve_buttons_follow_roles_and_four_eyes(app_db: tuple[TestClient, object]) -> None:
    """Who sees Approve / Deny on a pending destructive call: approvers and admins, never the run's requester."""
    client, db = app_db
    tokens = {name: users.add(db, name, role) for name, role in  # type: ignore[arg-type]
              [("ada", "admin"), ("bob", "approver"), ("otto", "operator"), ("vera", "viewer")]}
    db.create_run("r3", "delete a pod", "ada", provider=None, model=None, max_steps=None, cassette=None,  # type: ignore[attr-defined]
                  scope={})
    db.open_approval("r3", "d" * 64, 600, call_id="c1", tool="kubectl_delete", args='{"name": "web-0"}',  # type: ignore[attr-defined]
                     effect="destructive", rule="k8s-delete", reason="deletes a pod", preview="-pod web-0")
    seen = {}
    for name, token in tokens.items():
        client.cookies.clear()
        _sign_in(client, token)
        seen[name] = "Approve</button>" in client.get(f"/runs/r3?approve={'d' * 64}").text
    assert seen == {"ada": False, "bob": True, "otto": False, "vera": False}
    client.cookies.clear()
    csrf = _sign_in(client, tokens["otto"])  # an operator posting the form anyway is refused by the API's rule
    refused = client.post(f"/runs/r3/approvals/{'d' * 64}", data={"verdict": "approve", "csrf": csrf},
                          headers={"Origin": ORIGIN})
    assert refused.status_code == 403 and "may not decide approvals" in refused.text


def test_policy_sessions_and_audit_pages(app_db: tuple[TestClient, object], tmp_path: Path,
                                         monkeypatch: pytest.MonkeyPatch) -> None:
    """The browsers over the server's own state: the effective policy, sessions and the audit trail (empty here)."""
    from reign.policy import load_checked_policy

    monkeypatch.setenv("XDG_STATE_HOME", str(tmp_path / "state"))
    client, db = app_db
    _sign_in(client, users.add(db, "vera", "viewer"))  # type: ignore[arg-type]
    policy = client.get("/policy")
    rule = load_checked_policy([]).rules[0]
    assert policy.status_code == 200 and f"<td>{rule.id}</td>" in policy.text
    sessions = client.get("/sessions?q=nothing-matches")
    assert sessions.status_code == 200 and "No sessions match." in sessions.text
    audit = client.get("/audit?q=%3Cscript%3E")
    assert audit.status_code == 200 and "0 records match" in audit.text and 'value="&lt;script&gt;"' in audit.text


def test_runs_list_estimates_cost_from_the_price_table(app_db: tuple[TestClient, object]) -> None:
    client, db = app_db
    token = users.add(db, "olga", "operator")  # type: ignore[arg-type]
    db.create_run("priced", "a goal", "olga", provider="anthropic", model="claude-sonnet-x", max_steps=None,  # type: ignore[attr-defined]
                  cassette=None)
    db.add_event("priced", "step:1:", "step", {"step": 1, "usage": {"input_tokens": 1_000_000, "output_tokens": 0}})  # type: ignore[attr-defined]
    db.create_run("unpriced", "a goal", "olga", provider="openai", model="my-local-llama", max_steps=None,  # type: ignore[attr-defined]
                  cassette=None)
    db.add_event("unpriced", "step:1:", "step", {"step": 1, "usage": {"input_tokens": 10, "output_tokens": 1}})  # type: ignore[attr-defined]
    _sign_in(client, token)
    listing = client.get("/").text
    assert "~$3.0000" in listing  # claude-sonnet: US$3 per million input tokens
    assert ">n/a<" in listing  # a model with no price gets no cost rather than a wrong one
