"""Helm manager with a real Helm engine (helm-python-sdk: Helm v4 as a library; the helm binary as the fallback)
and releases on the REAL local control plane (marker `helm`). Charts live in each test's workspace root.
"""

from __future__ import annotations

import importlib
import inspect
import os
from pathlib import Path
from typing import Any

import pytest
import yaml

from reign.config import Settings
from reign.errors import ToolError
from reign.managers.helm import charts as helm_charts
from reign.managers.helm import choice as helm_choice
from reign.managers.helm import cli as helm_cli
from reign.managers.helm import releases as helm_releases
from reign.managers.helm import values as helm_values
from reign.policy.classifiers.kubernetes import HELM_VERB_EFFECTS
from reign.toolcontext import ToolContext

try:  # until tests/conftest.py imports them; harmless afterwards
    from conftest_k8s import api_get, helm_binary, helm_engine, k8s_cluster, k8s_namespace
except ImportError:  # tests/ is a package
    from tests.conftest_k8s import api_get, helm_binary, helm_engine, k8s_cluster, k8s_namespace  # noqa: F401

pytestmark = pytest.mark.helm

ROOT = Path(__file__).resolve().parent.parent
CATALOGUE = ROOT / "tools" / "helm.yaml"


@pytest.fixture
def ws(tmp_path: Path) -> Path:
    root = tmp_path / "ws"
    root.mkdir()
    return root


def make_ctx(root: Path, **extra: Any) -> ToolContext:
    return ToolContext(settings=Settings(workspace_root=root, tool_timeout=120, **extra), cwd=root)


def approved(ctx: ToolContext, preview: str) -> ToolContext:
    return ToolContext(settings=ctx.settings, cwd=ctx.cwd, approved_digest="x", approved_preview=preview)


def small_chart(root: Path, name: str = "web") -> Path:
    """A chart whose pods the hollow node runs: one Deployment and one ConfigMap."""
    chart = root / "charts" / name
    (chart / "templates").mkdir(parents=True)
    (chart / "Chart.yaml").write_text(f"apiVersion: v2\nname: {name}\nversion: 0.1.0\nappVersion: '1.0'\n")
    (chart / "values.yaml").write_text("replicaCount: 1\nimage: {repository: nginx, tag: '1.25'}\ngreeting: hello\n")
    (chart / "templates" / "deployment.yaml").write_text("""\
apiVersion: apps/v1
kind: Deployment
metadata:
  name: {{ .Release.Name }}
  labels: {app: {{ .Release.Name }}}
spec:
  replicas: {{ .Values.replicaCount }}
  selector: {matchLabels: {app: {{ .Release.Name }}}}
  template:
    metadata: {labels: {app: {{ .Release.Name }}}}
    spec:
      containers:
      - name: web
        image: "{{ .Values.image.repository }}:{{ .Values.image.tag }}"
""")
    (chart / "templates" / "configmap.yaml").write_text("""\
apiVersion: v1
kind: ConfigMap
metadata: {name: {{ .Release.Name }}-config}
data: {greeting: {{ .Values.greeting | quote }}}
""")
    return chart


# ------------------------------------------------------------------------------------------ catalogue


def test_catalogue_matches_implementations_and_fixed_effects() -> None:
    data = yaml.safe_load(CATALOGUE.read_text())
    assert data["manager"] == "helm" and data["available"] == "reign.managers.helm.choice:available"
    cluster = set()
    for tool in data["tools"]:
        where = tool["name"]
        assert tool["effect"] == HELM_VERB_EFFECTS[where[5:]], where
        module, _, func = tool["impl"].partition(":")
        impl = getattr(importlib.import_module(module), func)
        params = {n: p for n, p in inspect.signature(impl).parameters.items() if n != "ctx"}
        assert set(params) == set(tool["input_schema"]["properties"]), where
        required = {n for n, p in params.items() if p.default is inspect.Parameter.empty}
        assert required == set(tool["input_schema"].get("required", [])), where
        for name, prop in tool["input_schema"]["properties"].items():
            if "default" in prop:
                assert params[name].default == prop["default"], f"{where}.{name}"
        if "preview" in tool:
            module, _, func = tool["preview"].partition(":")
            preview = getattr(importlib.import_module(module), func)
            assert inspect.signature(preview).parameters.keys() == inspect.signature(impl).parameters.keys(), where
        if tool.get("available") == "reign.managers.helm.choice:cluster_available":
            cluster.add(where[5:])
    assert cluster == {"list", "status", "history", "install", "upgrade", "rollback", "uninstall"}
    assert {t["name"] for t in data["tools"] if "preview" in t} == {
        "helm_create", "helm_install", "helm_upgrade", "helm_rollback", "helm_uninstall"}


