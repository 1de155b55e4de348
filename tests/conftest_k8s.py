"""Session fixtures for tests against the local Kubernetes control plane (markers `kubernetes`, `helm`).

Import from tests/conftest.py:
    from conftest_k8s import helm_engine, k8s_cluster, k8s_namespace  # noqa: F401

`k8s_cluster` reuses a control plane that answers (the kubeconfig of ../shared/k8s/k8s-offline.sh), else runs
its `install` (idempotent: 0.02 s once built) and `start` (about 17 s), and stops it (`stop --wipe`) at the end
of the session only if it started it (REIGN_KEEP_K8S=1 leaves it running). It skips only when the control plane
cannot exist here: no k8s-offline.sh, or its install fails (no Debian source package reachable, not root...).
For the session os.environ["KUBECONFIG"] points at the cluster. `k8s_namespace` is a fresh namespace per
test, labelled reign-test=1 and deleted afterwards (without waiting: deleting one with pods takes ~30 s).
"""

from __future__ import annotations

import json
import os
import secrets
import shutil
import ssl
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

REPO = Path(__file__).resolve().parent.parent
REAL_HOME = os.path.expanduser("~")  # read at import: the autouse fixture gives every test its own HOME
K8S_HOME = Path(os.environ.get("K8S_HOME") or Path(REAL_HOME) / ".cache" / "reign-k8s")
K8S_RUN = Path(os.environ.get("K8S_RUN") or K8S_HOME / "run")
KUBECONFIG_PATH = K8S_RUN / "kubeconfig"
LABEL = "reign-test"


def offline_script() -> Path | None:
    """k8s-offline.sh: $REIGN_K8S_OFFLINE, ../shared/k8s/ beside the repository, or a copy in scripts/."""
    for candidate in (os.environ.get("REIGN_K8S_OFFLINE"), REPO.parent / "shared" / "k8s" / "k8s-offline.sh",
                      REPO / "scripts" / "k8s-offline.sh"):
        if candidate and Path(candidate).is_file():
            return Path(candidate)
    return None


def _script_env() -> dict[str, str]:
    return {**os.environ, "HOME": REAL_HOME, "K8S_HOME": str(K8S_HOME), "K8S_RUN": str(K8S_RUN)}


def _endpoint(kubeconfig: Path) -> tuple[str, str, ssl.SSLContext]:
    """Server, bearer token and TLS context of a kubeconfig's current context (the local cluster's shape)."""
    import yaml

    kc = yaml.safe_load(kubeconfig.read_text())
    context = next(c["context"] for c in kc["contexts"] if c["name"] == kc["current-context"])
    cluster = next(c["cluster"] for c in kc["clusters"] if c["name"] == context["cluster"])
    user = next(u["user"] for u in kc["users"] if u["name"] == context["user"])
    return cluster["server"], str(user.get("token", "")), ssl.create_default_context(
        cafile=cluster.get("certificate-authority"))


def _get(kubeconfig: Path, path: str, timeout: float) -> tuple[int, bytes]:
    server, token, tls = _endpoint(kubeconfig)
    request = urllib.request.Request(server + path, headers={"Authorization": f"Bearer {token}",
                                                             "Accept": "application/json"})
    with urllib.request.urlopen(request, timeout=timeout, context=tls) as resp:
        return int(resp.status), resp.read()


def api_ready(kubeconfig: Path, timeout: float = 2.0) -> bool:
    """The API server of this kubeconfig's current context answers /readyz."""
    try:
        return _get(kubeconfig, "/readyz", timeout)[0] == 200
    except Exception:
        return False


def api_get(path: str) -> Any:
    """GET a path on the local API server as JSON, without the client under test (any client version)."""
    return json.loads(_get(KUBECONFIG_PATH, path, 10.0)[1])


def is_local_test_cluster(kubeconfig: str | None) -> bool:
    return bool(kubeconfig) and Path(str(kubeconfig)).resolve() == KUBECONFIG_PATH.resolve()


def _tail(text: str, lines: int = 8) -> str:
    return " | ".join(t for t in text.strip().splitlines()[-lines:] if t.strip())


