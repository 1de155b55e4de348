"""Facts: what a call really does, the same whether it came as a tool call or as a shell command.

- `shell_calls(segment, ctx)`: a simple command of a known CLI (kubectl, helm, terraform, docker and
  compose, gh, git push, curl/wget/httpie against the GitHub API) read as the tool calls it amounts to.
  The gate then decides those with the same rules and facts as the tool form.
- `call_facts(call, ctx)`: the facts of a tool call from its manager's classifier (a classifier that
  cannot be imported raises FactsUnavailable: the gate fails closed), plus `path_outside_workspace`.
- `call_targets(call, ctx)`: kinds, namespaces, names and contexts a call touches (rules' `target:`).
- `embedded_commands(call)`: command strings inside tool arguments (docker exec/run commands, compose
  service commands, `run:` steps of workflow files a change proposes, workflow dispatch inputs), which
  the gate decides as shell commands too.
Pure functions, no I/O.
"""

from __future__ import annotations

import importlib
import posixpath
import shlex
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from reign.policy.bash import Segment
    from reign.policy.gate import GateCall, GateContext

_CLASSIFIERS = {
    "docker": "reign.policy.classifiers.docker",
    "kubernetes": "reign.policy.classifiers.kubernetes",
    "helm": "reign.policy.classifiers.kubernetes",
    "github": "reign.policy.classifiers.github",
    "terraform": "reign.policy.facts.terraform",
}
_PATH_KEYS = ("dir", "path", "chart", "file", "workflow", "values_files", "destination", "dockerfile")
_PATH_MANAGERS = frozenset({"terraform", "helm", "cicd", "docker"})
KNOWN_CLIS = frozenset({"kubectl", "oc", "helm", "terraform", "docker", "docker-compose", "podman", "nerdctl", "gh",
                        "git", "curl", "wget", "http", "https", "xh"})


class FactsUnavailable(Exception):
    """A manager's classifier could not be loaded: nothing about the call can be judged."""


def call_facts(call: GateCall, ctx: GateContext) -> set[str]:
    module = _CLASSIFIERS.get(call.manager)
    found: set[str] = set()
    if module is not None:
        try:
            mod = importlib.import_module(module)
        except Exception as exc:  # an import that fails must not read as "no facts": fail closed
            raise FactsUnavailable(f"the {call.manager} classifier failed to load: {exc}") from exc
        found = set(mod.facts(call.tool, call.args, ctx))
    if call.manager in _PATH_MANAGERS and outside_workspace(call.args, ctx):
        found.add("path_outside_workspace")
    return found


def call_targets(call: GateCall, ctx: GateContext) -> dict[str, list[str]]:
    if call.manager in ("kubernetes", "helm"):
        from reign.policy.classifiers.kubernetes import targets

        return targets(call.tool, call.args, ctx)
    return {}


def outside_workspace(args: dict[str, Any], ctx: GateContext) -> list[str]:
    """Path-like arguments that are absolute (or `~`) outside the workspace root, or climb out of it."""
    root = posixpath.normpath(str(getattr(ctx, "workspace_root", "") or "/"))
    bad = []
    for key in _PATH_KEYS:
        value = args.get(key)
        for item in value if isinstance(value, list) else [value]:
            if not isinstance(item, str) or not item or "://" in item:
                continue
            if item.startswith("~"):
                bad.append(item)
                continue
            full = posixpath.normpath(posixpath.join(root, item))
            if not (item.startswith("/") or ".." in item):
                continue
            if root != "/" and full != root and not full.startswith(root + "/"):
                bad.append(item)
    return bad