def test_values_and_paths_are_confined(ws: Path, tmp_path: Path) -> None:
    ctx = make_ctx(ws)
    (ws / "a.yaml").write_text("image: {tag: '1.0', pullPolicy: Always}\nlist: [1]\n")
    (ws / "b.yaml").write_text("image: {tag: '2.0'}\n")
    values = helm_values.user_values(["a.yaml", "b.yaml"], {"image.tag": "3.0", "ingress.enabled": True,
                                                     "annotations.kube\\.io/x": "y"}, ctx)
    assert values == {"image": {"tag": "3.0", "pullPolicy": "Always"}, "list": [1], "ingress": {"enabled": True},
                      "annotations": {"kube.io/x": "y"}}
    outside = tmp_path / "secret-values.yaml"
    outside.write_text("password: x\n")
    (ws / "link.yaml").symlink_to(outside)
    for bad in ("../secret-values.yaml", str(outside), "link.yaml"):
        with pytest.raises(ToolError, match="outside the workspace root"):
            helm_values.user_values([bad], None, ctx)
    chart = small_chart(ws)
    (chart / "templates" / "leak.txt").symlink_to("/etc/hostname")
    with pytest.raises(ToolError, match="links outside the workspace root"):
        helm_charts.lint(chart="charts/web", ctx=ctx)
    with pytest.raises(ToolError, match="not a chart"):
        helm_charts.lint(chart=".", ctx=ctx)


# ------------------------------------------------------------------------------------------ charts (no cluster)


def test_create_lint_template_show_package(helm_engine: str, ws: Path) -> None:
    ctx = make_ctx(ws)
    created = helm_charts.create(name="demo", ctx=ctx)
    assert created["chart"] == "demo" and "Chart.yaml" in created["files"] and "values.yaml" in created["files"]
    with pytest.raises(ToolError, match="already exists"):
        helm_charts.create(name="demo", ctx=ctx)
    report = helm_charts.lint(chart="demo", ctx=ctx)
    assert report["ok"] is True and report["errors"] == 0

    (ws / "prod.yaml").write_text("replicaCount: 4\nservice: {port: 8080}\n")
    rendered = helm_charts.template(chart="demo", release="shop", namespace="team-a", values_files=["prod.yaml"],
                             set={"image.tag": "9.9"}, ctx=ctx)
    assert rendered.startswith("# ") and "Deployment team-a/shop-demo" in rendered.splitlines()[0]
    docs = [d for d in yaml.safe_load_all(rendered) if d]
    deploy = next(d for d in docs if d["kind"] == "Deployment")
    assert deploy["spec"]["replicas"] == 4 and deploy["spec"]["template"]["spec"]["containers"][0]["image"].endswith(
        ":9.9")
    assert next(d for d in docs if d["kind"] == "Service")["spec"]["ports"][0]["port"] == 8080
    only = helm_charts.template(chart="demo", show_only=["templates/service.yaml"], ctx=ctx)
    assert "kind: Service" in only and "kind: Deployment" not in only

    assert "replicaCount: 1" in helm_charts.show(chart="demo", ctx=ctx)
    assert "name: demo" in helm_charts.show(chart="demo", what="chart", ctx=ctx)
    (ws / "dist").mkdir()
    archive = helm_charts.package(chart="demo", destination="dist", version="1.2.3", ctx=ctx)["archive"]
    assert archive == str(ws.resolve() / "dist" / "demo-1.2.3.tgz") and Path(archive).is_file()
    assert helm_charts.lint(chart="dist/demo-1.2.3.tgz", ctx=ctx)["ok"] is True


def test_broken_chart_fails_lint_readably(helm_engine: str, ws: Path) -> None:
    ctx = make_ctx(ws)
    chart = small_chart(ws, "broken")
    (chart / "templates" / "bad.yaml").write_text("kind: ConfigMap\nmetadata:\n  name: {{ if }}\n")
    report = helm_charts.lint(chart="charts/broken", ctx=ctx)
    assert report["ok"] is False and report["errors"] == 1
    error = next(m for m in report["messages"] if m["severity"] == "ERROR")
    assert "broken/templates/bad.yaml:3" in error["message"] and "missing value for if" in error["message"]
    with pytest.raises(ToolError, match="missing value for if"):
        helm_charts.template(chart="charts/broken", ctx=ctx)
    (chart / "templates" / "bad.yaml").unlink()
    (chart / "Chart.yaml").write_text("apiVersion: v2\nname: broken\n")  # no version
    report = helm_charts.lint(chart="charts/broken", ctx=ctx)
    assert not report["ok"] and any("version" in m["message"] for m in report["messages"])


