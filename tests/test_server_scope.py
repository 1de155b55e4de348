"""Per-user scope of `reign serve` runs against the real local Kubernetes control plane: a user limited to a
namespace cannot reach another through Reign, and with impersonation the cluster's own RBAC decides for that
person (the API server answers 403 for a user with no bindings). The model is a synthesized cassette."""

from __future__ import annotations

from pathlib import Path

import pytest
from conftest_server import Server, cassette, synth_cassettes

pytestmark = [pytest.mark.server, pytest.mark.kubernetes]


def test_namespace_scope_and_impersonation(server_home: tuple[Path, Path], tmp_path: Path, servers: list[Server],
                                           k8s_cluster: str) -> None:
    home, ws = server_home
    server = Server(home, ws, f"sqlite:///{tmp_path / 'server.db'}", env={"KUBECONFIG": k8s_cluster})
    servers.append(server)
    kim = server.add_user("kim", "operator", "--namespace", "team-a", "--impersonate-user", "jane@example.com",
                          "--impersonate-group", "team-a-readers")
    admin = server.add_user("root", "admin")
    server.start()
    listing = server.cli("users", "list", "--database-url", server.database_url).stdout
    assert "namespaces=team-a" in listing and "impersonate_user=jane@example.com" in listing
    path = cassette(tmp_path / "k8s.yaml", [
        {"calls": [synth_cassettes.call("k8s_get", {"kind": "pods", "namespace": "kube-system"})]},
        {"calls": [synth_cassettes.call("k8s_get", {"kind": "pods", "namespace": "team-a"})]},
        {"text": "done"}])
    run_id = server.start_run(kim, "list pods", path)
    done = server.wait(kim, run_id, "completed", "failed")
    outside, inside = done["tool_calls"]
    assert not outside["ok"] and "namespace-out-of-scope" in outside["output"]  # Reign's scope: not the user's
    assert not inside["ok"] and "jane@example.com" in inside["output"], inside["output"]
    assert "forbidden" in inside["output"].lower()
    # the same call for a user without impersonation is answered by the cluster (the namespace may be empty)
    other = server.start_run(admin, "list pods", cassette(tmp_path / "k8s2.yaml", [
        {"calls": [synth_cassettes.call("k8s_get", {"kind": "pods", "namespace": "default"})]}, {"text": "done"}]))
    [call] = server.wait(admin, other, "completed", "failed")["tool_calls"]
    assert call["ok"], call["output"]