def shell_calls(seg: Segment, ctx: GateContext) -> list[GateCall] | None:
    """The tool calls a simple command of a known CLI amounts to; None when it is not one."""
    program = seg.program
    argv = tuple(seg.argv[1:])
    if program in ("kubectl", "oc", "k"):  # `k`: the usual alias, judged as what it stands for
        from reign.policy.facts.kubernetes import kubectl_calls

        return kubectl_calls(argv, getattr(seg, "stdin_literal", None))
    if program == "helm":
        from reign.policy.facts.kubernetes import helm_calls

        return helm_calls(argv)
    if program in ("docker", "podman", "nerdctl"):
        from reign.policy.facts.docker import docker_calls

        return docker_calls(argv)
    if program == "docker-compose":
        from reign.policy.facts.docker import compose_calls

        return compose_calls(argv)
    if program == "terraform":
        from reign.policy.facts.terraform import terraform_calls

        return terraform_calls(argv, getattr(seg, "cwd", None), dict(getattr(seg, "env", None) or {}))
    if program == "gh":
        from reign.policy.facts.github import gh_calls

        return gh_calls(argv)
    if program == "git":
        from reign.policy.facts.github import git_push_calls

        return git_push_calls(argv) or None
    if program in ("curl", "wget", "http", "https", "xh"):
        from reign.policy.facts.github import http_calls

        hosts = ("api.github.com", *_api_hosts(ctx))
        return http_calls(program, argv, hosts) or None
    return None


def _api_hosts(ctx: GateContext) -> tuple[str, ...]:
    base = str((getattr(ctx, "extra", None) or {}).get("github_base_url") or "")
    host = base.split("://", 1)[-1].split("/", 1)[0]
    return (host,) if host and host != "api.github.com" else ()


def embedded_commands(call: GateCall) -> list[tuple[str, str]]:
    """(command text, where it runs) for each command string inside a tool call's arguments.

    "live": inside a running workload (docker exec, kubectl exec): counted like a shell command there.
    "new": in a container this call starts (docker run, compose, kubectl run): its denials, its rules'
    asks and a destructive effect count (a volume's data is real), an unknown program is its own business.
    "later": elsewhere, later (workflow `run:` steps of a proposed change, dispatch inputs): it can only be
    stopped, not approved, so only its denials count. Container paths are never the host's."""
    args = call.args
    out: list[tuple[str, str]] = []
    if call.tool in ("docker_exec", "k8s_exec", "k8s_attach"):
        out += [(c, "live") for c in [_command_text(args.get("command"))] if c]
    if call.tool in ("docker_run", "k8s_debug", "k8s_run") or call.tool.startswith("docker_compose_"):
        out += [(c, "new") for c in [_command_text(args.get("command"))] if c]
    if call.tool == "docker_compose_up" and isinstance(args.get("services"), dict):
        for spec in args["services"].values():
            if isinstance(spec, dict):
                for key in ("command", "entrypoint"):
                    text = _command_text(spec.get(key))
                    if text:
                        out.append((text, "new"))
    if call.tool == "github_propose_change":
        for edit in args.get("edits") or []:
            if isinstance(edit, dict) and ".github/" in str(edit.get("path", "")):
                out += [(step, "later") for step in _run_steps(edit)]
    if call.tool == "github_dispatch_workflow" and isinstance(args.get("inputs"), dict):
        out += [(str(v), "later") for v in args["inputs"].values() if isinstance(v, str) and v.strip()]
    return out


def _command_text(value: Any) -> str:
    if isinstance(value, list) and value:
        words = [str(w) for w in value]
        if len(words) >= 3 and words[0].rsplit("/", 1)[-1] in ("sh", "bash", "ash", "dash") and words[1] == "-c":
            return words[2]
        return shlex.join(words)
    return value if isinstance(value, str) else ""


def _run_steps(edit: dict[str, Any]) -> list[str]:
    """`run:` steps of a workflow file an edit writes (the whole content, or the replacement text)."""
    import yaml

    text = str(edit.get("content") or edit.get("replace") or "")
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError:
        data = None
    steps: list[str] = []
    stack: list[Any] = [data]
    while stack:
        item = stack.pop()
        if isinstance(item, dict):
            for key, value in item.items():
                if key == "run" and isinstance(value, str):
                    steps.append(value)
                else:
                    stack.append(value)
        elif isinstance(item, list):
            stack.extend(item)
    if data is None or not steps:  # a fragment (search/replace): take `run:` lines as they are
        steps += [line.split("run:", 1)[1].strip() for line in text.splitlines()
                  if line.strip().startswith(("run:", "- run:")) and line.split("run:", 1)[1].strip() not in
                  ("", "|", ">")]
    return steps
