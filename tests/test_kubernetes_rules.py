"""The gate on kubectl-style operations: a table of tool calls and the decision each must get, under a plain,
a namespace-scoped, a production and a read-only context (the shipped policy, the real catalogue's effects).
No cluster needed: the gate is a pure function.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from reign.catalogue import Catalogue
from reign.config import Settings
from reign.policy import GateCall, GateContext, Policy, decide, gate_context, load_checked_policy
from reign.policy.classifiers.kubernetes import facts

# destructive operations on: this table is about which rule decides (destructive-off is tested on its own)
PLAIN = GateContext(allow_destructive=True)
SCOPED = GateContext(allowed_namespaces=("team-a", "team-b"), allow_destructive=True)
PROD = GateContext(kube_context="prod-eu-1", production=True, allow_destructive=True)
READ_ONLY = GateContext(read_only=True)
CONTEXTS = {"plain": PLAIN, "scoped": SCOPED, "prod": PROD, "read-only": READ_ONLY}

DEPLOY_TEAM_A = ("apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: web, namespace: team-a}\n"
                 "spec: {replicas: 2}\n")
DEPLOY_NO_NS = "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: web}\nspec: {replicas: 2}\n"
DEPLOY_TEAM_C = DEPLOY_TEAM_A.replace("team-a", "team-c")
CLUSTER_ROLE = "apiVersion: rbac.authorization.k8s.io/v1\nkind: ClusterRole\nmetadata: {name: reader}\nrules: []\n"
NS_TEAM_A = "apiVersion: v1\nkind: Namespace\nmetadata: {name: team-a}\n"
NS_TEAM_Z = "apiVersion: v1\nkind: Namespace\nmetadata: {name: team-z}\n"
PRIVILEGED = ("apiVersion: v1\nkind: Pod\nmetadata: {name: debug, namespace: team-a}\nspec:\n  hostNetwork: true\n"
              "  containers: [{name: sh, image: busybox}]\n")
TWO_NAMESPACES = DEPLOY_TEAM_A + "---\n" + DEPLOY_TEAM_A.replace("team-a", "kube-system")

# (context, tool, args, expected action, expected rule)
TABLE: list[tuple[str, str, dict[str, Any], str, str]] = [
    # reads: allowed, in every namespace, unless the session is scoped
    ("plain", "k8s_get", {"kind": "pods", "namespace": "team-a"}, "allow", "fallback-read"),
    ("plain", "k8s_get", {"kind": "pods", "all_namespaces": True}, "allow", "fallback-read"),
    ("plain", "k8s_logs", {"pod": "coredns-1", "namespace": "kube-system", "previous": True}, "allow", "fallback-read"),
    ("plain", "k8s_describe", {"kind": "secret", "name": "db", "namespace": "team-a"}, "allow", "fallback-read"),
    ("plain", "k8s_get", {"kind": "secrets", "namespace": "team-a"}, "allow", "fallback-read"),
    ("plain", "k8s_events", {"namespace": "kube-system", "warnings_only": True}, "allow", "fallback-read"),
    ("plain", "k8s_rollout_status", {"name": "web", "namespace": "team-a"}, "allow", "fallback-read"),
    ("plain", "k8s_top", {"kind": "nodes"}, "allow", "fallback-read"),
    ("scoped", "k8s_get", {"kind": "pods"}, "allow", "fallback-read"),
    ("scoped", "k8s_get", {"kind": "pods", "namespace": "team-b"}, "allow", "fallback-read"),
    ("scoped", "k8s_get", {"kind": "nodes"}, "allow", "fallback-read"),
    ("scoped", "k8s_namespaces", {}, "allow", "fallback-read"),
    ("scoped", "k8s_contexts", {}, "allow", "fallback-read"),
    ("scoped", "k8s_get", {"kind": "pods", "namespace": "team-c"}, "deny", "kubernetes-namespace-out-of-scope"),
    ("scoped", "k8s_get", {"kind": "pods", "all_namespaces": True}, "deny", "kubernetes-namespace-out-of-scope"),
    ("scoped", "k8s_logs", {"pod": "x", "namespace": "kube-system"}, "deny", "kubernetes-namespace-out-of-scope"),
    ("scoped", "k8s_events", {"all_namespaces": True}, "deny", "kubernetes-namespace-out-of-scope"),
    ("scoped", "k8s_top", {"all_namespaces": True}, "deny", "kubernetes-namespace-out-of-scope"),
    ("scoped", "k8s_get", {"kind": "namespace", "name": "team-z"}, "deny", "kubernetes-namespace-out-of-scope"),
    # secret values ask; out of scope still denies
    ("plain", "k8s_get", {"kind": "secret", "name": "db", "namespace": "team-a", "reveal_values": True}, "ask",
     "kubernetes-secret-values"),
    ("prod", "k8s_describe", {"kind": "Secret", "name": "db", "reveal_values": True}, "ask", "kubernetes-secret-values"),
    ("scoped", "k8s_get", {"kind": "secret", "name": "db", "namespace": "team-c", "reveal_values": True}, "deny",
     "kubernetes-namespace-out-of-scope"),
    # writes ask
    ("plain", "k8s_scale", {"name": "web", "replicas": 3, "namespace": "team-a"}, "ask", "fallback-write"),
    ("plain", "k8s_apply", {"manifest": DEPLOY_TEAM_A}, "ask", "fallback-write"),
    ("plain", "k8s_patch", {"kind": "deploy", "name": "web", "namespace": "team-a", "patch": {"spec": {}}}, "ask",
     "fallback-write"),
    ("plain", "k8s_rollout_undo", {"name": "web", "namespace": "team-a"}, "ask", "fallback-write"),
    ("scoped", "k8s_apply", {"manifest": DEPLOY_NO_NS}, "ask", "fallback-write"),
    ("scoped", "k8s_apply", {"manifest": NS_TEAM_A}, "ask", "fallback-write"),
    ("scoped", "k8s_apply", {"manifest": DEPLOY_TEAM_C}, "deny", "kubernetes-namespace-out-of-scope"),
    ("scoped", "k8s_apply", {"manifest": DEPLOY_NO_NS, "namespace": "team-c"}, "deny",
     "kubernetes-namespace-out-of-scope"),
    ("scoped", "k8s_apply", {"manifest": NS_TEAM_Z}, "deny", "kubernetes-namespace-out-of-scope"),
    ("scoped", "k8s_apply", {"manifest": CLUSTER_ROLE}, "deny", "kubernetes-cluster-scoped-out-of-scope"),
    ("scoped", "k8s_scale", {"name": "web", "replicas": 1, "namespace": "team-c"}, "deny",
     "kubernetes-namespace-out-of-scope"),
    ("plain", "k8s_apply", {"manifest": CLUSTER_ROLE}, "deny", "kubernetes-cluster-scoped-kinds"),
    ("plain", "k8s_apply", {"manifest": CLUSTER_ROLE.replace("ClusterRole", "Role").replace("reader}", "reader, namespace: team-a}")},
     "ask", "kubernetes-rbac-write"),
    ("plain", "k8s_apply", {"manifest": PRIVILEGED}, "deny", "kubernetes-privileged-workload"),
    ("plain", "k8s_apply", {"manifest": "kind: [broken"}, "ask", "kubernetes-unparsed-manifest"),
    # protected namespaces are critical targets: writes, emptying and deleting them are denied (issue 11)
    ("plain", "k8s_patch", {"kind": "deploy", "name": "coredns", "namespace": "kube-system", "patch": {}}, "deny",
     "kubernetes-protected-namespace-write"),
    ("plain", "k8s_rollout_restart", {"name": "coredns", "namespace": "kube-system"}, "deny",
     "kubernetes-protected-namespace-write"),
    ("plain", "k8s_apply", {"manifest": TWO_NAMESPACES}, "deny", "kubernetes-protected-namespace-write"),
    ("plain", "k8s_delete", {"kind": "pod", "name": "coredns-1", "namespace": "kube-system"}, "deny",
     "kubernetes-protected-namespace-write"),
    ("plain", "k8s_delete", {"kind": "namespace", "name": "kube-system"}, "deny",
     "kubernetes-delete-protected-namespace"),
    ("plain", "k8s_delete", {"kind": "ns", "name": "kube-public"}, "deny", "kubernetes-delete-protected-namespace"),
    ("plain", "k8s_delete", {"kind": "pods", "all": True, "namespace": "kube-system"}, "deny",
     "kubernetes-empty-protected-namespace"),
    ("plain", "k8s_delete", {"kind": "configmaps", "label_selector": "app=dns", "namespace": "kube-system"}, "deny",
     "kubernetes-empty-protected-namespace"),
    ("plain", "k8s_delete", {"kind": "namespaces", "label_selector": "env=test"}, "deny",
     "kubernetes-bulk-namespace-delete"),
    # other deletes ask, with the reason that fits
    ("plain", "k8s_delete", {"kind": "deployment", "name": "web", "namespace": "team-a"}, "ask", "destructive-asks"),
    ("plain", "k8s_delete", {"kind": "namespace", "name": "team-a"}, "ask", "kubernetes-delete-namespace"),
    ("plain", "k8s_delete", {"kind": "pods", "all": True, "namespace": "team-a"}, "deny", "kubernetes-empties-namespace"),
    ("plain", "k8s_delete", {"kind": "pods", "label_selector": "app=web", "namespace": "team-a"}, "ask",
     "destructive-asks"),
    ("scoped", "k8s_delete", {"kind": "deployment", "name": "web", "namespace": "team-c"}, "deny",
     "kubernetes-namespace-out-of-scope"),
    ("scoped", "k8s_delete", {"kind": "namespace", "name": "team-z"}, "deny", "kubernetes-namespace-out-of-scope"),
    ("scoped", "k8s_delete", {"kind": "clusterrolebinding", "name": "admin"}, "deny",
     "kubernetes-cluster-scoped-out-of-scope"),
    # production context: reads stay allowed, direct writes are denied (production.yaml: the way in is a pull
    # request); the gate's own allow -> ask for production is in its own test below
    ("prod", "k8s_get", {"kind": "pods", "namespace": "team-a"}, "allow", "fallback-read"),
    ("prod", "k8s_logs", {"pod": "web-1", "namespace": "team-a"}, "allow", "fallback-read"),
    ("prod", "k8s_scale", {"name": "web", "replicas": 3, "namespace": "team-a"}, "deny", "production-direct-writes"),
    ("prod", "k8s_apply", {"manifest": DEPLOY_TEAM_A}, "deny", "production-direct-writes"),
    ("prod", "helm_upgrade", {"release": "web", "chart": "charts/web", "namespace": "team-a"}, "deny",
     "production-direct-writes"),
    ("prod", "helm_status", {"release": "web", "namespace": "team-a"}, "allow", "helm-reads"),
    ("prod", "k8s_delete", {"kind": "namespace", "name": "kube-system"}, "deny",
     "kubernetes-delete-protected-namespace"),
    # read-only mode: only reads
    ("read-only", "k8s_get", {"kind": "pods"}, "allow", "fallback-read"),
    ("read-only", "k8s_scale", {"name": "web", "replicas": 3}, "deny", "read-only"),
    ("read-only", "helm_install", {"release": "web", "chart": "charts/web"}, "deny", "read-only"),
    # helm
    ("plain", "helm_lint", {"chart": "charts/web"}, "allow", "helm-reads"),
    ("plain", "helm_template", {"chart": "charts/web", "namespace": "kube-system"}, "allow", "helm-reads"),
    ("plain", "helm_status", {"release": "dns", "namespace": "kube-system"}, "allow", "helm-reads"),
    ("plain", "helm_list", {"all_namespaces": True}, "allow", "helm-reads"),
    ("plain", "helm_create", {"name": "web"}, "ask", "fallback-write"),
    ("plain", "helm_install", {"release": "web", "chart": "charts/web", "namespace": "team-a"}, "ask",
     "fallback-write"),
    ("plain", "helm_upgrade", {"release": "web", "chart": "charts/web", "namespace": "team-a",
                               "set": {"image.tag": "v2"}}, "ask", "fallback-write"),
    ("plain", "helm_uninstall", {"release": "web", "namespace": "team-a"}, "ask", "helm-uninstall"),
    ("plain", "helm_install", {"release": "cni", "chart": "charts/cni", "namespace": "kube-system"}, "deny",
     "helm-protected-namespace"),
    ("plain", "helm_rollback", {"release": "dns", "namespace": "kube-system"}, "deny", "helm-protected-namespace"),
    ("plain", "helm_uninstall", {"release": "dns", "namespace": "kube-public"}, "deny", "helm-protected-namespace"),
    ("scoped", "helm_install", {"release": "web", "chart": "charts/web"}, "ask", "fallback-write"),
    ("scoped", "helm_install", {"release": "web", "chart": "charts/web", "namespace": "team-c"}, "deny",
     "helm-namespace-out-of-scope"),
    ("scoped", "helm_list", {"all_namespaces": True}, "deny", "helm-namespace-out-of-scope"),
    ("scoped", "helm_template", {"chart": "charts/web", "namespace": "team-c"}, "allow", "helm-reads"),
]


@pytest.fixture(scope="module")
def policy() -> Policy:
    return load_checked_policy()


@pytest.fixture(scope="module")
def catalogue() -> Catalogue:
    return Catalogue.load()


def gate_call(catalogue: Catalogue, tool: str, args: dict[str, Any]) -> GateCall:
    entry = catalogue.get(tool)
    assert entry is not None, tool
    assert catalogue.validate(entry, args) is None, (tool, args, catalogue.validate(entry, args))
    return GateCall(tool=tool, args=args, effect=entry.effect, manager=entry.manager)


@pytest.mark.parametrize(("context", "tool", "args", "action", "rule"), TABLE,
                         ids=[f"{c}-{t}-{i}" for i, (c, t, *_rest) in enumerate(TABLE)])
def test_decision_table(policy: Policy, catalogue: Catalogue, context: str, tool: str, args: dict[str, Any],
                        action: str, rule: str) -> None:
    decision = decide(gate_call(catalogue, tool, args), policy, CONTEXTS[context])
    assert (decision.action, decision.rule) == (action, rule), decision.reason


def test_production_context_turns_allowed_writes_into_ask(tmp_path: Path, catalogue: Catalogue) -> None:
    """gate.decide(): in a production context every allowed write becomes ask. The shipped production.yaml
    denies direct writes there; a user who prefers ask disables it and allows what they trust."""
    user = tmp_path / "allow-dev.yaml"
    user.write_text("""\
