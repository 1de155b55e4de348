"""The seatbelt behind the gate: every process Reign starts for a tool call runs under bubblewrap.

The gate is policy, and policy is sometimes wrong. Inside the sandbox the filesystem is read-only except
the workspace root, a private /tmp and the state directories the tool declares (`sandbox: {writable:
[...]}` in its YAML); credential stores and Reign's own config, policy, audit and state are hidden unless the
tool declares it needs one (`sandbox: {needs: [...]}`); the process sees only its own process tree (so not
Reign's environment, which holds the model keys); the network is on unless the settings, the tool or a
policy rule (`sandbox: {network: false}`) cut it for the call. Capabilities are dropped when Reign runs as
root, so the process cannot remount its way out.

The executor sets the profile of each call (`confined`); `reign.process` wraps every argv started while it
is set (`wrap`). Outside a tool call nothing is wrapped. Where bubblewrap is missing (macOS, a Linux
without it or without user namespaces) processes run unconfined with a one-line warning, except in
unattended runs, which refuse to start them unless the user opted out in their own config
(`unsandboxed_unattended = true`). The Docker and Kubernetes SDK managers talk to their engines over
sockets and start no process: the sandbox does not apply to them (see docs/SANDBOX.md).
"""

from __future__ import annotations

import functools
import os
import shutil
import subprocess
import sys
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from reign.errors import ReignError, ToolError

if TYPE_CHECKING:
    from reign.config import Settings

# Hidden unless a tool declares it needs one: where credentials live.
CREDENTIAL_STORES = (
    "~/.ssh", "~/.aws", "~/.config/gcloud", "~/.azure", "~/.docker/config.json", "~/.gnupg", "~/.kube",
    "~/.netrc", "~/.git-credentials", "~/.config/gh", "~/.terraform.d/credentials.tfrc.json", "~/.pypirc",
    "~/.password-store", "~/.local/share/keyrings",
    # the Docker engine's socket is root on this machine: only for tools that declare it
    "/var/run/docker.sock", "/run/docker.sock", "$DOCKER_HOST",
)
_SPEC_KEYS = {"writable", "needs", "network"}
_TMP = "/tmp"  # noqa: S108 - the sandbox's private /tmp, a fresh tmpfs per process


class SandboxRefused(ToolError):
    """An unattended run would have started a process with no sandbox."""


@dataclass(frozen=True)
class ToolSandbox:
    """What a tool declares in its YAML: state dirs it writes, hidden paths it needs, whether it may go online.

    Entries are paths: `~/...`, absolute, or `$VAR` (the variable's value; `a:b` lists and a `unix://`
    prefix are understood, so `$KUBECONFIG` and `$DOCKER_HOST` work)."""

    writable: tuple[str, ...] = ()
    needs: tuple[str, ...] = ()
    network: bool = True


def parse_spec(raw: Any, where: str) -> ToolSandbox:
    """A tool's `sandbox:` mapping, checked; ReignError naming `where` otherwise."""
    if raw is None:
        return ToolSandbox()
    if not isinstance(raw, dict) or set(raw) - _SPEC_KEYS:
        raise ReignError(f"{where}: `sandbox` is a mapping with {', '.join(sorted(_SPEC_KEYS))}")
    lists: dict[str, tuple[str, ...]] = {}
    for key in ("writable", "needs"):
        items = raw.get(key) or []
        if not isinstance(items, list) or not all(isinstance(i, str) and i.strip() for i in items):
            raise ReignError(f"{where}: `sandbox.{key}` must be a list of paths")
        for item in items:
            if not item.startswith(("/", "~", "$")):
                raise ReignError(f"{where}: `sandbox.{key}` entry {item!r} must start with /, ~ or $VAR")
            if key == "writable" and item.rstrip("/") in ("", "~", "$HOME"):
                raise ReignError(f"{where}: `sandbox.writable` may not make / or the home directory writable")
        lists[key] = tuple(items)
    network = raw.get("network", True)
    if not isinstance(network, bool):
        raise ReignError(f"{where}: `sandbox.network` must be true or false")
    return ToolSandbox(writable=lists["writable"], needs=lists["needs"], network=network)


