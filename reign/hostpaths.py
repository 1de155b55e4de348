"""Host paths that hand over the host when something is given them (a bind mount, a recursive write):
container-engine sockets and system directories. One list for the gate's classifiers and the managers."""

from __future__ import annotations

import os
import re

# Whoever holds one of these sockets runs containers as root on the host.
ENGINE_SOCKETS = (
    "/run/docker.sock",
    "/var/run/docker.sock",
    "/run/containerd/containerd.sock",
    "/var/run/containerd/containerd.sock",
    "/run/podman/podman.sock",
)
SOCKET_DIRS = frozenset({
    "/run", "/var/run", "/run/docker", "/var/run/docker", "/run/containerd", "/var/run/containerd",
    "/run/podman", "/var/run/podman", "/run/user", "/var/run/user",
})
SOCKET_FILE = re.compile(r"(docker|containerd|podman|dockershim|cri-dockerd|crio)[^/]*\.sock$")
SYSTEM_PREFIXES = (
    "/etc", "/boot", "/proc", "/sys", "/dev", "/usr", "/bin", "/sbin", "/lib", "/lib32",
    "/lib64", "/libx32", "/var/lib/docker", "/var/lib/containerd", "/var/lib/kubelet", "/var/log", "/snap",
)
SYSTEM_EXACT = frozenset({"/var", "/var/lib", "/tmp", "/root", "/home"})  # noqa: S108 - a path judged, not used


def engine_sockets(docker_host: str = "") -> list[str]:
    """The known engine sockets, plus the one `docker_host` (unix://...) names, as given and as it really is."""
    sockets = list(ENGINE_SOCKETS)
    if docker_host.startswith("unix://"):
        path = docker_host[len("unix://"):]
        sockets += [path, os.path.realpath(path)]
    return sockets


def holds_socket(path: str, sockets: list[str]) -> bool:
    """`path` is one of the sockets or a directory above one (mounting it hands the socket over)."""
    prefix = path.rstrip("/") + "/"
    return any(sock == path or sock.startswith(prefix) for sock in sockets)