disable: [production-direct-writes]
rules:
  - id: user-allow-dev-rollouts
    decision: allow
    reason: scaling and restarting in dev is routine
    match:
      tool: [k8s_scale, k8s_rollout_restart]
      args: {namespace: dev}
    examples:
      match: [{tool: k8s_scale, args: {name: web, replicas: 2, namespace: dev}}]
      not_match: [{tool: k8s_scale, args: {name: web, replicas: 2, namespace: prod}}]
""")
    call = gate_call(catalogue, "k8s_scale", {"name": "web", "replicas": 2, "namespace": "dev"})
    shipped = decide(call, load_checked_policy(), gate_context(Settings(kube_context="prod-eu-1")))
    assert (shipped.action, shipped.rule) == ("deny", "production-direct-writes")
    policy = load_checked_policy([user])
    assert decide(call, policy, PLAIN).action == "allow"
    for name in ("prod-eu-1", "production", "gke_acme_live", "eks.prod.acme"):
        ctx = gate_context(Settings(kube_context=name))
        assert ctx.production, name
        decision = decide(call, policy, ctx)
        assert (decision.action, decision.rule) == ("ask", "production-context"), name
        assert name in decision.reason
    for name in ("staging", "dev-1", "reign-test", "productive"):
        assert not gate_context(Settings(kube_context=name)).production, name
    read = gate_call(catalogue, "k8s_get", {"kind": "pods", "namespace": "dev"})
    assert decide(read, policy, gate_context(Settings(kube_context="prod-eu-1"))).action == "allow"
    denied = gate_call(catalogue, "k8s_delete", {"kind": "namespace", "name": "kube-system"})
    assert decide(denied, policy, gate_context(Settings(kube_context="prod-eu-1"))).action == "deny"


def test_classifier_facts_are_pure_and_consistent() -> None:
    assert facts("k8s_get", {"kind": "secrets", "namespace": "a"}, PLAIN) == {"secret_read"}
    assert facts("k8s_get", {"kind": "Secret.v1", "name": "x", "reveal_values": True}, PLAIN) == {
        "secret_read", "secret_values"}
    assert facts("k8s_get", {"kind": "secrets.example.com", "name": "x"}, PLAIN) == set()  # a CRD, not a Secret
    assert facts("k8s_delete", {"kind": "ns", "name": "kube-system"}, PLAIN) == {
        "deletes_namespace", "protected_namespace"}
    assert facts("k8s_delete", {"kind": "pods", "all": True}, SCOPED) == {"bulk_delete", "empties_namespace"}
    assert facts("k8s_delete", {"kind": "pods", "all": True, "namespace": "kube-system"}, SCOPED) == {
        "bulk_delete", "empties_namespace", "namespace_out_of_scope", "protected_namespace"}
    assert facts("k8s_apply", {"manifest": TWO_NAMESPACES}, SCOPED) == {
        "namespace_out_of_scope", "protected_namespace"}
    assert facts("k8s_apply", {"manifest": "apiVersion: v1\nkind: List\nitems:\n- " + NS_TEAM_Z.replace(
        "\n", "\n  ")}, SCOPED) == {"namespace_out_of_scope"}
    assert facts("k8s_patch", {"kind": "deploy", "name": "w", "patch": {"spec": {"template": {"spec": {
        "containers": [{"name": "w", "securityContext": {"capabilities": {"add": ["CAP_SYS_ADMIN"]}}}]}}}}},
        PLAIN) == {"privileged_workload"}
    assert facts("helm_upgrade", {"release": "r", "chart": "c", "namespace": "kube-system"}, SCOPED) == {
        "namespace_out_of_scope", "protected_namespace"}
    assert facts("helm_template", {"chart": "c", "namespace": "kube-system"}, SCOPED) == set()
    assert facts("docker_run", {"namespace": "kube-system"}, SCOPED) == set()


def test_every_kubernetes_and_helm_rule_has_examples(policy: Policy) -> None:
    ours = [r for r in policy.rules if r.id.startswith(("kubernetes-", "helm-"))]
    assert len(ours) >= 12
    for rule in ours:
        assert rule.examples_not_match, rule.id
        assert rule.examples_match, rule.id