@dataclass(frozen=True)
class Profile:
    """Everything `wrap` needs for one call, resolved to real paths."""

    workspace: Path
    writable: tuple[Path, ...] = ()  # declared by the tool, bound read-write
    needs: tuple[Path, ...] = ()  # declared by the tool, shown read-only even when hidden or under /tmp
    hidden: tuple[Path, ...] = ()
    network: bool = True
    enabled: bool = True  # settings.sandbox != "off"
    required: bool = False  # unattended: refuse to start a process without the sandbox
    why_offline: str = ""  # which setting, tool or rule cut the network
    home: Path = field(default_factory=lambda: Path.home())


_current: ContextVar[list[Any] | None] = ContextVar("reign_sandbox_profile", default=None)  # [profile or factory]
_shared: ContextVar[tuple[tuple[Path, bool], ...]] = ContextVar("reign_sandbox_shared", default=())
_warned: set[str] = set()


@contextmanager
def confined(profile: Profile | Callable[[], Profile] | None) -> Iterator[None]:
    """Every process started inside this block (by `reign.process` or a manager) runs under `profile`.
    A factory is called once, when the first process starts: calls that start none pay nothing."""
    token = _current.set(None if profile is None else [profile])
    try:
        yield
    finally:
        _current.reset(token)


def current() -> Profile | None:
    holder = _current.get()
    if holder is None:
        return None
    if not isinstance(holder[0], Profile):
        holder[0] = holder[0]()
    profile: Profile = holder[0]
    return profile


@contextmanager
def share(path: Path, *, writable: bool = False) -> Iterator[Path]:
    """A folder or file Reign itself made (a scratch folder, a copy of an approved plan) that processes
    started inside this block may read (or write): the sandbox's /tmp is private, so it must be shown."""
    token = _shared.set((*_shared.get(), (Path(os.path.realpath(path)), writable)))
    try:
        yield path
    finally:
        _shared.reset(token)


@functools.lru_cache(maxsize=1)
def unavailable_reason() -> str | None:
    """None when bubblewrap runs here, else why not (checked once per process by starting `true` in it)."""
    if sys.platform == "darwin":
        return "macOS has no bubblewrap"
    if not sys.platform.startswith("linux"):
        return f"no sandbox on {sys.platform}"
    binary = shutil.which("bwrap")
    if binary is None:
        return "bubblewrap (bwrap) is not installed (apt-get install bubblewrap)"
    probe = [binary, "--ro-bind", "/", "/", "--dev", "/dev", "--proc", "/proc", "--unshare-pid", "true"]
    try:
        done = subprocess.run(probe, capture_output=True, text=True, timeout=10, stdin=subprocess.DEVNULL)
    except (OSError, subprocess.TimeoutExpired) as exc:
        return f"bwrap does not start: {exc}"
    if done.returncode != 0:
        last = (done.stderr.strip().splitlines() or ["exit status " + str(done.returncode)])[-1]
        return f"bwrap cannot create a sandbox here ({last}; are user namespaces disabled?)"
    return None


# ----------------------------------------------------------------------------------------- paths
def expand(entry: str, env: dict[str, str] | None = None) -> list[Path]:
    """A declared path as real absolute paths: `~`, `$VAR` (split on `:`; `unix://` dropped)."""
    env = dict(os.environ) if env is None else env
    if entry.startswith("$"):
        name, _, rest = entry[1:].partition("/")
        name = name.strip("{}")
        value = env.get(name, "")
        raw = [v.removeprefix("unix://") + (f"/{rest}" if rest else "") for v in value.split(os.pathsep) if v]
    else:
        raw = [entry]
    out = []
    for item in raw:
        path = Path(os.path.expanduser(item))
        if path.is_absolute():
            out.append(Path(os.path.realpath(path)))
    return out


def _within(path: Path, parent: Path) -> bool:
    """The path is the folder itself or lies under it (paths as given: the profile resolved them)."""
    return path == parent or path.is_relative_to(parent)


