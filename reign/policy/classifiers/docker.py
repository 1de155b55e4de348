"""Facts about Docker calls that a plain argument predicate cannot express: what a bind mount exposes.

Volumes are "source:target[:mode]" strings (docker_run `volumes`, docker_compose_up `services.*.volumes`);
dict shapes ({host: {bind, mode}} and compose's long form {type, source, target}) are read too. A source
that starts with `/` (or `~`) is a host path; anything else is a named volume, or a relative path that
the manager confines to the workspace. Paths are normalised (`//`, `/./`, `..`) before they are judged.

Facts:
  host_root_mount      the host's `/` is bind-mounted
  docker_socket_mount  a Docker/containerd/podman socket, or a directory holding one (/run, /var/run...);
                       the engine's own unix socket too when the gate context carries extra["docker_host"]
  host_system_mount    a host system path (/etc, /proc, /sys, /dev, /boot, /usr, /var/lib/docker...) or a
                       whole home (/root, /home, /home/NAME); a project under a home is not one
  host_credentials_mount  a credentials directory or file (~/.ssh, ~/.aws, ~/.kube, ~/.docker, secrets...)
  host_takeover_mount  a mount that hands over the host: /, /etc, /root, /home, /var, /usr, /boot, /dev, a home
                       (read-only /proc, /sys, /run aside), or any writable mount under a system path
  host_device          a raw block device or kernel memory passed in (`devices`)
  host_namespaces      the host's IPC, user, UTS or cgroup namespace (`ipc_mode: host`...)
"""

from __future__ import annotations

import posixpath
import re
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

from reign.hostpaths import ENGINE_SOCKETS as KNOWN_SOCKETS
from reign.hostpaths import SOCKET_DIRS, SYSTEM_EXACT, SYSTEM_PREFIXES, holds_socket
from reign.hostpaths import SOCKET_FILE as _SOCKET_FILE

if TYPE_CHECKING:
    from reign.policy.gate import GateContext

_HOME_DIR = re.compile(r"^/home/[^/]+$")
_CREDENTIALS = re.compile(
    r"/(\.ssh|\.aws|\.kube|\.docker|\.gnupg|\.azure|\.config/gcloud|\.config/gh|\.netrc|\.git-credentials"
    r"|\.pgpass|\.terraform\.d|secrets)(/|$)"
)
_RUN_USER = re.compile(r"^/(var/)?run/user/\d+(/docker|/podman)?$")


def facts(tool: str, args: dict[str, Any], ctx: GateContext) -> set[str]:
    out: set[str] = set()
    home = getattr(ctx, "home", "") or "/root"
    sockets = list(KNOWN_SOCKETS)
    engine = str((getattr(ctx, "extra", None) or {}).get("docker_host") or "")
    if engine.startswith("unix://"):
        sockets.append(posixpath.normpath("/" + engine[len("unix://"):].lstrip("/")))
    for key in ("ipc_mode", "userns_mode", "uts_mode", "cgroupns_mode"):
        if args.get(key) == "host":
            out.add("host_namespaces")
    for device in args.get("devices") or []:
        if isinstance(device, str) and _BLOCK_DEVICE.match(device.split(":")[0]):
            out.add("host_device")
    for source, read_only in _host_sources(tool, args):
        path = bind_source_path(source, home)
        if path is None:
            continue
        if _takeover(path, read_only, home):
            out.add("host_takeover_mount")
        if path == "/":
            out.add("host_root_mount")
        if (
            path in SOCKET_DIRS
            or _SOCKET_FILE.search(path)
            or _RUN_USER.match(path)
            or holds_socket(path, sockets)
        ):
            out.add("docker_socket_mount")
        if (
            path in SYSTEM_EXACT
            or _HOME_DIR.match(path)
            or any(path == p or path.startswith(p + "/") for p in SYSTEM_PREFIXES)
        ):
            out.add("host_system_mount")
        if _CREDENTIALS.search(path):
            out.add("host_credentials_mount")
    return out


_TAKEOVER_EXACT = frozenset({"/", "/home", "/var", "/etc", "/root", "/proc", "/sys", "/dev", "/run", "/var/run",
                             "/boot", "/usr"})
_READ_ONLY_OK = frozenset({"/proc", "/sys", "/var/run", "/run"})
_BLOCK_DEVICE = re.compile(r"^/dev/(sd|nvme|vd|xvd|hd|mmcblk|dm-|md|loop|mapper/|mem$|kmem$|port$)")


def _takeover(path: str, read_only: bool, home: str) -> bool:
    """The same judgement the shell form makes (`docker run -v`): a read-only /etc/localtime is fine."""
    if path in _TAKEOVER_EXACT or path == home.rstrip("/"):
        return not (read_only and path in _READ_ONLY_OK)
    if read_only:
        return False
    return bool(_HOME_DIR.match(path)) or any(path.startswith(p + "/") for p in (*SYSTEM_PREFIXES, "/root"))


def bind_source_path(source: str, home: str = "/root") -> str | None:
    """Absolute, normalised host path of a bind source, or None for a named volume or relative path."""
    source = source.replace('"', "").replace("'", "")  # `-v "$HOME":/h` as written
    for var in ("${HOME}", "$HOME"):
        if source == var or source.startswith(var + "/"):
            source = home.rstrip("/") + source[len(var):]
    if source == "~" or source.startswith("~/"):
        source = home.rstrip("/") + source[1:]
    if not source.startswith("/"):
        return None
    return posixpath.normpath("/" + source.lstrip("/"))


def _host_sources(tool: str, args: dict[str, Any]) -> Iterator[tuple[str, bool]]:
    """(bind source, read-only) of every mount a call asks for."""
    yield from _sources(args.get("volumes"))
    services = args.get("services")
    if tool.startswith("docker_compose") and isinstance(services, dict):
        for spec in services.values():
            if isinstance(spec, dict):
                yield from _sources(spec.get("volumes"))


def _sources(volumes: Any) -> Iterator[tuple[str, bool]]:
    if isinstance(volumes, dict):  # docker SDK shape: {host_path: {"bind": ..., "mode": ...}}
        for key, spec in volumes.items():
            mode = spec.get("mode", "") if isinstance(spec, dict) else ""
            yield str(key), "ro" in str(mode).split(",")
        return
    if not isinstance(volumes, list):
        return
    for item in volumes:
        if isinstance(item, str):
            parts = item.split(":")
            if len(parts) >= 2:  # a lone "/path" is an anonymous volume at that container path
                yield parts[0], "ro" in ",".join(parts[2:]).split(",")
        elif isinstance(item, dict):
            src = item.get("source", item.get("src", item.get("host")))
            if isinstance(src, str) and item.get("type", "bind") == "bind":
                yield src, bool(item.get("read_only") or item.get("readonly"))