# ------------------------------------------------------------------------------------------ releases


def test_install_upgrade_rollback_uninstall(helm_engine: str, k8s_namespace: str, ws: Path) -> None:
    ns = k8s_namespace
    ctx = make_ctx(ws)
    small_chart(ws)
    preview = helm_releases.preview_install(release="shop", chart="charts/web", namespace=ns, ctx=ctx)
    assert preview.startswith(f"# helm_install shop in {ns} (chart web-0.1.0) on context reign-test")
    assert "# 2 to create, 0 to change, 0 to delete, 0 unchanged" in preview
    assert f"## Deployment {ns}/shop: create" in preview and "+      - image: nginx:1.25" in preview
    assert helm_releases.preview_install(release="shop", chart="charts/web", namespace=ns, ctx=ctx) == preview
    installed = helm_releases.install(release="shop", chart="charts/web", namespace=ns, ctx=approved(ctx, preview))
    assert installed["status"] == "deployed" and installed["revision"] == 1
    assert installed["resources"] == [f"ConfigMap {ns}/shop-config", f"Deployment {ns}/shop"]
    live = api_get(f"/apis/apps/v1/namespaces/{ns}/deployments/shop")
    assert live["status"].get("readyReplicas") == 1  # waited for

    with pytest.raises(ToolError, match="already exists"):
        helm_releases.install(release="shop", chart="charts/web", namespace=ns, ctx=ctx)
    listed = helm_releases.list_releases(namespace=ns, ctx=ctx)
    assert [(r["name"], r["revision"], r["status"]) for r in listed["releases"]] == [("shop", 1, "deployed")]

    (ws / "v2.yaml").write_text("replicaCount: 2\n")
    up = helm_releases.preview_upgrade(release="shop", chart="charts/web", namespace=ns, values_files=["v2.yaml"],
                              set={"image.tag": "1.27"}, ctx=ctx)
    assert "against the release revision 1" in up and "# 0 to create, 1 to change, 0 to delete, 1 unchanged" in up
    assert "-  replicas: 1\n+  replicas: 2" in up and "+      - image: nginx:1.27" in up
    upgraded = helm_releases.upgrade(release="shop", chart="charts/web", namespace=ns, values_files=["v2.yaml"],
                            set={"image.tag": "1.27"}, ctx=approved(ctx, up))
    assert upgraded["revision"] == 2
    assert api_get(f"/apis/apps/v1/namespaces/{ns}/deployments/shop")["spec"]["replicas"] == 2

    history = helm_releases.history(release="shop", namespace=ns, ctx=ctx)["revisions"]
    assert [(r["revision"], r["status"]) for r in history] == [(2, "deployed"), (1, "superseded")]
    status = helm_releases.status(release="shop", namespace=ns, ctx=ctx)
    assert status["revision"] == 2 and f"Deployment {ns}/shop" in status["resources"]

    back = helm_releases.preview_rollback(release="shop", namespace=ns, ctx=ctx)
    assert back.startswith(f"# helm_rollback shop in {ns}: revision 2 -> a new revision with revision 1's manifest")
    assert "-  replicas: 2\n+  replicas: 1" in back
    rolled = helm_releases.rollback(release="shop", namespace=ns, ctx=approved(ctx, back))
    assert rolled["rolled_back_to"] == 1 and rolled["revision"] == 3 and rolled["status"] == "deployed"
    assert api_get(f"/apis/apps/v1/namespaces/{ns}/deployments/shop")["spec"]["replicas"] == 1

    # an approval is bound to the rendered diff: values changed since -> refused, nothing changes
    stale = helm_releases.preview_upgrade(release="shop", chart="charts/web", namespace=ns, set={"greeting": "hi"}, ctx=ctx)
    (ws / "charts" / "web" / "values.yaml").write_text(
        "replicaCount: 3\nimage: {repository: nginx, tag: '1.25'}\ngreeting: hello\n")
    with pytest.raises(ToolError, match="changed since the diff was approved"):
        helm_releases.upgrade(release="shop", chart="charts/web", namespace=ns, set={"greeting": "hi"},
                     ctx=approved(ctx, stale))
    assert helm_releases.status(release="shop", namespace=ns, ctx=ctx)["revision"] == 3

    gone = helm_releases.preview_uninstall(release="shop", namespace=ns, ctx=ctx)
    assert f"deletes 2 objects\n- ConfigMap {ns}/shop-config\n- Deployment {ns}/shop" in gone
    assert helm_releases.uninstall(release="shop", namespace=ns, ctx=approved(ctx, gone))["release"] == "shop"
    assert helm_releases.list_releases(namespace=ns, ctx=ctx)["releases"] == []
    with pytest.raises(ToolError, match="release 'shop' not found"):
        helm_releases.status(release="shop", namespace=ns, ctx=ctx)