def reign_private_paths(settings: Settings) -> list[Path]:
    """Reign's own config, policy, audit, state and caches: never shown to a process it starts (the caches hold
    parsed policy and checked examples: writing them would widen what the gate allows)."""
    from reign.config import config_file, state_dir
    from reign.db import dbos_file, sqlite_path
    from reign.policy.rules import user_policy_file
    from reign.yamlcache import cache_dir

    # the config file itself (REIGN_CONFIG may put it anywhere, so not its folder) and ~/.config/reign
    paths = [config_file(), user_policy_file().parent, state_dir(), cache_dir(), settings.audit_dir,
             *settings.policy_files]
    for db in {settings.sessions_db, sqlite_path(settings.database) or settings.sessions_db}:
        for file in (db, dbos_file(db)):  # Reign's database, and the server's DBOS tables beside it
            paths += [file, Path(f"{file}-wal"), Path(f"{file}-shm"), Path(f"{file}-journal")]
    return [Path(os.path.realpath(Path(p).expanduser())) for p in paths]


def profile_for(settings: Settings, spec: ToolSandbox | None, *, unattended: bool,
                offline_rule: str | None = None) -> Profile:
    """The profile of one tool call from the settings, the tool's declaration and the policy."""
    spec = spec or ToolSandbox()
    env = dict(os.environ)
    if settings.docker_host:
        env.setdefault("DOCKER_HOST", settings.docker_host)
    hidden: list[Path] = []
    for entry in [*CREDENTIAL_STORES, *settings.sandbox_hidden]:
        hidden += expand(entry, env)
    hidden += reign_private_paths(settings)
    why = ""
    if not settings.sandbox_network:
        why = "setting sandbox_network = false"
    elif not spec.network:
        why = "the tool declares sandbox: {network: false}"
    elif offline_rule:
        why = f"policy rule {offline_rule}"
    return Profile(
        workspace=Path(os.path.realpath(Path(settings.workspace_root).expanduser())),
        writable=tuple(p for e in spec.writable for p in expand(e, env)),
        needs=tuple(p for e in spec.needs for p in expand(e, env)),
        hidden=tuple(dict.fromkeys(hidden)),
        network=not why,
        enabled=settings.sandbox != "off",
        required=unattended and not settings.unsandboxed_unattended,
        why_offline=why,
    )


# ----------------------------------------------------------------------------------------- wrapping
def bwrap_argv(argv: Sequence[str], profile: Profile, *, cwd: Path | None = None,
               extra_writable: Sequence[Path] = (), extra_readable: Sequence[Path] = ()) -> list[str]:
    """The bubblewrap command line that runs `argv` under `profile` (no check that bwrap exists).

    Later mounts cover earlier ones, so the order is: the whole filesystem read-only; a private /tmp; the
    home and working directory again where they lie under /tmp; the workspace read-write; hidden paths
    covered; then what the tool (or the manager, for its own scratch and clone folders) declared."""
    out = ["bwrap", "--ro-bind", "/", "/", "--dev", "/dev", "--proc", "/proc", "--tmpfs", _TMP,
           "--unshare-pid", "--unshare-ipc", "--die-with-parent"]
    if os.geteuid() == 0:
        out += ["--cap-drop", "ALL"]
    if not profile.network:
        out.append("--unshare-net")
    tmp = Path(_TMP)
    here = Path(os.path.realpath(cwd)) if cwd is not None else None
    # what the command itself runs from, when it lies in the real /tmp the private one covers: the home, the
    # working directory, this Python's environment and absolute paths the argv names (an MCP server's script)
    programs = [Path(os.path.realpath(p)) for p in (sys.prefix, sys.base_prefix)]
    programs += [Path(os.path.realpath(a)) for a in argv if a.startswith("/") and os.path.exists(a)]
    for path in dict.fromkeys((Path(os.path.realpath(profile.home)), here, *programs)):
        if path is not None and path.is_relative_to(tmp) and path.exists() and not _within(path, profile.workspace):
            out += ["--ro-bind", str(path), str(path)]
    extra_rw = [Path(os.path.realpath(p)) for p in extra_writable]
    extra_ro = [Path(os.path.realpath(p)) for p in extra_readable]
    declared = [*profile.needs, *profile.writable, *extra_rw, *extra_ro]
    workspace = profile.workspace
    if workspace.exists():
        out += ["--bind", str(workspace), str(workspace)]

    def hide(path: Path) -> list[str]:
        if path.is_dir():
            return ["--perms", "0555", "--tmpfs", str(path)]  # empty, and nothing can be written into it
        if path.exists():
            return ["--ro-bind", "/dev/null", str(path)]  # nodev: reading it fails with EACCES
        return []

    hidden = [h for h in profile.hidden if not any(_within(h, d) for d in declared)]
    for path in hidden:
        out += hide(path)
    for path in [*profile.needs, *extra_ro]:
        if path.exists() and not any(_within(path, w) for w in (workspace, *profile.writable, *extra_rw)):
            out += ["--ro-bind", str(path), str(path)]
    for path in [*profile.writable, *extra_rw]:
        if path.exists():
            out += ["--bind", str(path), str(path)]
    # a declaration of a parent (say ~/.config) does not uncover the stores inside it (~/.config/gcloud),
    # unless the store itself (or something in it) is declared too
    for path in profile.hidden:
        if any(d != path and _within(path, d) for d in declared) and not any(_within(d, path) for d in declared):
            out += hide(path)
    out += ["--setenv", "TMPDIR", _TMP]
    if here is not None:
        out += ["--chdir", str(here)]
    return [*out, "--", *argv]


