"""Peers installed from PyPI into throwaway virtualenvs under the cache folder (kept across runs).

Each peer reports a status: ok, or why it could not be installed or run here. Never skipped silently.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import sys
import tarfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from benchmarks.common import BENCH_DIR, CACHE, run, tail

KUBECONFIG = """apiVersion: v1
kind: Config
clusters:
- cluster: {server: "https://127.0.0.1:1"}
  name: bench
contexts:
- context: {cluster: bench, user: bench, namespace: default}
  name: bench
current-context: bench
users:
- name: bench
  user: {token: not-a-real-token}
"""


@dataclass
class Peer:
    name: str
    status: str = "not tried"
    version: str = ""
    notes: list[str] = field(default_factory=list)
    data: dict[str, Any] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        return self.status == "ok"


def _venv(name: str, packages: list[str]) -> tuple[Path | None, str]:
    """The python of a cached virtualenv holding `packages`, creating it when needed."""
    folder = CACHE / f"venv-{name}"
    marker = folder / ".reign-bench-installed"
    python = folder / "bin" / "python"
    wanted = " ".join(packages)
    if marker.is_file() and marker.read_text() == wanted and python.is_file():
        return python, ""
    if not python.is_file():
        done = run([sys.executable, "-m", "venv", str(folder)], timeout=300)
        if done.returncode:
            return None, f"python -m venv failed: {tail(done.stderr)}"
    done = run([str(python), "-m", "pip", "install", "-q", "--disable-pip-version-check", *packages],
               timeout=1800)
    if done.returncode:
        return None, f"pip install {wanted} failed: {tail(done.stderr or done.stdout, 4)}"
    marker.write_text(wanted)
    return python, ""


def _pkg_version(python: Path, dist: str) -> str:
    done = run([str(python), "-c", f"from importlib.metadata import version; print(version({dist!r}))"], timeout=60)
    return done.stdout.strip()


# ------------------------------------------------------------------------------------------- holmesgpt
def holmesgpt() -> Peer:
    peer = Peer("holmesgpt")
    python, err = _venv("holmesgpt", ["holmesgpt"])
    if python is None:
        peer.status = f"does not install: {err}"
        return peer
    peer.version = _pkg_version(python, "holmesgpt")
    home = CACHE / "holmes-home"
    home.mkdir(parents=True, exist_ok=True)
    env = {**os.environ, "HOME": str(home), "XDG_CONFIG_HOME": str(home / ".config")}
    for var in ("OPENAI_API_KEY", "ANTHROPIC_API_KEY", "KUBECONFIG"):
        env.pop(var, None)
    done = run([str(python), str(BENCH_DIR / "peers" / "holmes_schemas.py")], timeout=600, env=env, cwd=home)
    if done.returncode:
        peer.status = f"does not run: {tail(done.stderr, 4)}"
        return peer
    try:
        peer.data = json.loads(done.stdout)
    except ValueError:
        peer.status = f"does not run: unreadable output {done.stdout[:200]!r}"
        return peer
    peer.status = "ok"
    return peer


def prepare() -> dict[str, str]:
    """Install (or find in the cache) every peer's virtualenv up front, so that every benchmark of the
    run sees the same peers."""
    out = {}
    for name, packages in (("holmesgpt", ["holmesgpt"]), ("k8smcp", ["kubernetes-mcp-server", "mcp"])):
        python, err = _venv(name, packages)
        out[name] = "ready" if python is not None else err
    return out


def holmes_cli() -> list[str] | None:
    """`holmes` of the cached virtualenv, if it is installed (for the start-up comparison)."""
    exe = CACHE / "venv-holmesgpt" / "bin" / "holmes"
    return [str(exe)] if exe.is_file() and (CACHE / "venv-holmesgpt" / ".reign-bench-installed").is_file() else None


# ------------------------------------------------------------------------------- kubernetes-mcp-server
def _k8s_env(home: Path) -> dict[str, str]:
    env = {**os.environ, "HOME": str(home)}
    env.pop("KUBECONFIG", None)
    return env


def kubernetes_mcp_server(scratch: Path) -> Peer:
    peer = Peer("kubernetes-mcp-server")
    python, err = _venv("k8smcp", ["kubernetes-mcp-server", "mcp"])
    if python is None:
        peer.status = f"does not install: {err}"
        return peer
    exe = python.parent / "kubernetes-mcp-server"
    home = CACHE / "k8smcp-home"  # the PyPI wrapper keeps the Go binary it fetches under $HOME
    home.mkdir(parents=True, exist_ok=True)
    env = _k8s_env(home)
    route = CACHE / "k8smcp-binary-route.txt"
    binary = _platform_binary(python)
    wrapper_version = _pkg_version(python, "kubernetes-mcp-server")
    cached = bool(binary) and (home / ".kubernetes-mcp-server" / "bin" / wrapper_version / binary).is_file()
    done = run([str(exe), "--version"], timeout=300, env=env)
    if done.returncode:
        first = tail(done.stderr, 2)
        peer.notes.append(f"the PyPI wrapper's binary download failed here ({first})")
        fixed, why = _binary_from_npm(python, home, binary)
        if not fixed:
            peer.status = f"does not run: {first}; fallback from npm failed too: {why}"
            return peer
        route.write_text(why)
        done = run([str(exe), "--version"], timeout=300, env=env)
        if done.returncode:
            peer.status = f"does not run: {tail(done.stderr, 2)}"
            return peer
    elif not cached:
        route.write_text("the release binary the PyPI wrapper downloads from GitHub")
    if route.is_file():
        peer.notes.append(f"Go binary: {route.read_text().strip()}")
    else:
        peer.notes.append("Go binary: found in the cache folder (how it got there is not recorded)")
    peer.version = f"{_pkg_version(python, 'kubernetes-mcp-server')} (binary {done.stdout.strip()})"
    kubeconfig = scratch / "kubeconfig-dummy"
    kubeconfig.write_text(KUBECONFIG)
    helptext = run([str(exe), "--help"], timeout=120, env=env).stdout
    m = re.search(r"available toolsets: ([^)]*)\)", helptext)
    every = ",".join(t.strip() for t in m.group(1).split(",")) if m else ""
    variants = {"default": [], "all toolsets": ["--toolsets", every] if every else None}
    for label, extra in variants.items():
        if extra is None:
            peer.data[label] = {"error": "could not read the toolset list from --help"}
            continue
        listed = run([str(python), str(BENCH_DIR / "peers" / "mcp_tools.py"), str(exe), "--kubeconfig",
                      str(kubeconfig), *extra], timeout=300, env=env)
        if listed.returncode:
            peer.data[label] = {"error": tail(listed.stderr, 3)}
            continue
        try:
            peer.data[label] = json.loads(listed.stdout)
        except ValueError:
            peer.data[label] = {"error": f"unreadable output {listed.stdout[:200]!r}"}
        peer.data[label]["toolsets"] = every if extra else "default (core, config)"
    default = peer.data.get("default", {})
    if "error" in default:
        peer.status = f"does not run: tools/list failed: {default['error']}"
    else:
        peer.status = "ok"
    return peer


def _platform_binary(python: Path) -> str:
    plat = run([str(python), "-c", "from kubernetes_mcp_server.kubernetes_mcp_server import get_platform_binary;"
                "print(get_platform_binary())"], timeout=60)
    return plat.stdout.strip() if plat.returncode == 0 else ""


def _binary_from_npm(python: Path, home: Path, binary: str) -> tuple[bool, str]:
    """The same upstream release binary as published on npm (per-platform packages), put where the
    PyPI wrapper looks for it, the PyPI wrapper pinned to the same version."""
    if not binary:
        return False, "cannot tell which platform binary the wrapper wants"
    if shutil.which("npm") is None:
        return False, "npm is not installed"
    view = run(["npm", "view", "kubernetes-mcp-server", "version"], timeout=180)
    if view.returncode or not view.stdout.strip():
        return False, f"npm view failed: {tail(view.stderr)}"
    version = view.stdout.strip().splitlines()[-1].strip()
    if _pkg_version(python, "kubernetes-mcp-server") != version:
        pin = run([str(python), "-m", "pip", "install", "-q", f"kubernetes-mcp-server=={version}"], timeout=600)
        if pin.returncode:
            return False, f"PyPI has no kubernetes-mcp-server=={version} to match npm: {tail(pin.stderr)}"
    dest = CACHE / "npm"
    dest.mkdir(parents=True, exist_ok=True)
    tgz = dest / f"{binary}-{version}.tgz"
    if not tgz.is_file():
        packed = run(["npm", "pack", f"{binary}@{version}", "--pack-destination", str(dest)], timeout=600)
        if packed.returncode or not tgz.is_file():
            return False, f"npm pack {binary}@{version} failed: {tail(packed.stderr)}"
    target = home / ".kubernetes-mcp-server" / "bin" / version / binary
    target.parent.mkdir(parents=True, exist_ok=True)
    try:
        with tarfile.open(tgz) as tf:
            member = tf.extractfile(f"package/bin/{binary}")
            if member is None:
                raise KeyError(binary)
            target.write_bytes(member.read())
    except (KeyError, tarfile.TarError) as exc:
        return False, f"{tgz.name}: no usable package/bin/{binary} ({exc})"
    target.chmod(0o755)
    return True, (f"GitHub release downloads are unreachable here, so the binary of the same release was taken "
                  f"from the project's npm package {binary}@{version} (npm's latest), and the PyPI wrapper "
                  f"pinned to {version} to match")
