"""`kubectl` and `helm` command lines read as the tool calls they amount to (`k8s_*`, `helm_*`).

`kubectl -n team-a delete pods --all` becomes `k8s_delete {kind: pods, namespace: team-a, all: true}`,
so the same rules and the same facts (reign/policy/classifiers/kubernetes.py) decide it whether it came
as a tool call or through the shell. Verbs with no tool of their own keep their name (`k8s_drain`,
`k8s_exec`) with an effect from KUBECTL_EFFECTS; a verb not in the table is `unknown`.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from reign.policy.facts.cli_options import CommandLine, split

if TYPE_CHECKING:
    from reign.policy.gate import GateCall

KUBECTL_EFFECTS: dict[str, str] = {
    "get": "read", "describe": "read", "logs": "read", "top": "read", "events": "read", "explain": "read",
    "api-resources": "read", "api-versions": "read", "version": "read", "cluster-info": "read", "diff": "read",
    "wait": "read", "auth": "read", "completion": "read", "kustomize": "read", "options": "read", "help": "read",
    "rollout status": "read", "rollout history": "read", "config view": "read", "config get-contexts": "read",
    "config current-context": "read", "config get-clusters": "read", "config get-users": "read",
    "apply": "write", "create": "write", "replace": "write", "patch": "write", "scale": "write", "label": "write",
    "annotate": "write", "set": "write", "edit": "unknown", "autoscale": "write", "expose": "write",
    "rollout restart": "write", "rollout undo": "write", "rollout pause": "write", "rollout resume": "write",
    "cordon": "write", "uncordon": "write", "taint": "write", "cp": "write", "port-forward": "write",
    "proxy": "write", "run": "write", "attach": "write", "debug": "write", "certificate": "write",
    "config": "write", "exec": "write",
    "delete": "destructive", "drain": "destructive",
}
_TOOL_NAMES = {"rollout status": "rollout_status", "rollout restart": "rollout_restart",
               "rollout undo": "rollout_undo", "api-resources": "api_resources", "config get-contexts": "contexts"}
_NODE_VERBS = frozenset({"cordon", "uncordon", "drain", "taint"})
_NO_KIND = frozenset({"version", "cluster-info", "api-resources", "api-versions", "auth", "completion", "config",
                      "kustomize", "options", "help", "proxy", "certificate", "top"})

HELM_EFFECTS: dict[str, str] = {
    "list": "read", "ls": "read", "status": "read", "history": "read", "get": "read", "template": "read",
    "lint": "read", "show": "read", "inspect": "read", "search": "read", "version": "read", "env": "read",
    "verify": "read", "completion": "read", "help": "read", "diff": "read",
    "install": "write", "upgrade": "write", "rollback": "write", "test": "write", "create": "write",
    "package": "write", "pull": "write", "fetch": "write", "push": "write", "repo": "write",
    "dependency": "write", "dep": "write", "registry": "write",
    "uninstall": "destructive", "delete": "destructive", "del": "destructive", "un": "destructive",
    "plugin": "unknown",  # installs and runs code
}
_HELM_TOOL = {"ls": "list", "delete": "uninstall", "del": "uninstall", "un": "uninstall", "inspect": "show",
              "fetch": "pull", "dep": "dependency"}
_HELM_READ_SUB = {"repo": {"list", "ls"}, "dependency": {"list", "ls"}, "dep": {"list", "ls"},
                  "plugin": {"list", "ls"}}


def kubectl_calls(argv: tuple[str, ...], stdin: str | None = None) -> list[GateCall]:
    from reign.policy.gate import GateCall

    line = split(argv, "kubectl")
    words = line.words
    if not words:
        return [GateCall(tool="k8s_help", args={}, effect="read", manager="kubernetes")]
    verb = words[0]
    if len(words) > 1 and f"{verb} {words[1]}" in KUBECTL_EFFECTS:
        verb, rest = f"{verb} {words[1]}", words[2:]
    else:
        rest = words[1:]
    effect = KUBECTL_EFFECTS.get(verb, "unknown")
    if verb in ("apply", "create", "replace") and line.flag("--prune", "--force"):
        effect = "destructive"
    if line.has("--dry-run") and (line.value("--dry-run") or "client") in ("", "client", "server", "true"):
        effect = "read"
    base = _common(line)
    tool = "k8s_" + _TOOL_NAMES.get(verb, verb.replace(" ", "_").replace("-", "_"))
    if effect == "read" and KUBECTL_EFFECTS.get(verb) != "read":
        tool = "k8s_dry_run"  # changes nothing: no write rule may take it for the verb it rehearses
    calls: list[dict[str, Any]] = []
    if verb in _NO_KIND:
        calls.append({})
    elif verb in _NODE_VERBS:
        calls += [{"kind": "node", "name": n} for n in rest[:1]] or [{"kind": "node"}]
    elif verb in ("apply", "create", "replace") and (line.has("-f", "--filename", "-k", "--kustomize")):
        files = line.values("-f", "--filename", "-k", "--kustomize")
        if stdin and all(f in ("", "-") for f in files):  # `-f - <<EOF` (the `-` may be lost)
            calls.append({"manifest": stdin})
        else:
            calls.append({"manifest_files": files})
        tool = "k8s_apply"
    elif verb == "create" and rest:
        calls.append(_create(rest, line))
    elif verb in ("exec", "attach", "cp", "port-forward", "debug", "run"):
        target = rest[0] if rest else ""
        kind, _, name = target.rpartition("/") if "/" in target else ("pod", "", target)
        calls.append({"kind": kind or "pod", "name": name, "command": list(line.rest)})
        if verb == "run" and line.value("--overrides"):
            calls[-1]["patch"] = _json(line.value("--overrides") or "")
        if verb == "debug" and (line.value("--profile") or "") in ("sysadmin", "netadmin"):
            calls[-1]["patch"] = {"securityContext": {"privileged": True}}
    elif line.has("-f", "--filename", "-k", "--kustomize"):
        calls.append({"manifest_files": line.values("-f", "--filename", "-k", "--kustomize")})
    else:
        calls += _kind_names(rest, verb)
    if verb == "patch":
        patch = line.value("-p", "--patch")
        for call in calls:
            call["patch"] = _json(patch or "")
    if verb == "scale" and line.value("--replicas") is not None:
        for call in calls:
            call["replicas"] = line.value("--replicas")
    out = []
    for args in calls[:32]:
        merged = {**base, **{k: v for k, v in args.items() if v not in (None, "")}}
        if "command" in merged and not merged["command"]:
            del merged["command"]
        out.append(GateCall(tool=tool, args=merged, effect=effect, manager="kubernetes"))
    return out


def _scope(line: CommandLine, context_option: str) -> dict[str, Any]:
    """Namespace, all namespaces and context as the tool calls name them (kubectl `--context`, helm
    `--kube-context`)."""
    args: dict[str, Any] = {}
    namespace = line.value("-n", "--namespace")
    if namespace:
        args["namespace"] = namespace
    if line.flag("-A", "--all-namespaces"):
        args["all_namespaces"] = True
    context = line.value(context_option)
    if context:
        args["context"] = context
    return args


def _common(line: CommandLine) -> dict[str, Any]:
    args = _scope(line, "--context")
    selector = line.value("-l", "--selector")
    if selector is not None:
        args["label_selector"] = selector
    if line.value("--field-selector") is not None:
        args["field_selector"] = line.value("--field-selector")
    if line.flag("--all"):
        args["all"] = True
    if line.has("--raw"):
        args["raw"] = True
    return args


def _kind_names(rest: list[str], verb: str) -> list[dict[str, Any]]:
    """`pods a b`, `pod/a deploy/b`, `pods,svc` -> one dict per (kind, name); a kind alone has no name."""
    if not rest:
        return [{}]
    if "/" in rest[0]:
        out = []
        for word in rest:
            kind, _, name = word.partition("/")
            out.append({"kind": kind, "name": name})
        return out
    kinds = [k for k in rest[0].split(",") if k]
    names = rest[1:] or [""]
    if verb in ("label", "annotate", "taint", "set"):
        names = [n for n in names if "=" not in n and not n.endswith("-")] or [""]
    if verb == "set" and len(rest) > 1:  # set image deploy/x c=i
        return _kind_names(rest[1:], "label")
    return [{"kind": k, "name": n} for k in kinds for n in names]


def _create(rest: list[str], line: CommandLine) -> dict[str, Any]:
    kind = rest[0]
    at = 2 if kind in ("secret", "service", "svc") else 1  # create secret generic NAME
    name = rest[at] if len(rest) > at else ""
    args: dict[str, Any] = {"kind": kind, "name": name}
    role = line.value("--clusterrole") or line.value("--role")
    if kind in ("clusterrolebinding", "rolebinding") and role:
        args["role_ref"] = role
    if kind in ("clusterrole", "role"):
        args["rules"] = [{"verbs": line.values("--verb"), "resources": line.values("--resource")}]
    if line.value("--image"):
        args["image"] = line.value("--image")
    return args


def _json(text: str) -> Any:
    import json

    import yaml

    try:
        return json.loads(text)
    except ValueError:
        try:
            return yaml.safe_load(text)
        except yaml.YAMLError:
            return text


def helm_calls(argv: tuple[str, ...]) -> list[GateCall]:
    from reign.policy.gate import GateCall

    line = split(argv, "helm")
    words = line.words
    verb = words[0] if words else "help"
    effect = HELM_EFFECTS.get(verb, "unknown")
    if len(words) > 1 and words[1] in _HELM_READ_SUB.get(verb, set()):
        effect = "read"
    if verb in ("install", "upgrade") and line.has("--dry-run"):
        effect = "read"
    if line.has("--post-renderer"):
        effect = "unknown"  # runs a program of the model's choosing on the rendered manifests
    tool = "helm_" + _HELM_TOOL.get(verb, verb.replace("-", "_"))
    args = _scope(line, "--kube-context")
    rest = words[1:]
    if verb == "install" and line.flag("--generate-name", "-g"):
        args["chart"] = rest[0] if rest else ""
    elif verb in ("install", "upgrade", "template"):
        if rest:
            args["release"] = rest[0]
        if len(rest) > 1:
            args["chart"] = rest[1]
    elif verb in ("uninstall", "delete", "del", "un", "rollback", "status", "history", "get", "test"):
        names = rest[1:] if verb == "get" else rest
        if names:
            args["release"] = names[0]
    elif verb in ("lint", "package", "show", "inspect", "pull", "fetch", "dependency", "dep") and rest:
        args["chart"] = rest[-1]
    if line.values("--set", "--set-string", "--set-json"):
        args["set"] = line.values("--set", "--set-string", "--set-json")
    return [GateCall(tool=tool, args=args, effect=effect, manager="helm")]
