"""The one table of the options each known CLI takes a value for, and one way to split a command line.

`kubectl -n ns --token x delete deploy api` must read as the verb `delete` on `deploy api` whatever
options come first; getting this wrong once (a value taken for the verb) turns a delete into an unknown
word. Every reader of these CLIs (the gate's `subcommand`, the fact translators) uses this table.
A value option may also be written `--opt=value` or, for one-letter options, `-nvalue`.
"""

from __future__ import annotations

from dataclasses import dataclass, field

VALUE_OPTIONS: dict[str, frozenset[str]] = {
    "kubectl": frozenset({
        "-n", "--namespace", "--context", "--cluster", "--kubeconfig", "-s", "--server", "--user", "--token",
        "--as", "--as-group", "--as-uid", "--certificate-authority", "--client-certificate", "--client-key",
        "--request-timeout", "--cache-dir", "--tls-server-name", "--username", "--password", "-v", "--v",
        "--log-file", "--vmodule", "--profile-output", "--profile",
        "-l", "--selector", "-o", "--output", "-f", "--filename", "-k", "--kustomize", "-c", "--container",
        "--field-selector", "--replicas", "--current-replicas", "--image", "--type", "--from-literal",
        "--from-file", "--from-env-file", "--clusterrole", "--role", "--serviceaccount", "--group",
        "--sort-by", "--template", "--timeout", "--grace-period", "--since", "--since-time", "--tail",
        "--overrides", "-p", "--patch", "--patch-file", "--port", "--target-port", "--name", "--labels",
        "--env", "--restart", "--field-manager", "--for", "--max-log-requests", "--limit-bytes",
        "--pod-running-timeout", "--address", "--min", "--max", "--cpu-percent", "--resource-version",
        "--subresource", "--chunk-size", "--prune-allowlist", "--selector-key", "--verb", "--resource",
        "--resource-name", "--to-revision", "--revision", "--target", "--copy-to", "--container-type",
        "--api-group", "--columns", "-L", "--label-columns",
    }),
    "helm": frozenset({
        "-n", "--namespace", "--kube-context", "--kubeconfig", "--kube-apiserver", "--kube-token",
        "--kube-as-user", "--kube-as-group", "--kube-ca-file", "--kube-tls-server-name", "--burst-limit",
        "--registry-config", "--repository-config", "--repository-cache", "--qps",
        "-f", "--values", "--set", "--set-string", "--set-file", "--set-json", "--set-literal", "--version",
        "--repo", "-o", "--output", "--timeout", "--post-renderer", "--post-renderer-args", "--description",
        "--max", "--revision", "--cert-file", "--key-file", "--ca-file", "--username", "--password",
        "--history-max", "-l", "--selector", "--filter", "--label", "--name-template", "--deletion-propagation",
        "--cascade", "--api-versions", "--kube-version", "--show-only", "-s", "--output-dir", "-d",
        "--destination", "--untardir", "--keyring", "--app-version", "--template", "--offset", "--time-format",
    }),
    "docker": frozenset({
        "-H", "--host", "--context", "-c", "--config", "-l", "--log-level", "--tlscacert", "--tlscert",
        "--tlskey",
    }),
    "docker run": frozenset({
        "-v", "--volume", "--mount", "-e", "--env", "--env-file", "-p", "--publish", "--name", "-w", "--workdir",
        "-u", "--user", "--entrypoint", "--network", "--net", "--pid", "--ipc", "--uts", "--userns",
        "--cap-add", "--cap-drop", "--device", "--security-opt", "-m", "--memory", "--memory-swap", "--cpus",
        "--cpu-shares", "-c", "--restart", "-l", "--label", "--label-file", "--hostname", "-h", "--add-host",
        "--dns", "--dns-search", "--dns-option", "--platform", "--pull", "--log-driver", "--log-opt", "--tmpfs",
        "--ulimit", "--shm-size", "--stop-signal", "--stop-timeout", "--cgroupns", "--cgroup-parent",
        "--volumes-from", "--gpus", "--runtime", "--health-cmd", "--health-interval", "--health-retries",
        "--health-timeout", "-a", "--attach", "--cidfile", "--group-add", "--ip", "--ip6", "--mac-address",
        "--expose", "--link", "--sysctl", "--storage-opt", "--device-cgroup-rule", "--init-path", "--isolation",
        "--kernel-memory", "--pids-limit", "--oom-score-adj", "--detach-keys", "--network-alias", "--domainname",
    }),
    "docker exec": frozenset({"-e", "--env", "--env-file", "-u", "--user", "-w", "--workdir", "--detach-keys"}),
    "docker compose": frozenset({
        "-f", "--file", "-p", "--project-name", "--profile", "--env-file", "--project-directory", "--ansi",
        "--progress", "--parallel", "-t", "--timeout", "--scale", "-e", "--env", "-u", "--user", "-w",
        "--workdir", "--entrypoint", "-v", "--volume", "--name", "--rmi", "--index", "--pull", "--wait-timeout",
    }),
    "terraform": frozenset({
        "-chdir", "-var", "-var-file", "-target", "-replace", "-out", "-state", "-state-out", "-backup",
        "-lock-timeout", "-parallelism", "-backend-config", "-plugin-dir", "-from-module", "-generate-config-out",
        "-json-into",
    }),
    "git": frozenset({"-C", "-c", "--git-dir", "--work-tree", "--namespace", "--exec-path", "--config-env",
                      "--super-prefix", "--list-cmds"}),
    "gh": frozenset({
        "-R", "--repo", "-X", "--method", "-H", "--header", "-f", "--raw-field", "-F", "--field", "--input",
        "-q", "--jq", "-t", "--template", "--hostname", "--cache", "-b", "--body", "--body-file", "--title",
        "-B", "--base", "--head", "-l", "--label", "-a", "--assignee", "-r", "--reviewer", "-m", "--milestone",
        "-p", "--project", "-w", "--workflow", "--ref", "-s", "--state", "-L", "--limit", "--json", "-A",
        "--author", "-u", "--user", "-e", "--env", "--org", "--app", "-c", "--commit", "--job", "--attempt",
        "-n", "--name", "--preview", "--subject", "--match-head-commit", "--author-email", "-i", "--interval",
        "--visibility", "--description", "--homepage", "--gitignore", "--license", "--source", "--remote",
    }),
}
ALIASES = {"oc": "kubectl", "podman": "docker", "nerdctl": "docker", "docker-compose": "docker compose"}
# Short options whose value may be glued on (`-nkube-system`, `-Xdelete`).
_GLUED = {"-n", "-l", "-o", "-f", "-c", "-X", "-C", "-R", "-H", "-p", "-v", "-e", "-u", "-w", "-s", "-F", "-q"}


