"""`terraform` command lines read as the tool calls they amount to, and which stacks are production.

`cd infra/prod && terraform apply -auto-approve` becomes `terraform_apply {dir: infra/prod}`; a stack is
production when its directory or workspace matches a pattern of the user's `terraform_production`
setting (never a project's), and then nothing but reads may touch it.
"""

from __future__ import annotations

import fnmatch
import posixpath
from typing import TYPE_CHECKING, Any

from reign.policy.facts.cli_options import split

if TYPE_CHECKING:
    from reign.policy.gate import GateCall, GateContext

TERRAFORM_EFFECTS: dict[str, str] = {
    "plan": "read", "validate": "read", "show": "read", "output": "read", "version": "read", "providers": "read",
    "graph": "read", "console": "read", "fmt": "write", "init": "write", "get": "write", "apply": "write",
    "import": "write", "refresh": "write", "taint": "write", "untaint": "write", "login": "write",
    "logout": "write", "force-unlock": "write", "test": "write", "modules": "read", "metadata": "read",
    "destroy": "destructive",
    "state list": "read", "state show": "read", "state pull": "read", "state mv": "write",
    "state replace-provider": "write", "state push": "destructive", "state rm": "destructive",
    "workspace list": "read", "workspace show": "read", "workspace select": "write", "workspace new": "write",
    "workspace delete": "destructive",
}


def terraform_calls(argv: tuple[str, ...], cwd: str | None, env: dict[str, str]) -> list[GateCall]:
    from reign.policy.gate import GateCall

    line = split(argv, "terraform")
    words = line.words
    verb = words[0] if words else "help"
    if len(words) > 1 and f"{verb} {words[1]}" in TERRAFORM_EFFECTS:
        verb = f"{verb} {words[1]}"
    effect = TERRAFORM_EFFECTS.get(verb, "read" if verb in ("help", "-help") else "unknown")
    if verb == "fmt" and line.has("-check"):
        effect = "read"
    if verb == "apply" and line.has("-destroy"):
        verb, effect = "destroy", "destructive"
    if verb == "plan" and line.has("-out"):
        effect = "write"
    chdir = line.value("-chdir")
    if cwd is None:  # the shell lost track of the directory (cd "$X"): any stack could be meant
        return [GateCall(tool="terraform_" + verb.replace(" ", "_").replace("-", "_"), args={"dir_unknown": True},
                         effect=effect, manager="terraform")]
    base = cwd
    workdir = posixpath.normpath(posixpath.join(base, chdir)) if chdir else posixpath.normpath(base)
    args: dict[str, Any] = {"dir": workdir}
    workspace = env.get("TF_WORKSPACE")
    if verb in ("workspace select", "workspace new", "workspace delete") and len(words) > 2:
        workspace = words[2]
    if workspace:
        args["workspace"] = workspace
    if line.has("-target"):
        args["target"] = line.values("-target")
    tool = "terraform_" + verb.replace(" ", "_").replace("-", "_")
    return [GateCall(tool=tool, args=args, effect=effect, manager="terraform")]


def facts(tool: str, args: dict[str, Any], ctx: GateContext) -> set[str]:
    out: set[str] = set()
    patterns = tuple(getattr(ctx, "terraform_production", ()) or ())
    if not patterns:
        return out
    if args.get("dir_unknown"):
        out.add("production_stack")
        return out
    names = [str(args.get("workspace") or "")]
    directory = str(args.get("dir") or "")
    root = str(getattr(ctx, "workspace_root", "") or "").rstrip("/")
    if directory:
        full = posixpath.normpath(directory if directory.startswith("/") else posixpath.join(root or "/", directory))
        names += [directory.strip("/"), full]
        if root and (full == root or full.startswith(root + "/")):
            names.append(posixpath.relpath(full, root))
    if any(n and fnmatch.fnmatchcase(n, p) for n in names for p in patterns):
        out.add("production_stack")
    return out
