"""Find, start and stop the real Docker engine the tests use (a thin wrapper over scripts/docker-engine.sh).

`find_engine()` returns the url of an engine that already answers (the script's private socket,
$DOCKER_HOST, /var/run/docker.sock); `start()` installs docker.io when missing and starts a private
dockerd without a bridge; `stop()` stops only the daemon the script started (by its pid file);
`ensure_image()` builds reign-test/busybox:latest from Debian's busybox-static with no registry.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
SCRIPT = REPO / "scripts" / "docker-engine.sh"
IMAGE = "reign-test/busybox:latest"


def _run(*args: str, timeout: float = 600) -> subprocess.CompletedProcess[str]:
    return subprocess.run(["bash", str(SCRIPT), *args], capture_output=True, text=True, timeout=timeout)


def _last_line(text: str) -> str:
    lines = [line for line in text.splitlines() if line.strip()]
    return lines[-1].strip() if lines else ""


def find_engine() -> str | None:
    """Url of an engine that answers now, or None."""
    proc = _run("status", timeout=30)
    return _last_line(proc.stdout) if proc.returncode == 0 and proc.stdout.strip() else None


def cannot_start() -> str | None:
    """Why no engine can be started on this machine, or None when `start()` should work."""
    if shutil.which("bash") is None:
        return "bash is not available to run scripts/docker-engine.sh"
    is_root = os.geteuid() == 0
    if not is_root and shutil.which("sudo") is None:
        return "no Docker engine answers, and dockerd needs root (not root, no sudo)"
    if shutil.which("dockerd") is None and shutil.which("apt-get") is None:
        return "no Docker engine answers; dockerd is not installed and apt-get is not available to install it"
    if not is_root:
        probe = subprocess.run(["sudo", "-n", "true"], capture_output=True, timeout=30)
        if probe.returncode != 0:
            return "no Docker engine answers, and dockerd needs root (sudo asks for a password)"
    return None


def start() -> str:
    """Start (or reuse) an engine and return its DOCKER_HOST url; raises RuntimeError with the log tail."""
    proc = _run("start")
    url = _last_line(proc.stdout)
    if proc.returncode != 0 or not url:
        raise RuntimeError(f"docker-engine.sh start failed ({proc.returncode}): {proc.stderr[-2000:]}")
    return url


def ensure_image(url: str) -> str:
    proc = _run("image", url)
    if proc.returncode != 0:
        raise RuntimeError(f"docker-engine.sh image failed ({proc.returncode}): {proc.stderr[-2000:]}")
    return IMAGE


def stop() -> None:
    _run("stop", timeout=120)
