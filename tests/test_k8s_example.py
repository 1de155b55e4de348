"""examples/k8s-troubleshoot end to end: a synthesized model cassette drives the real API server.

The pods are hollow (kubemark), so the failure is a real scheduling one (an unsatisfiable
nodeSelector) rather than a crash loop; everything the agent reads and changes is real.
"""

from __future__ import annotations

import json
import time
from pathlib import Path

import pytest
import yaml
from click.testing import CliRunner

from reign.cli import main

ROOT = Path(__file__).resolve().parent.parent
EXAMPLE = ROOT / "examples" / "k8s-troubleshoot"


def _setup(apps, core) -> None:
    from kubernetes.client.rest import ApiException

    namespace, deployment = list(yaml.safe_load_all((EXAMPLE / "setup.yaml").read_text()))
    try:
        core.create_namespace(namespace)
    except ApiException as exc:
        if exc.status != 409:
            raise
    try:
        apps.delete_namespaced_deployment("web", "reign-shop", grace_period_seconds=0)
        for _ in range(100):
            apps.read_namespaced_deployment("web", "reign-shop")
            time.sleep(0.1)
    except ApiException as exc:
        if exc.status != 404:
            raise
    apps.create_namespaced_deployment("reign-shop", deployment)


@pytest.mark.kubernetes
def test_the_agent_finds_the_scheduling_failure_and_the_approved_patch_fixes_it(k8s_cluster: str, workdir) -> None:
    from kubernetes import client, config

    config.load_kube_config(k8s_cluster)
    apps, core = client.AppsV1Api(), client.CoreV1Api()
    _setup(apps, core)
    for _ in range(100):  # wait until the scheduler has given up on the pods
        pods = core.list_namespaced_pod("reign-shop", label_selector="app=web").items
        if len(pods) == 2 and all(p.status.phase == "Pending" for p in pods):
            break
        time.sleep(0.2)
    refused = CliRunner().invoke(main, ["run", "--cassette", str(EXAMPLE / "cassette.yaml"), "--output", "json",
                                        "fix web"])
    out = json.loads(refused.stdout.strip().splitlines()[-1])
    patch = next(c for c in out["tool_calls"] if c["tool"] == "k8s_patch")
    assert patch["decision"] == "ask" and patch["approved"] is False
    assert apps.read_namespaced_deployment("web", "reign-shop").spec.template.spec.node_selector == {"disktype": "ssd"}

    result = CliRunner().invoke(main, ["run", "--cassette", str(EXAMPLE / "cassette.yaml"), "--output", "json",
                                       "--yes", "fix web"])
    out = json.loads(result.stdout.strip().splitlines()[-1])
    assert result.exit_code == 0, out
    calls = {c["tool"]: c for c in out["tool_calls"]}
    assert "Pending" in calls["k8s_get"]["output"] and "FailedScheduling" in calls["k8s_events"]["output"]
    patch = calls["k8s_patch"]
    assert patch["approved"] is True and patch["ok"], patch["output"]
    assert "disktype" in patch["preview"] and "-" in patch["preview"]  # the diff removes the selector
    assert apps.read_namespaced_deployment("web", "reign-shop").spec.template.spec.node_selector is None
    for _ in range(150):
        pods = core.list_namespaced_pod("reign-shop", label_selector="app=web").items
        if sum(p.status.phase == "Running" for p in pods) >= 2:
            break
        time.sleep(0.2)
    assert sum(p.status.phase == "Running" for p in pods) >= 2
    apps.delete_namespaced_deployment("web", "reign-shop")
