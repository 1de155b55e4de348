

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