def test_release_scope(helm_engine: str, k8s_namespace: str, ws: Path) -> None:
    ns = k8s_namespace
    ctx = make_ctx(ws, kube_namespaces=[ns])
    chart = small_chart(ws)
    with pytest.raises(ToolError, match="outside this session's namespaces"):
        helm_releases.preview_install(release="x", chart="charts/web", namespace="default", ctx=ctx)
    with pytest.raises(ToolError, match="all-namespaces requests are outside"):
        helm_releases.list_releases(all_namespaces=True, ctx=ctx)
    (chart / "templates" / "role.yaml").write_text(
        "apiVersion: rbac.authorization.k8s.io/v1\nkind: ClusterRole\nmetadata: {name: {{ .Release.Name }}}\n")
    with pytest.raises(ToolError, match="renders a cluster-scoped ClusterRole"):
        helm_releases.preview_install(release="x", chart="charts/web", ctx=ctx)
    (chart / "templates" / "role.yaml").write_text(
        "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: sneaky, namespace: kube-system}\n")
    with pytest.raises(ToolError, match="into namespace 'kube-system', outside"):
        helm_releases.preview_install(release="x", chart="charts/web", ctx=ctx)
    with pytest.raises(ToolError, match="into protected namespace 'kube-system'"):
        helm_releases.preview_install(release="x", chart="charts/web", namespace=ns, ctx=make_ctx(ws))
    assert api_get("/api/v1/namespaces/kube-system/configmaps").get("items") is not None
    assert "sneaky" not in {c["metadata"]["name"] for c in api_get("/api/v1/namespaces/kube-system/configmaps")["items"]}


def test_cli_engine_fallback(k8s_namespace: str, ws: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Without the SDK the helm binary does the same work (the one k8s-offline.sh fetched)."""
    binary = helm_binary()
    if binary is None:
        pytest.skip("no helm binary (k8s-offline.sh install fetches one into ~/.cache/reign-k8s/bin)")
    monkeypatch.setenv("PATH", f"{Path(binary).parent}{os.pathsep}{os.environ.get('PATH', '')}")
    monkeypatch.setenv("REIGN_HELM_ENGINE", "cli")
    ns = k8s_namespace
    ctx = make_ctx(ws)
    assert helm_choice.available() is None and isinstance(helm_choice.engine_for(ctx), helm_cli.CliEngine)
    small_chart(ws)
    assert helm_charts.lint(chart="charts/web", ctx=ctx)["ok"] is True
    assert "image: \"nginx:2.0\"" in helm_charts.template(chart="charts/web", set={"image.tag": "2.0"}, ctx=ctx)
    (ws / "charts" / "web" / "templates" / "bad.yaml").write_text("{{ if }}\n")
    bad = helm_charts.lint(chart="charts/web", ctx=ctx)
    assert not bad["ok"] and "missing value for if" in bad["messages"][-1]["message"]
    (ws / "charts" / "web" / "templates" / "bad.yaml").unlink()
    preview = helm_releases.preview_install(release="cli", chart="charts/web", namespace=ns, ctx=ctx)
    assert f"## Deployment {ns}/cli: create" in preview
    assert helm_releases.install(release="cli", chart="charts/web", namespace=ns, ctx=approved(ctx, preview))["revision"] == 1
    helm_releases.upgrade(release="cli", chart="charts/web", namespace=ns, set={"replicaCount": 2}, ctx=ctx)
    assert [r["revision"] for r in helm_releases.history(release="cli", namespace=ns, ctx=ctx)["revisions"]] == [2, 1]
    assert helm_releases.rollback(release="cli", namespace=ns, ctx=ctx)["revision"] == 3
    assert helm_releases.uninstall(release="cli", namespace=ns, ctx=ctx)["release"] == "cli"
    monkeypatch.setenv("PATH", "/nonexistent")
    assert helm_choice.available() == "no helm binary on PATH"