@dataclass
class CommandLine:
    """A CLI command line split into its options and its positional words."""

    options: dict[str, list[str]] = field(default_factory=dict)  # "--namespace" -> ["x"]; flags -> [""]
    words: list[str] = field(default_factory=list)  # positional words, in order
    rest: list[str] = field(default_factory=list)  # everything after `--`

    def value(self, *names: str) -> str | None:
        """The last value given for any of these option names."""
        found = [v for n in names for v in self.options.get(n, [])]
        return found[-1] if found else None

    def values(self, *names: str) -> list[str]:
        return [v for n in names for v in self.options.get(n, [])]

    def has(self, *names: str) -> bool:
        return any(n in self.options for n in names)

    def flag(self, *names: str) -> bool:
        """A boolean option that is set (`--all`, `--all=true`; not `--all=false`)."""
        return any(v.lower() not in ("false", "0") for n in names for v in self.options.get(n, []))


def split(argv: list[str] | tuple[str, ...], *tables: str) -> CommandLine:
    """Split `argv` (the words after the program) with the value options of the named tables."""
    takes: set[str] = set()
    for name in tables:
        takes |= VALUE_OPTIONS.get(name, frozenset())
    line = CommandLine()
    words = list(argv)
    i = 0
    while i < len(words):
        word = words[i]
        i += 1
        if word == "--":
            line.rest = words[i:]
            break
        if not word.startswith("-") or word == "-":
            line.words.append(word)
            continue
        name, eq, value = word.partition("=")
        if eq:
            line.options.setdefault(name, []).append(value)
        elif name in takes:
            line.options.setdefault(name, []).append(words[i] if i < len(words) else "")
            i += 1
        elif not name.startswith("--") and len(name) > 2 and name[:2] in _GLUED and name[:2] in takes:
            line.options.setdefault(name[:2], []).append(name[2:])
        else:
            line.options.setdefault(name, []).append("")
    return line


def subcommand(program: str, argv: list[str] | tuple[str, ...]) -> str:
    """The positional words of a command line (`kubectl -n x get pods` -> "get pods")."""
    program = ALIASES.get(program, program)
    tables = [program, f"{program} run"] if program == "docker" else [program]
    return " ".join(split(argv, *tables).words)
