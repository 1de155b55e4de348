"""Facts about one simple shell command that a glob on its arguments cannot express."""

from __future__ import annotations

import fnmatch
import re
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from reign.policy.gate import GateContext

_RECURSIVE = re.compile(r"^(-[a-zA-Z]*[rR][a-zA-Z]*|--recursive)$")
_FORCE = re.compile(r"^(-[a-zA-Z]*f[a-zA-Z]*|--force|--force-with-lease(=.*)?|--mirror|--delete|-d)$")
# Credentials are recognised in code (one list) so that "read with one program, send with another"
# in the same call can be caught as exfiltration; the YAML decides what reading them alone means.
CREDENTIAL_GLOBS = (
    "~/.ssh/*", "*/.ssh/*", ".ssh/*", "~/.aws/*", "*/.aws/credentials", "*/.aws/config", "~/.kube/config*",
    "*/.kube/config*", "~/.docker/config.json", "*/.docker/config.json", "~/.config/gcloud/*", "~/.azure/*",
    "~/.netrc", "*/.netrc", "~/.git-credentials", "*/.git-credentials", "~/.pgpass", "~/.gnupg/*",
    "~/.config/gh/hosts.yml", "~/.terraform.d/credentials*", "/etc/shadow", "/etc/gshadow", "/etc/sudoers*",
    ".env", "*/.env", ".env.local", "*/.env.local", ".env.production", "*/.env.production",
    "/proc/*/environ", "/proc/self/environ", "*id_rsa*", "*id_ed25519*", "*id_ecdsa*", "*.pem", "*.key",
    "*.p12", "*.pfx", "*.tfstate", "*.tfstate.backup", "*/secrets/*", "/var/run/secrets/*", "/run/secrets/*",
)
NETWORK_SENDERS = frozenset({
    "curl", "wget", "nc", "ncat", "netcat", "socat", "scp", "sftp", "rsync", "ssh", "ftp", "tftp", "telnet",
    "http", "https", "xh", "openssl", "aws", "gsutil", "rclone", "mail", "sendmail", "dig", "nslookup", "host",
})
# Variables that change which program runs or what it loads: an `ls` under them is not a plain `ls`.
RISKY_ENV = re.compile(
    r"^(PATH|LD_[A-Z_]+|DYLD_[A-Z_]+|BASH_ENV|ENV|PROMPT_COMMAND|SHELLOPTS|BASHOPTS|IFS|PS4|GIT_[A-Z_]+|"
    r"PAGER|MANPAGER|LESSOPEN|LESSCLOSE|EDITOR|VISUAL|PYTHONPATH|PYTHONSTARTUP|PYTHONHOME|PERL5LIB|PERL5OPT|"
    r"PERLLIB|RUBYOPT|RUBYLIB|NODE_OPTIONS|NODE_PATH|KUBECONFIG|KUBECTL_[A-Z_]+|DOCKER_HOST|DOCKER_CONFIG|"
    r"HELM_[A-Z_]+|TF_CLI_[A-Z_]+|TF_PLUGIN_[A-Z_]+|AWS_PROFILE|AWS_CONFIG_FILE|SSH_ASKPASS|SUDO_ASKPASS)=")
_LEADING_ASSIGNMENTS = re.compile(r"^\s*((?:[A-Za-z_][A-Za-z0-9_]*=(?:'[^']*'|\"[^\"]*\"|\S)*\s+)+)")
_ENV_DUMP_OPTIONS = {"export": {"-p"}, "declare": {"-p", "-x", "-px", "-xp"}, "typeset": {"-p", "-x"}}


def segment_facts(seg: Any, ctx: GateContext) -> set[str]:
    prog, args = seg.program, list(seg.argv[1:])
    facts: set[str] = set()
    if any(_RECURSIVE.match(a) for a in args) or (prog == "rm" and "-r" in "".join(args)):
        facts.add("recursive")
    from reign.policy.gate import normal_path

    words = [(w.split("=", 1)[1] if "=" in w else w).lstrip("@") for w in args] + [r.target for r in seg.redirects]
    if any(fnmatch.fnmatchcase(normal_path(w, ctx), g) for w in words for g in CREDENTIAL_GLOBS):
        facts.add("credential_path")
    leading = _LEADING_ASSIGNMENTS.match(seg.text)
    assignments = leading.group(1).split() if leading else []
    if prog == "env":
        assignments += [a for a in args if "=" in a and not a.startswith("-")]
    if any(RISKY_ENV.match(a) for a in assignments):
        facts.add("risky_env")
    if prog in ("env", "printenv") and not [a for a in args if not a.startswith("-")]:
        facts.add("env_dump")
    if prog == "set" and not args:
        facts.add("env_dump")
    if prog in _ENV_DUMP_OPTIONS and args and all(a in _ENV_DUMP_OPTIONS[prog] for a in args):
        facts.add("env_dump")
    if prog == "git" and "push" in args:
        facts |= _git_push_facts(args[args.index("push") + 1:], ctx)
    if prog == "kubectl":
        facts |= _kubectl_facts(args, ctx)
    return facts


def _git_push_facts(args: list[str], ctx: GateContext) -> set[str]:
    forced = any(_FORCE.match(a) for a in args) or any(a.startswith("+") for a in args)
    if not forced:
        return set()
    refs = [a.lstrip("+").split(":")[-1].removeprefix("refs/heads/") for a in args if not a.startswith("-")]
    branches = refs[1:] if len(refs) > 1 else []
    if not branches or any(_protected(b, ctx.protected_branches) for b in branches):
        return {"force_push", "force_push_protected"}
    return {"force_push"}


def _protected(name: str, patterns: tuple[str, ...]) -> bool:
    return any(fnmatch.fnmatchcase(name, p) for p in patterns)


def _kubectl_facts(args: list[str], ctx: GateContext) -> set[str]:
    words = [a for a in args if not a.startswith("-")]
    if not words or words[0] != "delete":
        return set()
    namespace = ""
    for i, a in enumerate(args):
        if a in ("-n", "--namespace") and i + 1 < len(args):
            namespace = args[i + 1]
        elif a.startswith("--namespace="):
            namespace = a.split("=", 1)[1]
    targets = [t for w in words[1:] for t in w.split(",")]
    kinds = {t.split("/")[0] for t in targets}
    named_ns = [t.split("/", 1)[1] for t in targets if t.split("/")[0] in ("ns", "namespace", "namespaces")
                and "/" in t]
    if kinds & {"ns", "namespace", "namespaces"} and len(words) > 2:
        named_ns += words[2:]
    protected = set(ctx.protected_namespaces)
    everything = "--all" in args or "--all-namespaces" in args or "-A" in args
    if (set(named_ns) & protected) or (kinds & {"ns", "namespace", "namespaces"} and everything):
        return {"deletes_protected_namespace"}
    if everything and (namespace in protected or "-A" in args or "--all-namespaces" in args):
        return {"empties_protected_namespace"}
    return set()
