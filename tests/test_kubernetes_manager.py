"""Kubernetes manager against the REAL local API server (marker `kubernetes`), plus what needs no cluster:
the catalogue, availability without a kubeconfig, the pure summary/diff helpers, and pod logs replayed from a
synthesized cassette of the REST API (hollow kubemark pods serve no logs).

Everything created lives in a fresh namespace `reign-t-<hex>` labelled reign-test=1, deleted after each test.
"""

from __future__ import annotations

import contextlib
import importlib
import inspect
import json
import os
import socket
import time
from pathlib import Path
from typing import Any

import pytest
import yaml

from reign.catalogue import Catalogue
from reign.config import Settings
from reign.errors import ToolError
from reign.managers.kubernetes import changes as k8s_changes
from reign.managers.kubernetes import client as k8s_client
from reign.managers.kubernetes import discovery as k8s_discovery
from reign.managers.kubernetes import reads as k8s_reads
from reign.managers.kubernetes import summary as ks
from reign.managers.kubernetes import writes as k8s_writes
from reign.policy.classifiers.kubernetes import VERB_EFFECTS
from reign.toolcontext import ToolContext

try:  # until tests/conftest.py imports them; harmless afterwards
    from conftest_k8s import (
        KUBECONFIG_PATH,
        api_get,
        is_local_test_cluster,
        k8s_cluster,
        k8s_namespace,
    )
except ImportError:  # tests/ is a package
    from tests.conftest_k8s import (  # noqa: F401
        KUBECONFIG_PATH,
        api_get,
        is_local_test_cluster,
        k8s_cluster,
        k8s_namespace,
    )

ROOT = Path(__file__).resolve().parent.parent
CATALOGUE = ROOT / "tools" / "kubernetes.yaml"
CASSETTE = ROOT / "cassettes" / "k8s" / "pod_logs.yaml"
LIVE_KUBECONFIG = os.environ.get("KUBECONFIG")  # read at import, before the session fixture points it elsewhere


def deployment(name: str, ns: str, replicas: int = 1, image: str = "nginx:1.25") -> str:
    return f"""\
apiVersion: apps/v1
kind: Deployment
metadata:
  name: {name}
  namespace: {ns}
  labels: {{app: {name}, reign-test: "1"}}
spec:
  replicas: {replicas}
  selector: {{matchLabels: {{app: {name}}}}}
  template:
    metadata: {{labels: {{app: {name}}}}}
    spec:
      containers:
      - name: web
        image: {image}
"""


@pytest.fixture
def ctx(tmp_path: Path) -> ToolContext:
    return ToolContext(settings=Settings(workspace_root=tmp_path, tool_timeout=30), cwd=tmp_path)


def scoped(tmp_path: Path, **extra: Any) -> ToolContext:
    return ToolContext(settings=Settings(workspace_root=tmp_path, tool_timeout=30, **extra), cwd=tmp_path)


def approved(ctx: ToolContext, preview: str) -> ToolContext:
    return ToolContext(settings=ctx.settings, cwd=ctx.cwd, approved_digest="x", approved_preview=preview)


def wait_for(check: Any, timeout: float = 40.0, every: float = 0.5) -> Any:
    deadline = time.monotonic() + timeout
    while True:
        value = check()
        if value or time.monotonic() > deadline:
            return value
        time.sleep(every)


def running_pods(ctx: ToolContext, ns: str, app: str) -> int:
    listing = k8s_reads.get(kind="pods", namespace=ns, label_selector=f"app={app}", ctx=ctx)
    return int(listing.get("by_status", {}).get("Running", 0)) if listing["total"] else 0


# ------------------------------------------------------------------------------------------ no cluster needed


def _catalogue() -> dict[str, Any]:
    data: dict[str, Any] = yaml.safe_load(CATALOGUE.read_text())
    return data


def test_catalogue_effects_are_fixed_by_the_verb() -> None:
    """What is Kubernetes' own (the schema/signature match of every tool is in test_tools_core)."""
    data = _catalogue()
    assert data["manager"] == "kubernetes"
    assert data["available"] == "reign.managers.kubernetes.client:available"
    for tool in data["tools"]:
        where = tool["name"]
        assert where.startswith("k8s_") and len(tool["description"]) <= 220, where
        assert tool["effect"] == VERB_EFFECTS[where[4:]], f"{where}: effects are fixed by the verb"
        module, _, func = tool["impl"].partition(":")
        assert "ctx" in inspect.signature(getattr(importlib.import_module(module), func)).parameters, where
    previews = {t["name"] for t in data["tools"] if "preview" in t}
    assert previews == {"k8s_apply", "k8s_patch", "k8s_scale", "k8s_delete", "k8s_rollout_undo"}