@pytest.fixture(scope="session")
def k8s_cluster() -> Iterator[str]:
    """Kubeconfig path of a running local control plane (context `reign-test`)."""
    started = False
    if not api_ready(KUBECONFIG_PATH):
        script = offline_script()
        if script is None:
            pytest.skip("no local Kubernetes control plane: k8s-offline.sh not found (../shared/k8s/ or "
                        "REIGN_K8S_OFFLINE); see the README for how to get a cluster")
        home = Path(os.environ.get("K8S_HOME", Path.home() / ".cache" / "reign-k8s"))
        if not (home / "bin" / "kube-apiserver").exists():
            # The one-time build takes ~8 minutes: longer than a test may wait. `.ci/run` does it first.
            pytest.skip("no local Kubernetes control plane built yet: run `bash scripts/k8s.sh start` once "
                        "(~8 min build, cached), or point KUBECONFIG at a cluster; see the README")
        t0 = time.monotonic()
        install = subprocess.run(["bash", str(script), "install"], capture_output=True, text=True,
                                 env=_script_env(), timeout=3600)
        if install.returncode != 0:
            pytest.skip(f"the local control plane cannot be built here: {_tail(install.stderr or install.stdout)}")
        start = subprocess.run(["bash", str(script), "start"], capture_output=True, text=True, env=_script_env(),
                               timeout=600)
        if start.returncode != 0:
            pytest.fail(f"k8s-offline.sh start failed: {_tail(start.stderr or start.stdout, 20)}")
        started = True
        sys.stderr.write(f"\n[k8s] started the local control plane in {time.monotonic() - t0:.1f}s\n")
    previous = os.environ.get("KUBECONFIG")
    os.environ["KUBECONFIG"] = str(KUBECONFIG_PATH)
    try:
        yield str(KUBECONFIG_PATH)
    finally:
        if started and os.environ.get("REIGN_KEEP_K8S") != "1":
            script = offline_script()
            assert script is not None
            subprocess.run(["bash", str(script), "stop", "--wipe"], capture_output=True, env=_script_env(),
                           timeout=120)
        else:
            _delete_test_namespaces()
        if previous is None:
            os.environ.pop("KUBECONFIG", None)
        else:
            os.environ["KUBECONFIG"] = previous


def _kube() -> tuple[object, object]:
    from kubernetes import client, config

    cfg = type.__call__(client.Configuration)
    config.load_kube_config(config_file=str(KUBECONFIG_PATH), client_configuration=cfg, persist_config=False)
    return client, client.ApiClient(configuration=cfg)


def _delete_test_namespaces() -> None:
    try:
        client, api = _kube()
        core = client.CoreV1Api(api)  # type: ignore[attr-defined]
        for ns in core.list_namespace(label_selector=f"{LABEL}=1").items:
            core.delete_namespace(ns.metadata.name)
    except Exception as exc:  # cleanup is best effort
        sys.stderr.write(f"[k8s] could not clean up test namespaces: {exc}\n")


@pytest.fixture
def k8s_namespace(k8s_cluster: str) -> Iterator[str]:
    """A fresh namespace `reign-t-<hex>` labelled reign-test=1, deleted after the test."""
    client, api = _kube()
    core = client.CoreV1Api(api)  # type: ignore[attr-defined]
    name = f"reign-t-{secrets.token_hex(4)}"
    core.create_namespace({"metadata": {"name": name, "labels": {LABEL: "1"}}})
    for _ in range(50):  # the default ServiceAccount and token land shortly after
        if core.list_namespaced_service_account(name).items:
            break
        time.sleep(0.1)
    try:
        yield name
    finally:
        try:
            core.delete_namespace(name)
        except Exception as exc:
            sys.stderr.write(f"[k8s] could not delete {name}: {exc}\n")


@pytest.fixture(scope="session")
def helm_engine() -> str:
    """`sdk` (helm-python-sdk, installed when missing) or `cli` (the helm binary k8s-offline.sh fetched).
    Needs no cluster: chart tests use it alone, release tests add `k8s_namespace`."""
    import importlib.util

    if importlib.util.find_spec("helm_python") is None:
        res = subprocess.run([sys.executable, "-m", "pip", "install", "--quiet", "helm-python-sdk>=0.2.2,<0.3"],
                             capture_output=True, text=True, timeout=600)
        importlib.invalidate_caches()
        if res.returncode != 0 or importlib.util.find_spec("helm_python") is None:
            binary = K8S_HOME / "bin" / "helm"
            if not binary.is_file():
                pytest.skip(f"no Helm engine: helm-python-sdk does not install ({_tail(res.stderr, 3)}) and "
                            f"there is no {binary}")
            os.environ["PATH"] = f"{binary.parent}{os.pathsep}{os.environ.get('PATH', '')}"
            return "cli"
    return "sdk"


def helm_binary() -> str | None:
    """A helm binary: on PATH, or the one k8s-offline.sh fetched."""
    binary = K8S_HOME / "bin" / "helm"
    return str(binary) if binary.is_file() else shutil.which("helm")
