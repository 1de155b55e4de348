"""Per-user scope of `reign serve` runs against the real local Kubernetes control plane: a user limited to a
namespace cannot reach another through Reign, and with impersonation the cluster's own RBAC decides for that
person (the API server answers 403 for a user with no bindings). The model is a synthesized cassette."""

from __future__ import annotations

import os
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


def _grant_pod_reading(namespace: str, group: str) -> None:
    """A Role to read pods and configmaps in `namespace`, bound to the cluster group `group` (as the cluster's
    admin: the test kubeconfig's credentials)."""
    from conftest_k8s import _kube

    client, api = _kube()
    rbac = client.RbacAuthorizationV1Api(api)  # type: ignore[attr-defined]
    rbac.create_namespaced_role(namespace, {
        "metadata": {"name": "reign-test-reader"},
        "rules": [{"apiGroups": [""], "resources": ["pods", "configmaps"], "verbs": ["get", "list"]}]})
    rbac.create_namespaced_role_binding(namespace, {
        "metadata": {"name": "reign-test-reader"},
        "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": "Role", "name": "reign-test-reader"},
        "subjects": [{"apiGroup": "rbac.authorization.k8s.io", "kind": "Group", "name": group}]})


def test_every_impersonated_group_reaches_the_cluster(k8s_namespace: str, tmp_path: Path) -> None:
    """The Kubernetes manager sends one Impersonate-Group header per group: the API server's RBAC grants jane
    what a binding gives any one of her groups, first or second (a joined "a, b" value would be one unknown
    group and be refused)."""
    from reign.config import Settings
    from reign.managers.kubernetes import client as k8s_client

    _grant_pod_reading(k8s_namespace, "cm-readers")
    path = f"/api/v1/namespaces/{k8s_namespace}/configmaps"

    def listing(*groups: str, one: str | None = None) -> int:
        settings = Settings(workspace_root=tmp_path, kube_impersonate_user="jane@example.com",
                            kube_impersonate_group=one, kube_impersonate_groups=list(groups))
        try:
            k8s_client.api_request(k8s_client.api_session(settings), "GET", path)
        except k8s_client.KubeApiError as exc:
            assert "jane@example.com" in str(exc)
            return exc.status
        return 200

    assert listing("team-x", "cm-readers") == 200  # the second group's binding applies
    assert listing("cm-readers", "team-x") == 200
    assert listing("team-x") == 403
    assert listing() == 403  # jane alone has no bindings
    assert listing("team-x", "team-y") == 403
    assert listing(one="cm-readers") == 200  # the older one-group setting still works
    assert listing("cm-readers", one="team-x") == 200 and listing("team-y", one="team-x") == 403


def test_a_user_with_two_groups_runs_with_the_second_groups_rbac(
        server_home: tuple[Path, Path], tmp_path: Path, servers: list[Server], k8s_namespace: str) -> None:
    """`reign users add --impersonate-group` twice: the run's Kubernetes calls carry both groups, so the binding
    of the second lets kim list pods; with only the first group the cluster refuses the same call."""
    _grant_pod_reading(k8s_namespace, "team-b-readers")
    home, ws = server_home
    server = Server(home, ws, f"sqlite:///{tmp_path / 'server.db'}", env={"KUBECONFIG": os.environ["KUBECONFIG"]})
    servers.append(server)
    both = server.add_user("kim", "operator", "--namespace", k8s_namespace, "--impersonate-user", "kim@example.com",
                           "--impersonate-group", "team-a-readers", "--impersonate-group", "team-b-readers")
    first = server.add_user("lee", "operator", "--namespace", k8s_namespace, "--impersonate-user", "kim@example.com",
                            "--impersonate-group", "team-a-readers")
    server.start()
    listing = server.cli("users", "list", "--database-url", server.database_url).stdout
    assert "impersonate_groups=team-a-readers,team-b-readers" in listing
    turns = [{"calls": [synth_cassettes.call("k8s_get", {"kind": "pods", "namespace": k8s_namespace})]},
             {"text": "done"}]
    allowed = server.wait(both, server.start_run(both, "list pods", cassette(tmp_path / "a.yaml", turns)),
                          "completed", "failed")
    [call] = allowed["tool_calls"]
    assert call["ok"], call["output"]
    refused = server.wait(first, server.start_run(first, "list pods", cassette(tmp_path / "b.yaml", turns)),
                          "completed", "failed")
    [call] = refused["tool_calls"]
    assert not call["ok"] and "kim@example.com" in call["output"] and "forbidden" in call["output"].lower()