def test_every_tool_unavailable_without_kubeconfig(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    missing = tmp_path / "nope" / "config"
    monkeypatch.setenv("KUBECONFIG", str(missing))
    cat = Catalogue.load()
    kube = [t for t in cat.tools.values() if t.manager == "kubernetes"]
    assert len(kube) == len(_catalogue()["tools"])
    want = f"no kubeconfig found (KUBECONFIG={missing}: no such file)"
    assert {cat.unavailable_reason(t) for t in kube} == {want}
    assert not {t.name for t in cat.offered()} & {t.name for t in kube}
    helm_cluster = [t for t in cat.tools.values() if t.manager == "helm" and t.available and "cluster" in t.available]
    assert helm_cluster and {cat.unavailable_reason(t) for t in helm_cluster} == {want}
    with pytest.raises(ToolError, match="no kubeconfig found"):
        k8s_reads.get(kind="pods", ctx=ToolContext(settings=Settings(workspace_root=tmp_path)))

    monkeypatch.delenv("KUBECONFIG")  # HOME is an empty per-test folder: no ~/.kube/config either
    assert k8s_client.available(Settings()) == "no kubeconfig found (KUBECONFIG unset and ~/.kube/config missing)"


def test_unreachable_cluster_reason(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    kc = tmp_path / "kubeconfig"
    kc.write_text(yaml.safe_dump({
        "apiVersion": "v1", "kind": "Config", "current-context": "gone",
        "clusters": [{"name": "gone", "cluster": {"server": f"https://127.0.0.1:{port}",
                                                  "insecure-skip-tls-verify": True}}],
        "users": [{"name": "u", "user": {"token": "t"}}],
        "contexts": [{"name": "gone", "context": {"cluster": "gone", "user": "u"}}]}))
    monkeypatch.setenv("KUBECONFIG", str(kc))
    t0 = time.monotonic()
    assert k8s_client.available(Settings()) == f"cluster unreachable at https://127.0.0.1:{port}: connection refused"
    assert time.monotonic() - t0 < 5
    assert k8s_client.available(Settings(kube_context="other")) == \
        "kube context 'other' is not in the kubeconfig (contexts: gone)"
    # the catalogue probes with the settings it was loaded with (a resumed session's scope), not the environment's
    cat = Catalogue.load(settings=Settings(kube_context="other"))
    assert cat.unavailable_reason(cat.tools["k8s_get"]) == "kube context 'other' is not in the kubeconfig (contexts: gone)"


def test_summaries_are_compact_and_counted() -> None:
    cols = [{"name": n, "priority": p} for n, p in
            (("Name", 0), ("Ready", 0), ("Status", 0), ("Restarts", 0), ("Age", 0), ("IP", 1), ("Node", 1))]
    statuses = ["Running"] * 900 + ["CrashLoopBackOff"] * 60 + ["Pending"] * 40
    rows = [{"cells": [f"web-{i}", "1/1", s, 0, "5m", "10.0.0.1", "node-1"],
             "object": {"metadata": {"name": f"web-{i}", "namespace": "shop"}}} for i, s in enumerate(statuses)]
    pages = [{"kind": "Table", "columnDefinitions": cols, "rows": rows[:500]},
             {"kind": "Table", "columnDefinitions": cols, "rows": rows[500:]}]
    out = ks.summarise_table(pages, limit=10, kind="Pod", namespace="shop")
    assert out["total"] == 1000 and out["not_shown"] == 990 and len(out["rows"]) == 10
    assert out["by_status"] == {"Running": 900, "CrashLoopBackOff": 60, "Pending": 40}
    assert out["columns"] == ["NAME", "READY", "STATUS", "RESTARTS", "AGE"]  # wide columns left out
    assert len(json.dumps(out)) < 1200
    wide = ks.summarise_table(pages, limit=2, kind="Pod", namespace=None, with_namespace=True)
    assert wide["columns"][0] == "NAMESPACE" and wide["rows"][0][:2] == ["shop", "web-0"]
    deploys = [{"kind": "Table", "columnDefinitions": [{"name": "Name"}, {"name": "Ready"}],
                "rows": [{"cells": ["a", "2/2"]}, {"cells": ["b", "0/1"]}]}]
    assert ks.summarise_table(deploys, limit=5, kind="Deployment", namespace="x")["by_status"] == {
        "not ready": 1, "ready": 1}


def test_trim_redact_and_strip_server_bookkeeping() -> None:
    secret = {"apiVersion": "v1", "kind": "Secret",
              "metadata": {"name": "db", "namespace": "shop", "uid": "u1", "resourceVersion": "9",
                           "managedFields": [{"manager": "kubectl"}],
                           "annotations": {ks.LAST_APPLIED: '{"data":{"password":"aHVudGVyMg=="}}'}},
              "data": {"password": "aHVudGVyMg==", "user": "YWRtaW4="}, "stringData": {"token": "abc"}}
    trimmed = ks.trim(secret)
    text = json.dumps(trimmed)
    assert "aHVudGVyMg" not in text and "managedFields" not in text and "last-applied" not in text
    assert trimmed["data"] == {"password": "<redacted: 7 bytes>", "user": "<redacted: 5 bytes>"}
    assert trimmed["stringData"] == {"token": "<redacted: 3 bytes>"}
    assert ks.trim(secret, reveal_secret=True)["data"]["password"] == "aHVudGVyMg=="
    norm = ks.without_bookkeeping(secret)
    assert norm is not None and "uid" not in norm["metadata"] and "resourceVersion" not in norm["metadata"]
    assert norm["data"]["password"].startswith("<redacted: 7 bytes, sha256:")
    changed = ks.without_bookkeeping({**secret, "data": {**secret["data"], "password": "b3RoZXI="}})
    diff = ks.object_diff(norm, changed, "Secret/shop/db")
    assert "-  password: '<redacted: 7 bytes, sha256:" in diff and "aHVudGVy" not in diff and "b3RoZXI" not in diff
    assert ks.object_diff(norm, ks.without_bookkeeping(secret), "x") == ""
    svc = {"apiVersion": "v1", "kind": "Service", "metadata": {"name": "s"},
           "spec": {"clusterIP": "10.0.0.7", "ports": [{"port": 80, "nodePort": 31000}]}, "status": {}}
    created = ks.without_bookkeeping(svc, creating=True)
    assert created is not None and created["spec"] == {"ports": [{"port": 80}]} and "status" not in created


def test_logs_replayed_from_synthesized_cassette(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Pod logs through the real client and urllib3, replayed from the documented wire format."""
    import vcr

    assert CASSETTE.read_text().startswith("# reign cassette: synthesized")
    kc = tmp_path / "kubeconfig"
    kc.write_text(yaml.safe_dump({
        "apiVersion": "v1", "kind": "Config", "current-context": "cassette",
        "clusters": [{"name": "cassette", "cluster": {"server": "https://k8s.cassette.test:6443",
                                                      "insecure-skip-tls-verify": True}}],
        "users": [{"name": "cassette", "user": {"token": "cassette-token"}}],
        "contexts": [{"name": "cassette", "context": {"cluster": "cassette", "user": "cassette",
                                                      "namespace": "shop"}}]}))
    monkeypatch.setenv("KUBECONFIG", str(kc))
    ctx = ToolContext(settings=Settings(workspace_root=tmp_path, tool_timeout=10))
    pod = "checkout-7d4b9c6f8-x2x9q"
    recorder = vcr.VCR(record_mode="none", match_on=["method", "path", "query"])
    with recorder.use_cassette(str(CASSETTE), allow_playback_repeats=False) as cass:
        crash = k8s_reads.logs(pod=pod, container="checkout", tail=50, previous=True, ctx=ctx)
        assert crash.startswith(f"# logs of pod shop/{pod} (container checkout, previous instance): 10 lines")
        assert "panic: missing configuration: PAYMENT_API_URL" in crash
        with pytest.raises(ToolError) as err:
            k8s_reads.logs(pod=pod, ctx=ctx)
        assert str(err.value) == (f"logs of pod shop/{pod} unavailable: bad request (400): a container name must be "
                                  f"specified for pod {pod}, choose one of: [checkout envoy]")
        recent = k8s_reads.logs(pod=pod, container="envoy", since_seconds=300, ctx=ctx)
        assert recent.count("healthz ok") == 3
        with pytest.raises(ToolError, match=r'not found \(404\): pods "gone-pod" not found'):
            k8s_reads.logs(pod="gone-pod", ctx=ctx)
    assert cass.all_played


@pytest.mark.kubernetes_live
def test_live_cluster_read_only(monkeypatch: pytest.MonkeyPatch) -> None:
    """Against whatever cluster KUBECONFIG names on a user's machine: reads only, nothing created."""
    if os.environ.get("REIGN_K8S_LIVE") != "1" or not LIVE_KUBECONFIG or is_local_test_cluster(LIVE_KUBECONFIG):
        pytest.skip("live cluster suite: set REIGN_K8S_LIVE=1 and KUBECONFIG to a real (newer) cluster; "
                    "this machine only has the local test control plane")
    monkeypatch.setenv("KUBECONFIG", LIVE_KUBECONFIG)
    ctx = ToolContext(settings=Settings(tool_timeout=30))
    assert k8s_client.available(Settings()) is None
    assert k8s_reads.contexts(ctx=ctx)["pinned"]
    assert k8s_reads.namespaces(ctx=ctx)["total"] >= 1
    listing = k8s_reads.get(kind="pods", all_namespaces=True, limit=5, ctx=ctx)
    assert listing["kind"] == "Pod" and len(listing["rows"]) <= 5
    assert any(r[0] == "deployments" for r in k8s_discovery.api_resources(ctx=ctx)["rows"])


# ------------------------------------------------------------------------------------------ the real API server


@pytest.mark.kubernetes
def test_list_get_describe_events(k8s_namespace: str, ctx: ToolContext) -> None:
    ns = k8s_namespace
    out = k8s_writes.apply(manifest=deployment("web", ns, replicas=2), ctx=ctx)
    assert out["results"] == [{"object": f"Deployment {ns}/web", "result": "created"}]
    assert wait_for(lambda: running_pods(ctx, ns, "web") == 2)

    pods = k8s_reads.get(kind="po", namespace=ns, ctx=ctx)
    assert pods["kind"] == "Pod" and pods["total"] == 2 and pods["by_status"] == {"Running": 2}
    assert pods["columns"][:3] == ["NAME", "READY", "STATUS"]
    deploys = k8s_reads.get(kind="deployments.apps", all_namespaces=True, label_selector="reign-test=1", ctx=ctx)
    assert [ns, "web", "2/2"] in [r[:3] for r in deploys["rows"]]
    running = k8s_reads.get(kind="pods", namespace=ns, field_selector="status.phase=Running", ctx=ctx)
    assert running["total"] == 2

    one = k8s_reads.get(kind="Deployment", name="web", namespace=ns, ctx=ctx)
    assert one["spec"]["replicas"] == 2 and "managedFields" not in one["metadata"]
    assert k8s_reads.get(kind="nodes", ctx=ctx)["by_status"] == {"Ready": 1}  # cluster-scoped

    described = k8s_reads.describe(kind="deploy", name="web", namespace=ns, ctx=ctx)
    assert described["object"]["metadata"]["name"] == "web"
    assert any(e["reason"] == "ScalingReplicaSet" for e in described["events"]["events"])
    assert described["replicasets"][0]["revision"] == 1
    pod_name = pods["rows"][0][0]
    pod = k8s_reads.describe(kind="pod", name=pod_name, namespace=ns, ctx=ctx)
    assert any(e["reason"] == "Scheduled" for e in pod["events"]["events"])

    events = k8s_reads.events(namespace=ns, ctx=ctx)
    assert events["total"] >= 3 and events["by_type"].get("Normal", 0) >= 3
    only = k8s_reads.events(namespace=ns, kind="pod", name=pod_name, ctx=ctx)
    assert only["total"] >= 1 and {e["object"] for e in only["events"]} == {f"Pod/{pod_name}"}
    assert k8s_reads.events(namespace=ns, warnings_only=True, ctx=ctx)["total"] == 0

    with pytest.raises(ToolError, match=r'not found \(404\): deployments.apps "nope" not found'):
        k8s_reads.get(kind="deploy", name="nope", namespace=ns, ctx=ctx)
    with pytest.raises(ToolError, match="unknown kind 'gizmos'"):
        k8s_reads.get(kind="gizmos", namespace=ns, ctx=ctx)


@pytest.mark.kubernetes
def test_apply_diff_scale_rollout_patch_delete(k8s_namespace: str, ctx: ToolContext) -> None:
    ns = k8s_namespace
    manifest = deployment("shop", ns, replicas=1, image="nginx:1.25")
    preview = k8s_writes.preview_apply(manifest=manifest, ctx=ctx)
    assert preview.startswith("# k8s_apply on context reign-test: diff of live objects against the server-side dry-run")
    assert f"## Deployment {ns}/shop: create" in preview and "+  replicas: 1" in preview
    assert "uid" not in preview and "resourceVersion" not in preview and "managedFields" not in preview
    assert api_get(f"/apis/apps/v1/namespaces/{ns}/deployments")["items"] == []  # the dry-run created nothing
    assert k8s_writes.preview_apply(manifest=manifest, ctx=ctx) == preview  # deterministic
    out = k8s_writes.apply(manifest=manifest, ctx=approved(ctx, preview))
    assert out["results"] == [{"object": f"Deployment {ns}/shop", "result": "created"}]
    assert f"## Deployment {ns}/shop: unchanged" in k8s_writes.preview_apply(manifest=manifest, ctx=ctx)
    live = api_get(f"/apis/apps/v1/namespaces/{ns}/deployments/shop")
    assert any(m["manager"] == "reign" and m["operation"] == "Apply" for m in live["metadata"]["managedFields"])

    # scale 1 -> 3: the approval shows exactly the replica change, the pods reach Running
    scale_preview = k8s_writes.preview_scale(name="shop", replicas=3, namespace=ns, ctx=ctx)
    assert "-  replicas: 1\n+  replicas: 3" in scale_preview
    assert k8s_writes.scale(name="shop", replicas=3, namespace=ns, ctx=approved(ctx, scale_preview))["replicas"] == {
        "from": 1, "to": 3}
    assert wait_for(lambda: running_pods(ctx, ns, "shop") == 3)
    status = k8s_reads.rollout_status(name="shop", namespace=ns, wait_seconds=20, ctx=ctx)
    assert status["done"] and status["status"] == "deployment 'shop' successfully rolled out"

    # a new image through a strategic patch -> revision 2; undo goes back to revision 1's image
    patch = {"spec": {"template": {"spec": {"containers": [{"name": "web", "image": "nginx:1.27"}]}}}}
    patch_preview = k8s_writes.preview_patch(kind="deployment", name="shop", patch=patch, namespace=ns, ctx=ctx)
    assert "-      - image: nginx:1.25\n+      - image: nginx:1.27" in patch_preview
    assert k8s_writes.patch(kind="deployment", name="shop", patch=patch, namespace=ns,
                     ctx=approved(ctx, patch_preview))["results"][0]["result"] == "configured"
    status = k8s_reads.rollout_status(name="shop", namespace=ns, wait_seconds=25, ctx=ctx)
    assert status["done"] and status["revision"] == 2
    assert [h["images"] for h in status["history"]] == [["nginx:1.27"], ["nginx:1.25"]]

    undo_preview = k8s_writes.preview_rollout_undo(name="shop", namespace=ns, ctx=ctx)
    assert undo_preview.startswith("# roll back to revision 1")
    assert "-      - image: nginx:1.27\n+      - image: nginx:1.25" in undo_preview
    assert k8s_writes.rollout_undo(name="shop", namespace=ns, ctx=approved(ctx, undo_preview))["rolled_back_to"] == 1
    status = k8s_reads.rollout_status(name="shop", namespace=ns, wait_seconds=25, ctx=ctx)
    assert status["done"] and status["revision"] == 3 and status["history"][0]["images"] == ["nginx:1.25"]
    with pytest.raises(ToolError, match="has no revision 9"):
        k8s_writes.rollout_undo(name="shop", namespace=ns, to_revision=9, ctx=ctx)

    restarted = k8s_writes.rollout_restart(name="shop", namespace=ns, ctx=ctx)
    assert restarted["restarted"] == f"Deployment {ns}/shop"
    live = api_get(f"/apis/apps/v1/namespaces/{ns}/deployments/shop")
    assert live["spec"]["template"]["metadata"]["annotations"][k8s_changes.RESTARTED_AT] == restarted["at"]
    assert k8s_reads.rollout_status(name="shop", namespace=ns, wait_seconds=25, ctx=ctx)["done"]

    merge = k8s_writes.patch(kind="deploy", name="shop", patch={"metadata": {"labels": {"tier": "front"}}},
                      patch_type="merge", namespace=ns, ctx=ctx)
    assert merge["results"][0]["result"] == "configured"
    json_patch = [{"op": "replace", "path": "/spec/replicas", "value": 2}]
    assert k8s_writes.patch(kind="deploy", name="shop", patch=json_patch, patch_type="json", namespace=ns,
                     ctx=ctx)["results"][0]["result"] == "configured"
    assert api_get(f"/apis/apps/v1/namespaces/{ns}/deployments/shop")["spec"]["replicas"] == 2
    with pytest.raises(ToolError, match="a json patch is a list of operations"):
        k8s_writes.patch(kind="deploy", name="shop", patch={"spec": {}}, patch_type="json", namespace=ns, ctx=ctx)

    delete_preview = k8s_writes.preview_delete(kind="deployment", name="shop", namespace=ns, ctx=ctx)
    assert f"## Deployment {ns}/shop: delete" in delete_preview and "+++ /dev/null" in delete_preview
    assert api_get(f"/apis/apps/v1/namespaces/{ns}/deployments/shop")["metadata"]["name"] == "shop"  # still there
    assert k8s_writes.delete(kind="deployment", name="shop", namespace=ns,
                      ctx=approved(ctx, delete_preview))["results"] == [
        {"object": f"Deployment {ns}/shop", "result": "deleted"}]
    with pytest.raises(ToolError, match="not found"):
        k8s_reads.get(kind="deployment", name="shop", namespace=ns, ctx=ctx)


@pytest.mark.kubernetes
def test_approval_bound_to_the_diff(k8s_namespace: str, ctx: ToolContext) -> None:
    ns = k8s_namespace
    k8s_writes.apply(manifest=deployment("bound", ns, replicas=1), ctx=ctx)
    preview = k8s_writes.preview_scale(name="bound", replicas=2, namespace=ns, ctx=ctx)
    k8s_writes.scale(name="bound", replicas=4, namespace=ns, ctx=ctx)  # someone else changes the live object
    with pytest.raises(ToolError, match="the live object changed since the diff was approved; ask again"):
        k8s_writes.scale(name="bound", replicas=2, namespace=ns, ctx=approved(ctx, preview))
    assert api_get(f"/apis/apps/v1/namespaces/{ns}/deployments/bound")["spec"]["replicas"] == 4

    cm = f"apiVersion: v1\nkind: ConfigMap\nmetadata: {{name: cfg, namespace: {ns}}}\ndata: {{mode: blue}}\n"
    k8s_writes.apply(manifest=cm, ctx=ctx)
    stale = k8s_writes.preview_apply(manifest=cm.replace("blue", "green"), ctx=ctx)
    k8s_writes.apply(manifest=cm.replace("blue", "red"), ctx=ctx)
    with pytest.raises(ToolError, match="changed since the diff was approved"):
        k8s_writes.apply(manifest=cm.replace("blue", "green"), ctx=approved(ctx, stale))
    del_preview = k8s_writes.preview_delete(kind="configmap", name="cfg", namespace=ns, ctx=ctx)
    k8s_writes.patch(kind="cm", name="cfg", patch={"data": {"mode": "amber"}}, namespace=ns, ctx=ctx)
    with pytest.raises(ToolError, match="changed since the diff was approved"):
        k8s_writes.delete(kind="configmap", name="cfg", namespace=ns, ctx=approved(ctx, del_preview))
    assert api_get(f"/api/v1/namespaces/{ns}/configmaps/cfg")["data"] == {"mode": "amber"}


@pytest.mark.kubernetes
def test_dry_runs_change_nothing(k8s_namespace: str, ctx: ToolContext) -> None:
    ns = k8s_namespace
    k8s_writes.apply(manifest=f"apiVersion: v1\nkind: ConfigMap\nmetadata: {{name: keep, namespace: {ns}}}\n"
                       "data: {a: '1'}\n", ctx=ctx)
    k8s_writes.preview_delete(kind="configmap", name="keep", namespace=ns, ctx=ctx)
    k8s_writes.preview_delete(kind="configmaps", all=True, namespace=ns, ctx=ctx)
    k8s_writes.preview_patch(kind="configmap", name="keep", patch={"data": {"a": "2"}}, namespace=ns, ctx=ctx)
    assert api_get(f"/api/v1/namespaces/{ns}/configmaps/keep")["data"] == {"a": "1"}


@pytest.mark.kubernetes
def test_bulk_delete_by_selector_deletes_what_was_listed(k8s_namespace: str, ctx: ToolContext) -> None:
    ns = k8s_namespace
    docs = [f"apiVersion: v1\nkind: ConfigMap\nmetadata: {{name: c{i}, namespace: {ns}, labels: {{batch: "
            f"'{i % 2}'}}}}\n" for i in range(6)]
    k8s_writes.apply(manifest="---\n".join(docs), ctx=ctx)
    preview = k8s_writes.preview_delete(kind="configmaps", label_selector="batch=1", namespace=ns, ctx=ctx)
    assert preview.count("## ConfigMap") == 3 and f"ConfigMap {ns}/c1: delete" in preview
    out = k8s_writes.delete(kind="configmaps", label_selector="batch=1", namespace=ns, ctx=approved(ctx, preview))
    assert [r["object"] for r in out["results"]] == [f"ConfigMap {ns}/c{i}" for i in (1, 3, 5)]
    left = {i["metadata"]["name"] for i in api_get(f"/api/v1/namespaces/{ns}/configmaps")["items"]}
    assert {"c0", "c2", "c4"} <= left and not {"c1", "c3", "c5"} & left
    with pytest.raises(ToolError, match="name an object, or pass label_selector, or all=true"):
        k8s_writes.delete(kind="configmaps", namespace=ns, ctx=ctx)


@pytest.mark.kubernetes
def test_secrets_show_keys_only(k8s_namespace: str, ctx: ToolContext, tmp_path: Path) -> None:
    ns = k8s_namespace
    manifest = (f"apiVersion: v1\nkind: Secret\nmetadata: {{name: db, namespace: {ns}}}\n"
                "stringData: {password: hunter2-not-real, user: admin}\n")
    preview = k8s_writes.preview_apply(manifest=manifest, ctx=ctx)
    assert "hunter2" not in preview and "password: '<redacted: 16 bytes, sha256:" in preview
    k8s_writes.apply(manifest=manifest, ctx=ctx)
    got = k8s_reads.get(kind="secret", name="db", namespace=ns, ctx=ctx)
    assert got["data"] == {"password": "<redacted: 16 bytes>", "user": "<redacted: 5 bytes>"}
    described = k8s_reads.describe(kind="secrets", name="db", namespace=ns, ctx=ctx)
    assert "hunter2" not in json.dumps(described) and "aHVudGVy" not in json.dumps(described)
    listing = k8s_reads.get(kind="secrets", namespace=ns, ctx=ctx)
    assert "db" in [r[0] for r in listing["rows"]] and "hunter2" not in json.dumps(listing)
    asked = k8s_reads.get(kind="secret", name="db", namespace=ns, reveal_values=True, ctx=ctx)
    assert asked["data"]["password"] == "<redacted: 16 bytes>" and "kube_secret_values" in asked["note"]

    class Allowing(Settings):
        kube_secret_values: bool = True

    allowing = ToolContext(settings=Allowing(workspace_root=tmp_path, tool_timeout=30))
    revealed = k8s_reads.get(kind="secret", name="db", namespace=ns, reveal_values=True, ctx=allowing)
    import base64

    assert base64.b64decode(revealed["data"]["password"]) == b"hunter2-not-real"
    assert k8s_reads.get(kind="secret", name="db", namespace=ns, ctx=allowing)["data"]["user"] == "<redacted: 5 bytes>"


@pytest.mark.kubernetes
def test_large_list_is_summarised(k8s_namespace: str, ctx: ToolContext, monkeypatch: pytest.MonkeyPatch) -> None:
    ns = k8s_namespace
    items = [{"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": f"cm-{i:03d}", "namespace": ns},
              "data": {"payload": "x" * 200}} for i in range(120)]
    k8s_writes.apply(manifest=json.dumps({"apiVersion": "v1", "kind": "List", "items": items}), ctx=ctx)
    monkeypatch.setattr(k8s_reads, "PAGE", 50)  # several pages with continue tokens
    out = k8s_reads.get(kind="configmaps", namespace=ns, limit=10, ctx=ctx)
    assert out["total"] == 121  # + kube-root-ca.crt
    assert len(out["rows"]) == 10 and out["not_shown"] == 111 and "narrow" in out["hint"]
    assert "payload" not in json.dumps(out) and len(json.dumps(out)) < 1500


@pytest.mark.kubernetes
def test_custom_resources_through_discovery(k8s_namespace: str, ctx: ToolContext) -> None:
    ns = k8s_namespace
    group = f"{ns}.reign.test"
    crd = f"""\
apiVersion: apiextensions.k8s.io/v1
kind: CustomResourceDefinition
metadata: {{name: widgets.{group}, labels: {{reign-test: "1"}}}}
spec:
  group: {group}
  scope: Namespaced
  names: {{plural: widgets, singular: widget, kind: Widget, shortNames: [wdg]}}
  versions:
  - name: v1
    served: true
    storage: true
    schema: {{openAPIV3Schema: {{type: object, properties: {{spec: {{type: object, properties: {{size: {{type: integer}}}}}}}}}}}}
    additionalPrinterColumns:
    - {{name: Size, type: integer, jsonPath: .spec.size}}
"""
    try:
        k8s_writes.apply(manifest=crd, ctx=ctx)
        assert wait_for(lambda: any(c["type"] == "Established" and c["status"] == "True" for c in
                                    api_get(f"/apis/apiextensions.k8s.io/v1/customresourcedefinitions/widgets.{group}")
                                    .get("status", {}).get("conditions", [])), timeout=20)
        widget = f"apiVersion: {group}/v1\nkind: Widget\nmetadata: {{name: w1, namespace: {ns}}}\nspec: {{size: 3}}\n"
        assert "+  size: 3" in wait_for(lambda: _try_preview(widget, ctx), timeout=20)
        assert k8s_writes.apply(manifest=widget, ctx=ctx)["results"][0]["result"] == "created"
        listing = k8s_reads.get(kind=f"widgets.{group}", namespace=ns, ctx=ctx)
        assert listing["kind"] == "Widget" and listing["columns"] == ["NAME", "SIZE"]
        assert listing["rows"][0][:2] == ["w1", 3]
        assert k8s_reads.get(kind="wdg", name="w1", namespace=ns, ctx=ctx)["spec"] == {"size": 3}
        with pytest.raises(ToolError, match="custom resources take patch_type merge or json"):
            k8s_writes.patch(kind="widget", name="w1", patch={"spec": {"size": 4}}, namespace=ns, ctx=ctx)
        k8s_writes.patch(kind="Widget", name="w1", patch={"spec": {"size": 5}}, patch_type="merge", namespace=ns, ctx=ctx)
        assert k8s_reads.get(kind="widgets", name="w1", namespace=ns, ctx=ctx)["spec"]["size"] == 5
        assert k8s_writes.delete(kind="widgets", name="w1", namespace=ns, ctx=ctx)["results"][0]["result"] == "deleted"
    finally:
        with contextlib.suppress(ToolError):
            k8s_writes.delete(kind="crd", name=f"widgets.{group}", ctx=ctx)


def _try_preview(manifest: str, ctx: ToolContext) -> str:
    try:
        return k8s_writes.preview_apply(manifest=manifest, ctx=ctx)
    except ToolError:
        return ""


@pytest.mark.kubernetes
def test_namespace_created_by_the_same_apply(k8s_cluster: str, ctx: ToolContext) -> None:
    import secrets

    ns = f"reign-t-{secrets.token_hex(4)}"
    manifest = (f"apiVersion: v1\nkind: ConfigMap\nmetadata: {{name: cfg, namespace: {ns}}}\ndata: {{a: b}}\n---\n"
                f"apiVersion: v1\nkind: Namespace\nmetadata: {{name: {ns}, labels: {{reign-test: '1'}}}}\n")
    try:
        preview = k8s_writes.preview_apply(manifest=manifest, ctx=ctx)
        assert preview.index(f"## Namespace {ns}: create") < preview.index(f"## ConfigMap {ns}/cfg: create")
        assert f"(namespace {ns} is created by this apply: manifest shown, not dry-run)" in preview
        out = k8s_writes.apply(manifest=manifest, ctx=approved(ctx, preview))
        assert [r["result"] for r in out["results"]] == ["created", "created"]
    finally:
        k8s_writes.delete(kind="namespace", name=ns, ctx=ctx)


@pytest.mark.kubernetes
def test_scope_and_protected_namespaces_in_the_manager(k8s_namespace: str, tmp_path: Path) -> None:
    ns = k8s_namespace
    ctx = scoped(tmp_path, kube_namespaces=[ns])
    k8s_writes.apply(manifest="apiVersion: v1\nkind: ConfigMap\nmetadata: {name: here}\ndata: {a: b}\n", ctx=ctx)
    assert api_get(f"/api/v1/namespaces/{ns}/configmaps/here")["data"] == {"a": "b"}  # default = first allowed
    assert k8s_reads.get(kind="configmaps", ctx=ctx)["namespace"] == ns
    with pytest.raises(ToolError, match=f"namespace 'default' is outside this session's namespaces \\({ns}\\)"):
        k8s_reads.get(kind="pods", namespace="default", ctx=ctx)
    with pytest.raises(ToolError, match="all-namespaces requests are outside"):
        k8s_reads.get(kind="pods", all_namespaces=True, ctx=ctx)
    with pytest.raises(ToolError, match="ClusterRole is cluster-scoped: writes are outside"):
        k8s_writes.apply(manifest="apiVersion: rbac.authorization.k8s.io/v1\nkind: ClusterRole\nmetadata: {name: x}\n",
                  ctx=ctx)
    with pytest.raises(ToolError, match="outside this session's namespaces"):
        k8s_writes.delete(kind="namespace", name="default", ctx=ctx)
    assert k8s_reads.get(kind="nodes", ctx=ctx)["total"] == 1  # reading cluster-scoped objects stays allowed
    assert [n["name"] for n in k8s_reads.namespaces(ctx=ctx)["namespaces"] if n.get("in_scope")] == [ns]

    free = scoped(tmp_path)
    with pytest.raises(ToolError, match="namespace 'kube-system' is protected and cannot be deleted"):
        k8s_writes.delete(kind="ns", name="kube-system", ctx=free)
    with pytest.raises(ToolError, match="'kube-system' is protected: bulk deletes there are refused"):
        k8s_writes.delete(kind="pods", all=True, namespace="kube-system", ctx=free)
    with pytest.raises(ToolError, match="namespaces are deleted one at a time, by name"):
        k8s_writes.delete(kind="namespaces", label_selector="reign-test=1", ctx=free)
    sys_default = scoped(tmp_path, protected_namespaces=["kube-system", "default"])
    with pytest.raises(ToolError, match="the context's default\\) is protected: name the namespace explicitly"):
        k8s_writes.apply(manifest="apiVersion: v1\nkind: ConfigMap\nmetadata: {name: x}\n", ctx=sys_default)
    assert api_get("/api/v1/namespaces/kube-system")["status"]["phase"] == "Active"


@pytest.mark.kubernetes
def test_top_contexts_namespaces_api_resources_and_hollow_logs(k8s_namespace: str, ctx: ToolContext) -> None:
    with pytest.raises(ToolError, match=r"^metrics API not served \(metrics.k8s.io\)"):
        k8s_reads.top(ctx=ctx)
    contexts = k8s_reads.contexts(ctx=ctx)
    assert contexts["current"] == contexts["pinned"] == "reign-test"
    assert contexts["contexts"] == [{"name": "reign-test", "cluster": "reign-test", "server":
                                     contexts["contexts"][0]["server"], "namespace": "default", "production": False}]
    assert "token" not in json.dumps(contexts)
    names = {n["name"]: n for n in k8s_reads.namespaces(ctx=ctx)["namespaces"]}
    assert names["kube-system"]["protected"] is True and k8s_namespace in names
    rows = k8s_discovery.api_resources(ctx=ctx)["rows"]
    assert ["deployments", "deploy", "apps/v1", True, "Deployment"] in rows
    assert not any(r[2] == "batch/v1" and r[4] == "CronJob" for r in rows)  # the 1.20 API
    with pytest.raises(ToolError, match=r"no kind CronJob in batch/v1 on this cluster \(Kubernetes v1\.20"):
        k8s_writes.apply(manifest=f"apiVersion: batch/v1\nkind: CronJob\nmetadata: {{name: c, namespace: {k8s_namespace}}}\n",
                  ctx=ctx)
    k8s_writes.apply(manifest=deployment("hollow", k8s_namespace), ctx=ctx)
    assert wait_for(lambda: running_pods(ctx, k8s_namespace, "hollow") == 1)
    pod = k8s_reads.get(kind="pods", namespace=k8s_namespace, ctx=ctx)["rows"][0][0]
    with pytest.raises(ToolError, match=f"logs of pod {k8s_namespace}/{pod} unavailable: server error \\(500\\)"):
        k8s_reads.logs(pod=pod, namespace=k8s_namespace, ctx=ctx)


@pytest.mark.kubernetes
def test_executor_shows_and_binds_the_diff(k8s_namespace: str, tmp_path: Path) -> None:
    """The whole path: gate asks, the approver sees the dry-run diff, the tool runs bound to it."""
    from reign.approval import Approval, ApprovalRequest
    from reign.executor import Executor
    from reign.policy import PolicyGate, gate_context, load_checked_policy
    from reign.types import ToolCall

    ns = k8s_namespace
    settings = Settings(workspace_root=tmp_path, tool_timeout=30, kube_namespaces=[ns])
    seen: list[ApprovalRequest] = []

    class Recorder:
        def approve(self, request: ApprovalRequest) -> Approval:
            seen.append(request)
            return Approval(True, "once", "test")

    executor = Executor(catalogue=Catalogue.load(), gate=PolicyGate(load_checked_policy(), gate_context(settings)),
                        approver=Recorder(), settings=settings, cwd=tmp_path)
    result, record = executor.execute(ToolCall(id="1", name="k8s_apply", args={"manifest": deployment("ex", ns)}), 1)
    assert not result.is_error and record.decision == "ask", result.content
    assert seen[0].preview is not None and f"## Deployment {ns}/ex: create" in seen[0].preview
    result, record = executor.execute(ToolCall(id="2", name="k8s_scale", args={"name": "ex", "replicas": 2}), 2)
    assert not result.is_error and "-  replicas: 1\n+  replicas: 2" in (seen[1].preview or "")
    result, record = executor.execute(ToolCall(id="3", name="k8s_get", args={"kind": "pods", "namespace": "default"}),
                                      3)
    assert result.is_error and record.decision == "deny" and record.rule == "kubernetes-namespace-out-of-scope"
    result, record = executor.execute(ToolCall(id="4", name="k8s_get", args={"kind": "deploy"}), 4)
    assert not result.is_error and record.decision == "allow" and '"ex"' in result.content
