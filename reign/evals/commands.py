"""A tool call as one command line: `kubectl ...` (or `helm`, `docker`, `terraform`) where it maps to one.

k8s-ai-bench reads the agent's output after the last `Running:` line, and people read transcripts the
same way; safety tasks match their `mustNotRun` regexes against these lines. The line is a rendering
for reading and matching, never something that is executed.
"""

from __future__ import annotations

import json
import shlex
from collections.abc import Callable
from typing import Any

Args = dict[str, Any]


def _q(value: Any) -> str:
    return shlex.quote(str(value))


def _ns(args: Args) -> list[str]:
    if args.get("all_namespaces"):
        return ["-A"]
    return ["-n", _q(args["namespace"])] if args.get("namespace") else []


def _kind_name(args: Args, kind_default: str = "") -> list[str]:
    kind = args.get("kind") or kind_default
    if not kind:
        raise KeyError("kind")
    parts = [_q(kind)]
    if args.get("name"):
        parts.append(_q(args["name"]))
    return parts


def _k8s_get(a: Args) -> list[str]:
    out = ["kubectl", "get", *_kind_name(a), *_ns(a)]
    if a.get("label_selector"):
        out += ["-l", _q(a["label_selector"])]
    if a.get("field_selector"):
        out += ["--field-selector", _q(a["field_selector"])]
    return out


def _k8s_delete(a: Args) -> list[str]:
    out = ["kubectl", "delete", *_kind_name(a), *_ns(a)]
    if a.get("label_selector"):
        out += ["-l", _q(a["label_selector"])]
    if a.get("all"):
        out.append("--all")
    return out


def _k8s_patch(a: Args) -> list[str]:
    patch = a.get("patch")
    text = patch if isinstance(patch, str) else json.dumps(patch, separators=(",", ":"))
    return ["kubectl", "patch", *_kind_name(a), *_ns(a), "--type", _q(a.get("patch_type") or "strategic"),
            "-p", _q(text)]


def _helm_release(verb: str) -> Callable[[Args], list[str]]:
    def render(a: Args) -> list[str]:
        out = ["helm", verb, _q(a.get("release", ""))]
        if a.get("chart"):
            out.append(_q(a["chart"]))
        if a.get("revision") is not None:
            out.append(_q(a["revision"]))
        out += ["-n", _q(a["namespace"])] if a.get("namespace") else []
        values = a.get("set") or {}
        for item in (values.items() if isinstance(values, dict) else []):
            out += ["--set", _q(f"{item[0]}={item[1]}")]
        return out
    return render


def _tf(verb: str) -> Callable[[Args], list[str]]:
    return lambda a: ["terraform", f"-chdir={_q(a.get('dir') or '.')}", verb]


_RENDER: dict[str, Callable[[Args], list[str]]] = {
    "k8s_get": _k8s_get,
    "k8s_describe": lambda a: ["kubectl", "describe", *_kind_name(a), *_ns(a)],
    "k8s_logs": lambda a: ["kubectl", "logs", _q(a.get("pod", "")), *_ns(a)]
    + (["-c", _q(a["container"])] if a.get("container") else []) + (["--previous"] if a.get("previous") else []),
    "k8s_events": lambda a: ["kubectl", "get", "events", *_ns(a)]
    + (["--field-selector", "type=Warning"] if a.get("warnings_only") else []),
    "k8s_rollout_status": lambda a: ["kubectl", "rollout", "status", f"{a.get('kind') or 'deployment'}/{a['name']}",
                                     *_ns(a)],
    "k8s_rollout_restart": lambda a: ["kubectl", "rollout", "restart",
                                      f"{a.get('kind') or 'deployment'}/{a['name']}", *_ns(a)],
    "k8s_rollout_undo": lambda a: ["kubectl", "rollout", "undo", f"deployment/{a['name']}", *_ns(a)]
    + ([f"--to-revision={a['to_revision']}"] if a.get("to_revision") else []),
    "k8s_scale": lambda a: ["kubectl", "scale", f"{a.get('kind') or 'deployment'}/{a['name']}",
                            f"--replicas={a.get('replicas')}", *_ns(a)],
    "k8s_apply": lambda a: ["kubectl", "apply", *_ns(a), "-f", "-"],
    "k8s_patch": _k8s_patch,
    "k8s_delete": _k8s_delete,
    "k8s_top": lambda a: ["kubectl", "top", _q(a.get("kind") or "pods"), *_ns(a)],
    "k8s_contexts": lambda a: ["kubectl", "config", "get-contexts"],
    "k8s_namespaces": lambda a: ["kubectl", "get", "namespaces"],
    "k8s_api_resources": lambda a: ["kubectl", "api-resources"],
    "helm_list": lambda a: ["helm", "list", *(["-A"] if a.get("all_namespaces") else _ns(a))],
    "helm_status": _helm_release("status"),
    "helm_history": _helm_release("history"),
    "helm_install": _helm_release("install"),
    "helm_upgrade": _helm_release("upgrade"),
    "helm_rollback": _helm_release("rollback"),
    "helm_uninstall": _helm_release("uninstall"),
    "docker_ps": lambda a: ["docker", "ps", *(["-a"] if a.get("all") else [])],
    "docker_logs": lambda a: ["docker", "logs", _q(a.get("container", ""))],
    "docker_inspect": lambda a: ["docker", "inspect", _q(a.get("container", ""))],
    "docker_start": lambda a: ["docker", "start", _q(a.get("container", ""))],
    "docker_stop": lambda a: ["docker", "stop", _q(a.get("container", ""))],
    "docker_restart": lambda a: ["docker", "restart", _q(a.get("container", ""))],
    "docker_rm": lambda a: ["docker", "rm", *(["-f"] if a.get("force") else []), _q(a.get("container", ""))],
    "docker_prune": lambda a: ["docker", "system", "prune", "-f"],
    "terraform_init": _tf("init"),
    "terraform_validate": _tf("validate"),
    "terraform_plan": lambda a: [*_tf("plan")(a), *(["-destroy"] if a.get("destroy") else [])],
    "terraform_apply": _tf("apply"),
    "terraform_destroy": _tf("destroy"),
    "terraform_output": _tf("output"),
    "terraform_state_list": lambda a: ["terraform", f"-chdir={_q(a.get('dir') or '.')}", "state", "list"],
}


def command_line(tool: str, args: Args) -> str:
    """`kubectl get pods -n shop` for k8s_get, the raw command for bash, else `tool {json args}`."""
    if tool == "bash" and isinstance(args.get("command"), str):
        return str(args["command"])
    render = _RENDER.get(tool)
    if render is not None:
        try:
            return " ".join(render(args))
        except (KeyError, TypeError):
            pass  # a malformed call: show it as it came
    return f"{tool} {json.dumps(args, sort_keys=True, ensure_ascii=False)}"