def wrap(argv: Sequence[str], *, cwd: Path | None = None, extra_writable: Sequence[Path] = ()) -> list[str]:
    """`argv` as it must be started now: under bubblewrap inside a tool call, unchanged outside one.

    Raises SandboxRefused when the call is unattended and no sandbox can run (unless the user opted out)."""
    profile = current()
    if profile is None:
        return list(argv)
    if not profile.enabled:
        if profile.required:
            raise SandboxRefused(_refusal("the sandbox is turned off (sandbox = \"off\")"))
        return list(argv)
    reason = unavailable_reason()
    if reason is not None:
        if profile.required:
            raise SandboxRefused(_refusal(reason))
        _warn_once(reason)
        return list(argv)
    shared = _shared.get()
    wrapped = bwrap_argv(argv, profile, cwd=cwd, extra_writable=[*extra_writable, *(p for p, w in shared if w)],
                         extra_readable=[p for p, w in shared if not w])
    wrapped[0] = _bwrap()
    return wrapped


@functools.lru_cache(maxsize=1)
def _bwrap() -> str:
    return shutil.which("bwrap") or "bwrap"


def is_wrapped(argv: Sequence[str]) -> bool:
    """Whether `wrap` put this argv under bubblewrap."""
    return bool(argv) and Path(argv[0]).name == "bwrap"


def _refusal(reason: str) -> str:
    return (f"refused: no OS sandbox ({reason}), and an unattended run does not start processes without one. "
            "A person can run it in `reign chat`, or set unsandboxed_unattended = true in "
            "~/.config/reign/config.toml to allow it")


def _warn_once(reason: str) -> None:
    if reason in _warned:
        return
    _warned.add(reason)
    print(f"reign: warning: {reason}: commands run with your full user rights, the policy gate is the only "
          "guard (docs/SANDBOX.md)", file=sys.stderr)


def offline_rule(gate: Any, call: Any, tool: Any) -> str | None:
    """The id of a policy rule with `sandbox: {network: false}` that matches this call, if any."""
    policy, context = getattr(gate, "policy", None), getattr(gate, "context", None)
    if policy is None or context is None:
        return None
    rules = [r for r in policy.active() if getattr(r, "network", True) is False]
    if not rules:
        return None
    from reign.policy.gate import GateCall, rule_matches

    gate_call = GateCall(tool=call.name, args=call.args, effect=tool.effect, manager=tool.manager,
                         command=tool.command)
    return next((r.id for r in rules if rule_matches(r, gate_call, context)), None)


def interrupt(pgid: int, sig: int) -> None:
    """Send `sig` to the processes of group `pgid` started under bubblewrap, but not to the group's leader:
    bwrap's monitor dies of SIGINT and takes the sandbox with it, so a program told to stop cleanly
    (Terraform saving its state) would be killed before it could."""
    for entry in os.scandir("/proc"):
        if not entry.name.isdigit() or int(entry.name) == pgid:
            continue
        try:
            with open(f"/proc/{entry.name}/stat", encoding="ascii", errors="replace") as fh:
                fields = fh.read().rsplit(")", 1)[1].split()
            if int(fields[2]) == pgid:
                os.kill(int(entry.name), sig)
        except (OSError, IndexError, ValueError):
            continue
