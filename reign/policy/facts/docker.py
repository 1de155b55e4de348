"""`docker` and `docker compose` command lines read as the tool calls they amount to (`docker_*`).

`docker run --privileged -v /:/host busybox sh` becomes `docker_run {image, privileged: true, volumes: [...],
command: [...]}`, so the Docker rules and mount facts (reign/policy/classifiers/docker.py) decide the
shell form exactly as the tool form; the command given to the container goes through the shell gate too.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from reign.policy.facts.cli_options import split

if TYPE_CHECKING:
    from reign.policy.gate import GateCall

DOCKER_EFFECTS: dict[str, str] = {
    "ps": "read", "images": "read", "inspect": "read", "logs": "read", "stats": "read", "top": "read",
    "version": "read", "info": "read", "history": "read", "port": "read", "diff": "read", "events": "read",
    "search": "read", "ls": "read", "df": "read", "help": "read", "config": "read",
    "run": "write", "create": "write", "start": "write", "stop": "write", "restart": "write", "kill": "write",
    "pause": "write", "unpause": "write", "build": "write", "pull": "write", "push": "write", "tag": "write",
    "cp": "write", "commit": "write", "save": "write", "load": "write", "import": "write", "export": "write",
    "login": "write", "logout": "write", "update": "write", "rename": "write", "attach": "write",
    "exec": "write", "wait": "read", "up": "write", "down": "destructive", "use": "write",
    "rm": "destructive", "rmi": "destructive", "prune": "destructive", "remove": "destructive",
    "plugin": "unknown", "buildx": "write", "swarm": "write", "service": "write", "stack": "write",
    "node": "write", "secret": "write", "trust": "write",
}
_GROUPS = frozenset({"container", "image", "network", "volume", "system", "context", "builder", "plugin",
                     "swarm", "service", "stack", "node", "secret", "config", "trust", "buildx", "manifest"})
_TOOLS = {("", "rm"): "docker_rm", ("container", "rm"): "docker_rm", ("", "rmi"): "docker_rmi",
          ("image", "rm"): "docker_rmi", ("network", "rm"): "docker_network_rm",
          ("volume", "rm"): "docker_volume_rm", ("", "ps"): "docker_ps", ("container", "ls"): "docker_ps"}


def docker_calls(argv: tuple[str, ...]) -> list[GateCall]:
    from reign.policy.gate import GateCall

    glob = split(argv, "docker")
    words = glob.words
    if not words:
        return [GateCall(tool="docker_help", args={}, effect="read", manager="docker")]
    group = words[0] if words[0] in _GROUPS else ""
    if not group and words[0] == "compose":
        return compose_calls(tuple(argv[list(argv).index("compose") + 1:]))
    verb_at = argv.index(words[1]) if group and len(words) > 1 else argv.index(words[0])
    verb = words[1] if group and len(words) > 1 else (words[0] if not group else "ls")
    rest_argv = argv[verb_at + 1:]
    effect = DOCKER_EFFECTS.get(verb, "unknown")
    if group == "plugin" and verb not in ("ls", "inspect"):
        effect = "unknown"  # plugins run code on the host with the engine's privileges
    if group in ("context",) and verb in ("ls", "inspect", "show"):
        effect = "read"
    tool = _TOOLS.get((group, verb), f"docker_{group + '_' if group else ''}{verb}")
    args: dict[str, Any] = {}
    if verb in ("run", "create") and group in ("", "container"):
        args = _run_args(rest_argv)
        tool = "docker_run"
    elif verb == "exec":
        line = split(rest_argv, "docker exec")
        args = {"container": line.words[0] if line.words else "", "command": line.words[1:] + line.rest}
        tool = "docker_exec"
    elif verb == "prune":
        line = split(rest_argv)
        args = {"volumes": group == "volume" or line.flag("--volumes"), "all": line.flag("-a", "--all")}
        tool = "docker_prune"
    else:
        line = split(rest_argv)
        if line.words:
            args = {"target": line.words[0]}
    return [GateCall(tool=tool, args=args, effect=effect, manager="docker")]


def _run_args(argv: tuple[str, ...]) -> dict[str, Any]:
    line = split(argv, "docker run")
    args: dict[str, Any] = {"image": line.words[0] if line.words else "",
                            "command": line.words[1:] + line.rest}
    volumes = line.values("-v", "--volume")
    for mount in line.values("--mount"):
        fields = dict(part.partition("=")[::2] for part in mount.split(","))
        source = fields.get("source") or fields.get("src")
        if source and fields.get("type", "volume") == "bind":
            ro = ":ro" if fields.get("readonly", fields.get("ro", "false")).lower() in ("", "true", "1") and (
                "readonly" in fields or "ro" in fields) else ""
            volumes.append(f"{source}:{fields.get('target') or fields.get('dst') or '/mnt'}{ro}")
    if volumes:
        args["volumes"] = volumes
    if line.flag("--privileged"):
        args["privileged"] = True
    for option, key in (("--pid", "pid_mode"), ("--network", "network_mode"), ("--net", "network_mode"),
                        ("--ipc", "ipc_mode"), ("--uts", "uts_mode"), ("--userns", "userns_mode"),
                        ("--cgroupns", "cgroupns_mode")):
        value = line.value(option)
        if value:
            args[key] = value
    caps = line.values("--cap-add")
    if caps:
        args["cap_add"] = [c.upper() for c in caps]
    if line.values("--device"):
        args["devices"] = line.values("--device")
    if any("unconfined" in o or "apparmor" in o for o in line.values("--security-opt")):
        args["security_opt"] = line.values("--security-opt")
    entrypoint = line.value("--entrypoint")
    if entrypoint:
        args["command"] = [entrypoint, *args["command"]]
    return args


def compose_calls(argv: tuple[str, ...]) -> list[GateCall]:
    from reign.policy.gate import GateCall

    line = split(argv, "docker compose")
    verb = line.words[0] if line.words else "help"
    effect = {"ps": "read", "logs": "read", "config": "read", "ls": "read", "images": "read", "top": "read",
              "version": "read", "port": "read", "events": "read", "up": "write", "start": "write",
              "stop": "write", "restart": "write", "build": "write", "pull": "write", "push": "write",
              "create": "write", "run": "write", "exec": "write", "kill": "write", "pause": "write",
              "unpause": "write", "cp": "write", "down": "destructive", "rm": "destructive"}.get(verb, "unknown")
    args: dict[str, Any] = {"project": line.value("-p", "--project-name") or ""}
    if verb == "down":
        args["volumes"] = line.flag("-v", "--volumes")
        args["remove_images"] = line.value("--rmi") or ""
    tool = {"up": "docker_compose_up", "down": "docker_compose_down"}.get(verb, f"docker_compose_{verb}")
    if verb in ("exec", "run"):
        args["service"] = line.words[1] if len(line.words) > 1 else ""
        args["command"] = line.words[2:] + line.rest
        if line.flag("--privileged"):
            args["privileged"] = True
        if line.values("-v", "--volume"):
            args["volumes"] = line.values("-v", "--volume")
    return [GateCall(tool=tool, args=args, effect=effect, manager="docker")]
