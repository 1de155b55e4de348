"""Facts about one simple shell command that a glob on its arguments cannot express.

Facts (matched by `segment_facts:` in reign/policy/defaults/shell.yaml):
  recursive                 -r / -R / --recursive (and rm's split or combined forms)
  credential_path           reads a key, token, kubeconfig, .env, process environment or Secret (globs in
                            the word are expanded against known credential files, `$HOME` / `~user` / `//` /
                            `/./` / `..` resolved; a recursive reader or archiver of a directory that holds
                            credentials counts); a key *used* to authenticate (`ssh -i`, `curl --cert`,
                            `--kubeconfig`) does not
  env_dump                  prints the whole environment (env, printenv, export -p, bare export / declare /
                            typeset / set, `ps e`)
  sends_environment         a network sender fed the whole environment (`env | curl`, `curl -d "$(env)"`)
  secret_variable           expands or prints a secret-named variable ($GITHUB_TOKEN, $AWS_SECRET_ACCESS_KEY)
  computed_read_path        a program that prints file contents reads a path computed at run time
                            (`cat $(...)`, `cat $f`, `xargs cat`): it cannot be proven not to be a credential
  risky_env                 a leading assignment that changes which program runs or what it loads
  wipes_system_path         recursively deletes / re-permissions, moves away, or rsync --delete's over the
                            root, the home directory or a system path, after path normalisation
  writes_system_config      writes (through a redirection or a program's output operand) system
                            configuration, system binaries, shell start-up files or SSH authorized keys
  writes_device             writes a raw disk or memory device (dd of=, tee, cp, shred...)
  raw_device_read           reads a raw disk or kernel memory
  mutates                   a normally read-only program given an option that writes or changes the system
                            (sort -o, tree -o, yq -i, date -s, ip ... set, rg --pre, ...)
  wipes_logs                clears logs or shell history (dmesg -C, journalctl --vacuum-*, history -d)
  crontab_write             installs or removes a crontab (anything but `crontab -l`)
  kills_everything          kills every process or init (kill -9 -1, kill 1, killall5, pkill -u root, pkill .)
  dev_tcp_redirect          the command's text redirects to /dev/tcp or /dev/udp (even when the parser
                            could not make sense of the redirection)
  force_push, force_push_protected   git push that rewrites or deletes remote history (protected branch)
  deletes_protected_namespace, empties_protected_namespace, deletes_all_cluster_scoped,
  privileged_pod, reads_secrets      kubectl / oc
  docker_host_takeover      docker/podman run|create with host privileges, host namespaces, dangerous
                            capabilities, raw devices or host system paths / the engine socket mounted
  destructive               its effect is destructive (generic_effect): deletions outside scratch
                            directories, storage tools, cloud CLIs' delete verbs, database DROP/TRUNCATE/
                            DELETE without WHERE/FLUSHALL, HTTP DELETE
  version_query             `X --version`, `X -V`, `X version`, `X --help` of a program found on PATH
  read_use                  a normally writing program used to read (`pip list`, `npm ls`, `dpkg -l`)
  text_filter               an awk program / sed script without exec features, output files or file reads
  inline_read               inline Python / JavaScript / Ruby that only computes and prints
  inline_code_unknown       inline code whose effect cannot be read off it
  inline_code_writes        inline code that writes, deletes or talks to the network

Paths are judged resolved against the segment's working directory (`cd /etc && rm -rf ./*` is `/etc/*`),
find's `{}` as its start paths (recursive), and a quoted glob (`find -name '*.pem'`) as a pattern.
`generic_effect(segment, ctx)` is the segment's effect: "read", "write", "destructive" or "unknown"
(None for the CLIs the gate translates itself: TRANSLATED_PROGRAMS).
"""

from __future__ import annotations

import fnmatch
import posixpath
import re
import shlex
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING

from reign.policy.classifiers.verbs import (
    DELETERS,
    EFFECT_RANK,
    READ_PROGRAMS,
    WRAPPERS,
    WRITE_PROGRAMS,
    Effect,
    cloud_effect,
    database_effect,
    destructive_use,
    python_module_effect,
    read_use,
    storage_effect,
    unseen_effect_use,
    version_query,
)
from reign.policy.facts.cli_options import VALUE_OPTIONS

if TYPE_CHECKING:
    from reign.policy.bash import Segment
    from reign.policy.bash.segment import InlineCode
    from reign.policy.gate import GateContext

_RECURSIVE = re.compile(r"^(-[a-zA-Z]*[rR][a-zA-Z]*|--recursive(=.*)?)$")
_FORCE = re.compile(r"^(-[a-zA-Z]*f[a-zA-Z]*|--force|--force-with-lease(=.*)?|--mirror|--delete|-d)$")
# Credentials are recognised in code (one list) so that "read with one program, send with another"
# in the same call can be caught as exfiltration; the YAML decides what reading them alone means.
CREDENTIAL_GLOBS = (
    "~/.ssh", "~/.ssh/*", "*/.ssh", "*/.ssh/*", ".ssh", ".ssh/*", "~/.aws", "~/.aws/*", "*/.aws",
    "*/.aws/credentials", "*/.aws/config", "~/.kube", "~/.kube/config*", "*/.kube/config*", "~/.docker",
    "~/.docker/config.json", "*/.docker/config.json", "~/.config/gcloud", "~/.config/gcloud/*", "~/.azure",
    "~/.azure/*", "~/.netrc", "*/.netrc", "~/.git-credentials", "*/.git-credentials", "~/.pgpass",
    "~/.gnupg", "~/.gnupg/*", "*/.gnupg", "*/.gnupg/*", "~/.config/gh/hosts.yml", "~/.terraform.d/credentials*",
    "~/.vault-token", "~/.npmrc", "~/.pypirc", "/etc/shadow", "/etc/shadow-", "/etc/gshadow", "/etc/sudoers*",
    "/etc/ssh/ssh_host_*_key", ".env", "*/.env", ".env.*", "*/.env.*", "*.env", ".envrc", "*/.envrc",
    "/proc/*/environ", "/proc/self/environ", "*id_rsa*", "*id_ed25519*", "*id_ecdsa*", "*id_dsa*", "*.pem",
    "*.key", "*.p12", "*.pfx", "*.tfstate", "*.tfstate.backup", "*/secrets/*", "/var/run/secrets/*",
    "/run/secrets/*",
)
# `.env.example` and friends are documentation, not secrets.
_NOT_CREDENTIAL = re.compile(r"(^|/)\.env\.(example|sample|template|dist|defaults)$|\.env\.(example|sample|template)\b")
# Concrete credential files: a glob in a word (`/etc/sha*`, `~/.s?h/id_*`) is tested against these.
_CREDENTIAL_FILES = (
    "~/.ssh/id_rsa", "~/.ssh/id_ed25519", "~/.ssh/id_ecdsa", "~/.ssh/id_dsa", "~/.ssh/authorized_keys",
    "~/.aws/credentials", "~/.aws/config", "~/.kube/config", "~/.docker/config.json", "~/.netrc",
    "~/.git-credentials", "~/.pgpass", "~/.vault-token", "~/.config/gh/hosts.yml",
    "~/.config/gcloud/application_default_credentials.json", "~/.config/gcloud/credentials.db",
    "~/.azure/accessTokens.json", "~/.gnupg/private-keys-v1.d", "/etc/shadow", "/etc/gshadow", "/etc/sudoers",
    "/etc/ssh/ssh_host_rsa_key", "/etc/ssh/ssh_host_ed25519_key", "/proc/self/environ", "/proc/1/environ",
    "/root/.ssh/id_rsa", "/home/*/.ssh/id_rsa", "/var/run/secrets/kubernetes.io/serviceaccount/token",
    "/run/secrets/kubernetes.io/serviceaccount/token", ".env",
)
NETWORK_SENDERS = frozenset({
    "curl", "wget", "nc", "ncat", "netcat", "socat", "scp", "sftp", "rsync", "ssh", "ftp", "tftp", "telnet",
    "http", "https", "xh", "aws", "gsutil", "rclone", "mail", "sendmail", "dig", "nslookup", "host",
})
# Variables that change which program runs or what it loads: an `ls` under them is not a plain `ls`.
RISKY_ENV = re.compile(
    r"^(PATH|LD_[A-Z_]+|DYLD_[A-Z_]+|BASH_ENV|ENV|PROMPT_COMMAND|SHELLOPTS|BASHOPTS|IFS|PS4|GIT_[A-Z_]+|"
    r"PAGER|MANPAGER|LESSOPEN|LESSCLOSE|EDITOR|VISUAL|PYTHONPATH|PYTHONSTARTUP|PYTHONHOME|PERL5LIB|PERL5OPT|"
    r"PERLLIB|RUBYOPT|RUBYLIB|NODE_OPTIONS|NODE_PATH|KUBECONFIG|KUBECTL_[A-Z_]+|DOCKER_HOST|DOCKER_CONFIG|"
    r"HELM_[A-Z_]+|TF_CLI_[A-Z_]+|TF_PLUGIN_[A-Z_]+|AWS_PROFILE|AWS_CONFIG_FILE|SSH_ASKPASS|SUDO_ASKPASS)=")
_LEADING_ASSIGNMENTS = re.compile(r"^\s*((?:[A-Za-z_][A-Za-z0-9_]*=(?:'[^']*'|\"[^\"]*\"|\S)*\s+)+)")
_ENV_DUMP_OPTIONS = {"export": {"-p"}, "declare": {"-p", "-x", "-px", "-xp"}, "typeset": {"-p", "-x"}}
_ENV_DUMPERS = frozenset({"env", "printenv", "set", "export", "declare", "typeset", "compgen"})
_ENV_SUBST = re.compile(r"(\$\(|`)\s*(env|printenv|set|export|declare|typeset)\b|/proc/(self|[0-9]+|\*)/environ")
_SECRET_NAME = re.compile(r"(?i)(TOKEN|SECRET|PASSW(OR)?D|PASSPHRASE|API_?KEY|ACCESS_?KEY|PRIVATE_?KEY|"
                          r"CREDENTIAL|_AUTH|AUTH_|SESSION_?KEY|COOKIE|_PAT$|^PAT_|DSN$)")
_VAR_REF = re.compile(r"\$\{?!?([A-Za-z_][A-Za-z0-9_]*)")
_HOME_VAR = re.compile(r"\$\{HOME(?:[:?+=-][^}]*)?\}|\$HOME(?![A-Za-z0-9_])")
_SAFE_VARS = frozenset({"HOME", "PWD", "OLDPWD"})
_GLOB_CHARS = re.compile(r"[*?\[]")
_DEV_TCP_TEXT = re.compile(r"[<>&]\s*/dev/(tcp|udp)/")

# Programs that print the contents of the files they are given.
_CONTENT_READERS = frozenset({
    "cat", "tac", "head", "tail", "less", "more", "nl", "strings", "od", "hexdump", "xxd", "base64", "base32",
    "sort", "uniq", "cut", "paste", "column", "fold", "fmt", "join", "comm", "diff", "colordiff", "jq", "yq",
    "grep", "egrep", "fgrep", "rg", "ag", "awk", "sed", "tr", "rev", "zcat", "bat", "view",
})
_PATTERN_FIRST = frozenset({"grep", "egrep", "fgrep", "rg", "ag", "jq", "yq", "awk", "sed"})
_GREP_VALUE = frozenset({"-A", "-B", "-C", "-m", "--max-count", "-t", "--type", "-g", "--glob", "-F", "-v"})
# Options whose value is a credential used to authenticate, not a file read out.
_AUTH_OPTIONS = {
    "ssh": {"-i", "-F"}, "scp": {"-i", "-F"}, "sftp": {"-i", "-F"}, "ssh-add": set(), "git": set(),
    "curl": {"--cert", "-E", "--key", "--cacert", "--capath", "--proxy-cert", "--proxy-key", "--proxy-cacert",
             "--crlfile", "--pinnedpubkey"},
    "wget": {"--certificate", "--private-key", "--ca-certificate", "--ca-directory"},
    "kubectl": {"--kubeconfig", "--client-certificate", "--client-key", "--certificate-authority"},
    "helm": {"--kubeconfig", "--key-file", "--cert-file", "--ca-file"},
    "oc": {"--kubeconfig", "--client-certificate", "--client-key", "--certificate-authority"},
    "docker": {"--tlscacert", "--tlscert", "--tlskey"},
}
# Recursive readers / archivers / copiers: a directory holding credentials is read through them.
_RECURSIVE_READERS = frozenset({"tar", "zip", "7z", "cpio", "rsync", "scp", "cp", "grep", "egrep", "fgrep",
                                "rg", "ag", "base64"})
_ALWAYS_RECURSIVE = frozenset({"tar", "zip", "7z", "rg", "ag", "rsync"})

# Recursive deletes of these (after normalisation) wipe the system.
_WIPE_EXACT = frozenset({
    "/", "/bin", "/boot", "/dev", "/etc", "/home", "/lib", "/lib32", "/lib64", "/libx32", "/opt", "/proc", "/root",
    "/run", "/sbin", "/srv", "/sys", "/usr", "/var", "/snap", "/media", "/mnt", "/usr/local", "/usr/local/bin",
    "/usr/local/sbin", "/usr/local/lib", "/var/lib", "/var/log", "/var/spool", "/var/backups", "/var/mail",
    "/var/run",
})
_WIPE_UNDER = ("/etc/", "/boot/", "/bin/", "/sbin/", "/lib/", "/lib32/", "/lib64/", "/libx32/", "/sys/", "/proc/",
               "/usr/bin/", "/usr/sbin/", "/usr/lib/", "/usr/lib64/", "/usr/libexec/", "/usr/share/",
               "/usr/include/", "/var/log/", "/var/spool/")
_WIPE_CHILD_OF = ("/usr", "/var", "/home", "/var/lib")
_WIPE_NOT = frozenset({"/var/tmp", "/var/cache", "/usr/src"})  # noqa: S108 (paths compared, not used)
_ALL_GLOBS = frozenset({"*", ".*", "?*", ".[!.]*", "..?*", ".??*", "[!.]*", "*.*"})
# Written, these are system configuration, system binaries, start-up files or SSH keys.
SYSTEM_CONFIG_GLOBS = (
    "/etc", "/etc/*", "/boot/*", "/usr/bin/*", "/usr/sbin/*", "/usr/lib/*", "/usr/lib64/*", "/usr/libexec/*",
    "/usr/local/bin/*", "/usr/local/sbin/*", "/bin/*", "/sbin/*", "/lib/*", "/lib64/*", "/lib32/*", "/sys/*",
    "/proc/sys/*", "/proc/sysrq-trigger", "/var/spool/cron", "/var/spool/cron/*", "~/.ssh/authorized_keys*",
    "~/.ssh/rc", "/root/.ssh/*", "/home/*/.ssh/authorized_keys*", "~/.bashrc", "~/.bash_profile",
    "~/.bash_login", "~/.bash_logout", "~/.profile", "~/.zshrc", "~/.zshenv", "~/.zprofile", "~/.zlogin",
    "~/.config/fish/config.fish", "/root/.bashrc", "/root/.profile", "/root/.bash_profile", "/home/*/.bashrc",
    "/home/*/.profile", "/home/*/.bash_profile", "/home/*/.zshrc",
)
# Writing into these directories (cp DEST/, tar -C DIR, unzip -d DIR) writes system files.
_SYSTEM_DIRS = frozenset({"/", "/etc", "/boot", "/bin", "/sbin", "/lib", "/lib64", "/usr", "/usr/bin", "/usr/sbin",
                          "/usr/lib", "/usr/local/bin", "/usr/local/sbin", "~/.ssh", "/root/.ssh"})
_BLOCK_DEVICES = ("/dev/sd*", "/dev/nvme*", "/dev/vd*", "/dev/xvd*", "/dev/hd*", "/dev/mmcblk*", "/dev/mem",
                  "/dev/kmem", "/dev/port", "/dev/disk/*", "/dev/mapper/*", "/dev/dm-*", "/dev/md*", "/dev/loop*",
                  "/dev/root", "/dev/nbd*", "/dev/rbd*", "/dev/zd*")
_KERNEL_MEMORY = ("/proc/kcore", "/proc/*/mem")
_DEVICE_READERS = frozenset({"cat", "head", "tail", "less", "more", "strings", "od", "hexdump", "xxd", "dd", "cp",
                             "pv", "base64", "gzip", "tar", "grep", "rg", "dump", "ddrescue", "zstd", "xz"})
_LOG_GLOBS = ("/var/log/*", "~/.bash_history", "~/.zsh_history", "~/.history", "~/.python_history",
              "*/.bash_history", "*/.zsh_history", "/root/.bash_history", "/home/*/.bash_history")
_CLUSTER_SCOPED = frozenset({
    "ns", "namespace", "namespaces", "project", "projects", "crd", "crds", "customresourcedefinition",
    "customresourcedefinitions", "pv", "persistentvolume", "persistentvolumes", "no", "node", "nodes",
    "clusterrole", "clusterroles", "clusterrolebinding", "clusterrolebindings", "sc", "storageclass",
    "storageclasses", "mutatingwebhookconfiguration", "mutatingwebhookconfigurations",
    "validatingwebhookconfiguration", "validatingwebhookconfigurations", "apiservice", "apiservices", "pc",
    "priorityclass", "priorityclasses", "csidriver", "csidrivers", "ingressclass", "ingressclasses",
})
_NAMESPACE_KINDS = frozenset({"ns", "namespace", "namespaces", "project", "projects"})
# One table of each CLI's value-taking options for every reader (reign/policy/facts/cli_options.py).
_KUBECTL_VALUE = VALUE_OPTIONS["kubectl"]
_DOCKER_GLOBAL_VALUE = VALUE_OPTIONS["docker"]
_DOCKER_RUN_VALUE = VALUE_OPTIONS["docker run"]
_DANGEROUS_CAPS = frozenset({"ALL", "SYS_ADMIN", "SYS_MODULE", "SYS_PTRACE", "SYS_RAWIO", "DAC_READ_SEARCH",
                             "DAC_OVERRIDE", "SYS_BOOT", "BPF", "PERFMON"})
_DOCKER_HOST_SENSITIVE_UNDER = ("/etc/", "/root/", "/boot/", "/dev/", "/usr/", "/bin/", "/sbin/", "/lib/",
                                "/lib64/", "/var/lib/docker", "/var/lib/kubelet", "/var/lib/containerd",
                                "/var/run/", "/run/")
_ENGINE_SOCKETS = re.compile(r"(docker|containerd|crio|podman|buildkitd?)\.sock$|/run/containerd/")


_FACTS_CACHE: dict[tuple[object, ...], frozenset[str]] = {}


def segment_facts(seg: Segment, ctx: GateContext) -> set[str]:
    """The facts of one simple command (memoised: the gate asks for them per rule view and per effect).
    They depend on the segment and, of the context, only on home, the workspace root (climbing relative paths
    are judged from it), protected branches and namespaces."""
    key = (seg, ctx.home, ctx.workspace_root, ctx.protected_branches, ctx.protected_namespaces)
    found = _FACTS_CACHE.get(key)
    if found is None:
        if len(_FACTS_CACHE) > 4096:
            _FACTS_CACHE.clear()
        found = _FACTS_CACHE[key] = frozenset(_segment_facts(seg, ctx))
    return set(found)


def _segment_facts(seg: Segment, ctx: GateContext) -> set[str]:
    prog, args = seg.program, list(seg.argv[1:])
    paths = list(seg.path_argv[1:])  # relative operands resolved against the working directory
    root = ctx.workspace_root.rstrip("/")
    if root:  # `cd .. && cd .. && rm -rf *`: a relative path that climbs is judged from the workspace root
        paths = [posixpath.normpath(f"{root}/{p}") if p == ".." or p.startswith("../") else p for p in paths]
    dyn = {i - 1 for i in seg.dynamic_args if i > 0}
    from_xargs = bool(seg.wrappers) and seg.wrappers[-1] == "xargs"
    if from_xargs and stdin_words(seg):
        args += stdin_words(seg)  # `xargs rm -rf <<< /`: the words xargs appends are known
        paths += stdin_words(seg)
        from_xargs = False
    home = ctx.home.rstrip("/") or "/"
    facts: set[str] = set()
    by_find = bool(seg.wrappers) and seg.wrappers[-1].startswith("find -")  # `{}`: the start and all below
    if any(_RECURSIVE.match(a) for a in args) or (prog == "rm" and "-r" in "".join(args)) or by_find:
        facts.add("recursive")
    quoted_globs = {i - 1 for i, a in enumerate(seg.argv) if i > 0 and i not in seg.globs
                    and _GLOB_CHARS.search(a) and i not in seg.dynamic_args}
    if _credential(seg, prog, paths, home, "recursive" in facts, quoted_globs):
        facts.add("credential_path")
    leading = _LEADING_ASSIGNMENTS.match(seg.text)
    assignments = leading.group(1).split() if leading else []
    if prog == "env":
        assignments += [a for a in args if "=" in a and not a.startswith("-")]
    if any(RISKY_ENV.match(a) for a in assignments):
        facts.add("risky_env")
    facts |= _environment_facts(seg, prog, args, dyn)
    if prog in _CONTENT_READERS and (from_xargs or _computed_read(prog, args, dyn)):
        facts.add("computed_read_path")
    facts |= _path_facts(seg, prog, paths, home, "recursive" in facts)
    facts |= _program_facts(prog, args)
    if seg.code is not None:
        facts |= _code_facts(seg.code, home)
    facts |= _effect_facts(seg, prog, args, facts)
    if "/dev/" in seg.text and _DEV_TCP_TEXT.search(seg.text):
        facts.add("dev_tcp_redirect")
    if prog == "git" and "push" in args:
        facts |= _git_push_facts(args[args.index("push") + 1:], ctx)
    if prog in ("kubectl", "oc"):
        facts |= _kubectl_facts(args, ctx)
    if prog in ("docker", "podman", "nerdctl"):
        facts |= _docker_facts(args, home)
    return facts


# --------------------------------------------------------------------------- paths


def word_as_path(word: str, home: str) -> str | None:
    """A word as a path: `$HOME`, `${HOME}`, `~`, `~user` resolved, `//`, `/./`, `..` and a trailing `/`
    collapsed. None when the word still holds an expansion (its value is not known)."""
    w = word
    if "$" in w or "`" in w or '"' in w or "'" in w:
        w = _HOME_VAR.sub("~", w).replace('"', "").replace("'", "")
        if "$" in w or "`" in w:
            return None
    if w == "~" or w.startswith("~/"):
        w = home + w[1:]
    elif w.startswith("~") and not w.startswith(("~+", "~-")):
        user, _, rest = w[1:].partition("/")
        if re.fullmatch(r"[a-z_][a-z0-9_.-]*", user):
            w = ("/root" if user == "root" else f"/home/{user}") + (f"/{rest}" if rest else "")
    if w.startswith("/"):
        from reign.policy.gate import collapse_path

        w = collapse_path(w)
    return w


def _tilde(path: str, home: str) -> str:
    if home != "/" and (path == home or path.startswith(home + "/")):
        return "~" + path[len(home):]
    return path


def _glob_could_match(pattern: str, path: str) -> bool:
    """Could bash's pathname expansion of `pattern` produce `path`? (component-wise; `*` does not cross
    `/` nor match a leading dot)."""
    pp, cp = pattern.split("/"), path.split("/")
    if len(pp) != len(cp):
        return False
    for p, c in zip(pp, cp, strict=True):
        if c.startswith(".") and not p.startswith(".") and p != c:
            return False
        if not fnmatch.fnmatchcase(c, p):
            return False
    return True


def _any_glob(patterns: tuple[str, ...]) -> re.Pattern[str]:
    """One regex for `fnmatch.fnmatchcase(value, p) for any p` (the policy decides thousands of words a second)."""
    return re.compile("|".join(fnmatch.translate(p) for p in patterns))


_CREDENTIAL_RE = _any_glob(CREDENTIAL_GLOBS)
_SYSTEM_CONFIG_RE = _any_glob(SYSTEM_CONFIG_GLOBS)
_BLOCK_DEVICE_RE = _any_glob(_BLOCK_DEVICES)
_RAW_READ_RE = _any_glob((*_BLOCK_DEVICES, *_KERNEL_MEMORY))
_LOG_RE = _any_glob(_LOG_GLOBS)


def _is_credential(path: str) -> bool:
    if _NOT_CREDENTIAL.search(path):
        return False
    if _CREDENTIAL_RE.match(path):
        return True
    if _GLOB_CHARS.search(path):
        return any(_glob_could_match(path, f) for f in _CREDENTIAL_FILES)
    return False


def _holds_credentials(path: str) -> bool:
    """Is `path` (a directory read recursively) an ancestor of a known credential file?"""
    if not path.startswith(("/", "~")):
        return False
    prefix = path.rstrip("/") + "/"
    return path in ("/", "~") or any(f.startswith(prefix) for f in _CREDENTIAL_FILES if f.startswith(("/", "~")))


def _operands(args: list[str], value_opts: frozenset[str] | set[str] = frozenset(),
              short_values: str = "") -> list[tuple[int, str]]:
    """(index, word) of the operands: options and the values of options that take one skipped."""
    out: list[tuple[int, str]] = []
    i = 0
    while i < len(args):
        a = args[i]
        if a == "--":
            out += [(j, args[j]) for j in range(i + 1, len(args))]
            break
        if a.startswith("--"):
            if "=" not in a and a in value_opts:
                i += 1
        elif a.startswith("-") and len(a) > 1:
            if a in value_opts or (short_values and len(a) == 2 and a[1] in short_values):
                i += 1
            elif short_values and not a[1:].isdigit() and a[-1] in short_values and len(a) > 2 \
                    and all(c.isalpha() for c in a[1:]):
                i += 1  # `-sSLo FILE`: the last letter of a cluster takes the next word
        else:
            out.append((i, a))
        i += 1
    return out


def _option_values(args: list[str], names: set[str] | frozenset[str]) -> list[str]:
    """Values of the given options, as `--opt V`, `--opt=V`, `-oV` or `-xyzo V` (short names of one letter)."""
    out: list[str] = []
    shorts = "".join(n[1] for n in names if len(n) == 2 and n[0] == "-" and n[1] != "-")
    for i, a in enumerate(args):
        nxt = args[i + 1] if i + 1 < len(args) else None
        if a in names:
            if nxt is not None:
                out.append(nxt)
        elif a.startswith("--") and "=" in a and a.split("=", 1)[0] in names:
            out.append(a.split("=", 1)[1])
        elif shorts and len(a) > 2 and a[0] == "-" and a[1] != "-":
            for k, ch in enumerate(a[1:], 1):
                if ch in shorts:
                    rest = a[k + 1:]
                    if rest:
                        out.append(rest)
                    elif nxt is not None:
                        out.append(nxt)
                    break
                if not ch.isalpha():
                    break
    return out


def _credential(seg: Segment, prog: str, args: list[str], home: str, recursive: bool,
                quoted_globs: frozenset[int] | set[int] = frozenset()) -> bool:
    if prog in ("kubectl", "oc") and (_kubectl_reads_secrets(args) or
                                      ("config" in args and ("--raw" in args or "--flatten" in args))):
        return True
    skip = _auth_values(prog, args) | _pattern_operand(prog, args)
    recursive = recursive or prog in _ALWAYS_RECURSIVE
    if prog == "find" and any(a in ("-exec", "-execdir", "-ok", "-okdir") for a in args):
        # `find / -type f -exec cat {} +` reads every file under its start paths
        for a in args:
            if a.startswith(("-", "(", "!", ")")):
                break
            norm = word_as_path(a, home)
            if norm is not None and _holds_credentials(_tilde(norm, home)):
                return True
    for i, a in enumerate(args):
        if i in skip or i in quoted_globs:  # `find -name '*.pem'`: a pattern, not a path
            continue
        w = (a.split("=", 1)[1] if "=" in a and not a.startswith(("'", '"')) else a).lstrip("@<")
        for form in {w, a.lstrip("@")}:
            norm = word_as_path(form, home)
            if norm is None:
                continue
            t = _tilde(norm, home)
            if _is_credential(t) or _is_credential(form):
                return True
            if recursive and prog in _RECURSIVE_READERS and _holds_credentials(t):
                return True
    for r in seg.redirects:
        if r.op.endswith("<") or r.op in ("<", "0<", "<>"):
            norm = word_as_path(r.resolved, home)
            if norm is not None and _is_credential(_tilde(norm, home)):
                return True
    return False


def _auth_values(prog: str, args: list[str]) -> set[int]:
    """Indexes of words that are credentials used to authenticate (`ssh -i KEY`, `curl --cert C`)."""
    skip: set[int] = set()
    auth = _AUTH_OPTIONS.get(prog, set())
    ssh_like = prog in ("ssh", "scp", "sftp")
    for i, a in enumerate(args):
        if a in auth:
            skip.add(i + 1)
            continue
        attached = a.startswith("-") and "=" in a and a.split("=", 1)[0] in auth
        if attached or (ssh_like and a.startswith("-i") and len(a) > 2):
            skip.add(i)
        nxt = args[i + 1].lower() if i + 1 < len(args) else ""
        if ssh_like and a == "-o" and nxt.startswith(("identityfile", "certificatefile", "userknownhostsfile")):
            skip.add(i + 1)
    return skip


def _pattern_operand(prog: str, args: list[str]) -> set[int]:
    """The index of the pattern / filter / script operand of grep, jq, awk, sed... (it is not a path)."""
    if prog not in _PATTERN_FIRST or any(
            a in ("-e", "-f", "--regexp", "--file", "--from-file") or
            a.startswith(("--regexp=", "--file=", "--from-file=")) for a in args):
        return set()
    value_opts = _GREP_VALUE if prog in ("grep", "egrep", "fgrep", "rg", "ag", "awk") else frozenset()
    ops = _operands(args, value_opts)
    return {ops[0][0]} if ops else set()


def _computed_read(prog: str, args: list[str], dyn: set[int]) -> bool:
    ops = _operands(args)
    if prog in _PATTERN_FIRST and ops and not any(a in ("-e", "-f") for a in args):
        ops = ops[1:]
    for i, a in ops:
        if i in dyn:
            names = _VAR_REF.findall(a)
            if "$(" in a or "`" in a or any(n not in _SAFE_VARS for n in names):
                return True
    return False


def _environment_facts(seg: Segment, prog: str, args: list[str], dyn: set[int]) -> set[str]:
    facts: set[str] = set()
    if prog in ("env", "printenv") and not [a for a in args if not a.startswith("-")]:
        facts.add("env_dump")
    if prog in ("set", "export", "declare", "typeset") and not args:
        facts.add("env_dump")
    if prog in _ENV_DUMP_OPTIONS and args and all(a in _ENV_DUMP_OPTIONS[prog] for a in args):
        facts.add("env_dump")
    if prog == "ps" and any(not a.startswith("-") and a.isalpha() and "e" in a for a in args):
        facts.add("env_dump")  # BSD-style `ps e` / `ps auxe` prints each process's environment
    if prog in NETWORK_SENDERS and (set(seg.pipe_from) & _ENV_DUMPERS or
                                    any(_ENV_SUBST.search(a) for i, a in enumerate(args) if i in dyn)):
        facts.add("sends_environment")
    if prog not in ("test", "[", "[[") and any(
            _SECRET_NAME.search(n) for i, a in enumerate(args) if i in dyn for n in _VAR_REF.findall(a)):
        facts.add("secret_variable")
    if prog == "printenv" and any(_SECRET_NAME.search(a) for a in args if not a.startswith("-")):
        facts.add("secret_variable")
    return facts


# --------------------------------------------------------------------------- wipes and writes


def _wipe_target(path: str, home: str) -> bool:
    parts = path.rstrip("/").split("/") if path != "/" else [""]
    stripped = False
    while len(parts) > 1 and parts[-1] in _ALL_GLOBS:
        parts.pop()
        stripped = True
    p = "/".join(parts) or "/"
    if p in _WIPE_NOT:
        return False
    if p in _WIPE_EXACT or p == home:
        return True
    if p.startswith(_WIPE_UNDER):
        return True
    parent = p.rsplit("/", 1)[0] or "/"
    if parent in _WIPE_CHILD_OF and not _GLOB_CHARS.search(p):
        return True
    if _GLOB_CHARS.search(p):
        candidates = (*_WIPE_EXACT, home)
        return any(_glob_could_match(p, c) for c in candidates)
    return stripped and p == "/"


def _path_facts(seg: Segment, prog: str, args: list[str], home: str, recursive: bool) -> set[str]:
    facts: set[str] = set()
    ops = [a for _, a in _operands(args, _VALUE_OPTS.get(prog, frozenset()))]
    if _wipes(prog, args, ops, home, recursive):
        facts.add("wipes_system_path")
    targets = [t for t in _write_targets(prog, args, ops) if t]
    redirect_targets = [r.resolved for r in seg.redirects if ">" in r.op and not r.op.endswith(">&")]
    # what is overwritten rather than appended to (`>`, `tee`, `cp`, `ln -sf /dev/null`): log wiping
    clobbered = {r.resolved for r in seg.redirects if r.op.rstrip("|").endswith(">") and ">>" not in r.op}
    if prog in ("ln", "cp", "mv", "install", "dd", "truncate", "shred", "rsync") or \
            (prog == "tee" and not any(a in ("-a", "--append") for a in args)):
        clobbered |= set(targets)
    for t in targets + redirect_targets:
        n = word_as_path(t, home)
        if n is None:
            continue
        tn = _tilde(n, home)
        if _SYSTEM_CONFIG_RE.match(tn):
            facts.add("writes_system_config")
        if _BLOCK_DEVICE_RE.match(n):
            facts.add("writes_device")
        if t in clobbered and _LOG_RE.match(tn):
            facts.add("wipes_logs")
    for d in _write_dirs(prog, args, ops):
        n = word_as_path(d, home)
        if n is not None and _tilde(n, home) in _SYSTEM_DIRS:
            facts.add("writes_system_config")
    if prog in _DEVICE_READERS:
        sources = [a.split("=", 1)[1] for a in args if a.startswith("if=")] if prog == "dd" else list(ops)
        sources += [r.resolved for r in seg.redirects if r.op in ("<", "0<")]
        for src in sources:
            n = word_as_path(src, home)
            if n is not None and _RAW_READ_RE.match(n):
                facts.add("raw_device_read")
    return facts


def _wipes(prog: str, args: list[str], ops: list[str], home: str, recursive: bool) -> bool:
    """Does this command recursively delete / re-permission, move away or rsync --delete over a system path?"""
    def any_wipe(words: list[str]) -> bool:
        return any((n := word_as_path(w, home)) is not None and n.startswith("/") and _wipe_target(n, home)
                   for w in words)

    if prog in ("rm", "shred", "chmod", "chown", "chgrp", "chattr", "setfacl"):
        return recursive and any_wipe(ops)
    if prog == "mv":
        return len(ops) > 1 and any_wipe(ops if "-t" in args else ops[:-1])
    if prog == "rsync":
        deletes = any(a.startswith(("--delete", "--remove")) for a in args)
        return deletes and any_wipe(ops[-1:])
    if prog == "find":
        starts = []
        for a in args:
            if a.startswith(("-", "(", "!", ")")):
                break
            starts.append(a)
        execs_rm = any(a in ("-exec", "-execdir", "-ok", "-okdir") and i + 1 < len(args) and
                       args[i + 1].rsplit("/", 1)[-1] in ("rm", "shred", "unlink", "rmdir")
                       for i, a in enumerate(args))
        return ("-delete" in args or execs_rm) and any_wipe(starts)
    return False


_VALUE_OPTS: dict[str, frozenset[str]] = {
    "cp": frozenset({"-t", "--target-directory", "-S", "--suffix"}),
    "mv": frozenset({"-t", "--target-directory", "-S", "--suffix"}),
    "install": frozenset({"-m", "--mode", "-o", "--owner", "-g", "--group", "-t", "--target-directory", "-S"}),
    "ln": frozenset({"-t", "--target-directory", "-S", "--suffix"}),
    "tee": frozenset(),
    "truncate": frozenset({"-s", "--size", "-r", "--reference"}),
    "shred": frozenset({"-n", "--iterations", "-s", "--size", "--random-source"}),
    "chown": frozenset({"--reference", "--from"}),
    "chmod": frozenset({"--reference"}),
    "rsync": frozenset({"-e", "--rsh", "--exclude", "--include", "--filter", "-f", "--files-from", "--chmod",
                        "--chown", "--password-file", "--log-file", "-T", "--temp-dir", "--backup-dir"}),
    "scp": frozenset({"-i", "-P", "-o", "-F", "-c", "-l", "-S", "-J"}),
    "sed": frozenset({"-e", "--expression", "-f", "--file", "-l", "--line-length"}),
    "sort": frozenset({"-o", "--output", "-k", "--key", "-t", "--field-separator", "-S", "--buffer-size", "-T",
                       "--temporary-directory"}),
    "uniq": frozenset({"-f", "--skip-fields", "-s", "--skip-chars", "-w", "--check-chars"}),
    "tree": frozenset({"-o", "-L", "-P", "-I", "--charset", "--filelimit", "--timefmt", "-H"}),
    "yq": frozenset({"-o", "--output-format", "-p", "--input-format", "--arg"}),
    "curl": frozenset({"-o", "--output", "-d", "--data", "-H", "--header", "-X", "--request", "-u", "--user",
                       "-F", "--form", "-T", "--upload-file", "-A", "--user-agent", "-e", "--referer", "-b",
                       "--cookie", "-c", "--cookie-jar", "--cert", "-E", "--key", "--cacert", "-x", "--proxy",
                       "--data-binary", "--data-raw", "--data-urlencode", "-m", "--max-time", "--connect-timeout",
                       "-w", "--write-out", "--output-dir", "-r", "--range", "--retry", "--resolve"}),
    "wget": frozenset({"-O", "--output-document", "-o", "--output-file", "-P", "--directory-prefix", "-U",
                       "--user-agent", "--header", "-t", "--tries", "-T", "--timeout"}),
    "tar": frozenset({"-C", "--directory", "-f", "--file", "-T", "--files-from", "-X", "--exclude-from"}),
    "unzip": frozenset({"-d", "-x", "-P"}),
    "perl": frozenset({"-e", "-E", "-M", "-I", "-m"}),
    "ruby": frozenset({"-e", "-r", "-I"}),
}


def _tar_archive_written(args: list[str]) -> list[str]:
    """The archive `tar -cf X` / `tar --create --file=X` / `tar cf X` writes (`tar -cf /dev/sda .` wipes a disk)."""
    clusters = [a.lstrip("-") for a in args[:1] if not a.startswith("--")] + \
        [a[1:] for a in args[1:] if a.startswith("-") and not a.startswith("--")]
    creating = any(set(c) & set("cruA") for c in clusters if c.isalpha()) or \
        any(a in ("--create", "--append", "--update", "--concatenate") for a in args)
    if not creating:
        return []
    out = [a.split("=", 1)[1] for a in args if a.startswith("--file=")]
    for i, a in enumerate(args[:-1]):
        cluster = a.lstrip("-") if (a.startswith("-") and not a.startswith("--")) or i == 0 else ""
        if a == "--file" or (cluster.isalpha() and cluster.endswith("f")):
            out.append(args[i + 1])
    return out


def _write_targets(prog: str, args: list[str], ops: list[str]) -> list[str]:
    """Files a program writes through its operands or output options."""
    if prog in ("tee", "truncate", "shred", "touch", "unlink", "rmdir", "rm", "chattr", "setfacl", "vi", "vim",
                "nvim", "nano", "emacs", "ed", "ex", "pico", "mcedit"):
        return ops
    if prog in ("chmod", "chown", "chgrp"):
        return ops[1:] if not any(a.startswith("--reference") for a in args) else ops
    if prog in ("cp", "install", "ln", "scp", "rsync"):
        explicit = _option_values(args, {"-t", "--target-directory"})
        return explicit or ops[-1:]
    if prog == "mv":
        return _option_values(args, {"-t", "--target-directory"}) + ops
    if prog == "dd":
        return [a[3:] for a in args if a.startswith("of=")]
    if prog in ("tar", "bsdtar"):
        return _tar_archive_written(args)
    if prog in ("sed", "perl", "ruby") and any(
            re.match(r"^-([a-zA-Z]*i[a-zA-Z.]*|-in-place(=.*)?)$", a) and not a.startswith("-e") for a in args):
        if prog == "sed" and not any(a in ("-e", "--expression", "-f", "--file") for a in args):
            return ops[1:]
        return ops
    if prog == "sort":
        return _option_values(args, {"-o", "--output"})
    if prog == "uniq":
        return ops[1:2]
    if prog == "tree":
        return _option_values(args, {"-o"})
    if prog == "less":
        return _option_values(args, {"-o", "-O", "--log-file", "--LOG-FILE"})
    if prog == "yq" and any(a in ("-i", "--inplace") or re.match(r"^-[a-zA-Z]*i[a-zA-Z]*$", a) for a in args):
        return ops[1:]
    if prog == "git":
        return [a.split("=", 1)[1] for a in args if a.startswith("--output=")]
    if prog == "curl":
        return _option_values(args, {"-o", "--output", "-c", "--cookie-jar"})
    if prog == "wget":
        return [v for v in _option_values(args, {"-O", "--output-document", "-o", "--output-file"}) if v != "-"]
    return []


def _write_dirs(prog: str, args: list[str], ops: list[str]) -> list[str]:
    """Directories a program writes files into."""
    if prog == "tar" and any(a in ("-x", "--extract", "--get") or
                             (not a.startswith("--") and "x" in a.lstrip("-") and a.lstrip("-").isalpha())
                             for a in args[:2]):
        return _option_values(args, {"-C", "--directory"}) or []
    if prog == "unzip":
        return _option_values(args, {"-d"})
    if prog in ("cp", "mv", "install", "rsync", "scp", "ln"):
        return _option_values(args, {"-t", "--target-directory"}) or ops[-1:] if len(ops) > 1 else []
    if prog == "wget":
        return _option_values(args, {"-P", "--directory-prefix"})
    if prog == "curl":
        return _option_values(args, {"--output-dir"})
    return []


# --------------------------------------------------------------------------- programs


def _program_facts(prog: str, args: list[str]) -> set[str]:
    handler = _PROGRAM_FACTS.get(prog)
    if handler is None:
        return set()
    flags = [a for a in args if a.startswith("-")]
    ops = [a for a in args if not a.startswith("-")]
    return handler(args, flags, ops)


def _mutates_if(cond: bool) -> set[str]:
    return {"mutates"} if cond else set()


def _changes_system_if(cond: bool) -> set[str]:
    """Not a file written but the live system changed (clock, hostname, network, kernel log, sockets) or
    another program run: never the routine file write `sort -o` is."""
    return {"mutates", "changes_system"} if cond else set()


def _date(args: list[str], flags: list[str], ops: list[str]) -> set[str]:
    return _changes_system_if(any(a in ("-s", "--set") or a.startswith(("--set=", "-s")) for a in flags))


def _hostname(args: list[str], flags: list[str], ops: list[str]) -> set[str]:
    return _changes_system_if(bool(ops) or any(a in ("-F", "--file", "-b", "--boot") for a in flags))


_IP_WRITES = frozenset({"add", "del", "delete", "set", "change", "replace", "flush", "append", "prepend", "exec",
                        "save", "restore", "attach", "detach", "update"})


def _ip(args: list[str], flags: list[str], ops: list[str]) -> set[str]:
    return _changes_system_if(bool(set(ops) & _IP_WRITES))


def _dmesg(args: list[str], flags: list[str], ops: list[str]) -> set[str]:
    facts: set[str] = set()
    if any(a in ("--clear", "--read-clear") or re.match(r"^-[a-zA-Z]*[cC]", a) for a in flags):
        facts.add("wipes_logs")
    if set(flags) & {"-D", "-E", "-n", "--console-off", "--console-on", "--console-level"}:
        facts |= {"mutates", "changes_system"}
    return facts


def _journalctl(args: list[str], flags: list[str], ops: list[str]) -> set[str]:
    facts: set[str] = set()
    if any(a.startswith("--vacuum") for a in flags):
        facts.add("wipes_logs")
    if any(a.startswith(("--rotate", "--flush", "--relinquish-var", "--smart-relinquish-var", "--setup-keys",
                         "--update-catalog", "--sync")) for a in flags):
        facts.add("mutates")
    return facts


def _runs_programs(args: list[str], flags: list[str], ops: list[str]) -> set[str]:
    return _changes_system_if(any(a.startswith(("--pre", "--pager")) for a in flags))  # rg / ag run a program per file


def _file(args: list[str], flags: list[str], ops: list[str]) -> set[str]:
    return _mutates_if(any(a in ("-C", "--compile") for a in flags))


def _ss(args: list[str], flags: list[str], ops: list[str]) -> set[str]:
    return _changes_system_if(any(a == "--kill" or re.match(r"^-[a-zA-Z]*K", a) for a in flags))


def _history(args: list[str], flags: list[str], ops: list[str]) -> set[str]:
    if any(re.match(r"^-[a-zA-Z]*[cd]", a) for a in flags):
        return {"wipes_logs"}
    return _mutates_if(any(re.match(r"^-[a-zA-Z]*[warns]", a) for a in flags))


def _writes_output(prog: str) -> Callable[[list[str], list[str], list[str]], set[str]]:
    def handle(args: list[str], flags: list[str], ops: list[str]) -> set[str]:
        real_ops = [a for _, a in _operands(args, _VALUE_OPTS.get(prog, frozenset()))]
        if prog == "uniq":
            return _mutates_if(len(real_ops) > 1)
        return _mutates_if(bool(_write_targets(prog, args, real_ops)))

    return handle


def _crontab(args: list[str], flags: list[str], ops: list[str]) -> set[str]:
    listing = "-l" in flags and set(flags) <= {"-l", "-u"} and (not ops or "-u" in flags)
    return set() if listing else {"crontab_write"}


def _killall5(args: list[str], flags: list[str], ops: list[str]) -> set[str]:
    return {"kills_everything"}


_PKILL_VALUE = frozenset({"-u", "-U", "--uid", "--euid", "--user", "-s", "--signal", "-g", "-G", "-P", "-t", "--ns",
                          "--nslist", "-o", "-y", "--older-than", "--younger-than"})


def _pkill(args: list[str], flags: list[str], ops: list[str]) -> set[str]:
    users = _option_values(args, {"-u", "-U", "--uid", "--euid", "--user"})
    patterns = [a for _, a in _operands(args, _PKILL_VALUE)]
    root = any(u.split(",")[0] in ("root", "0") for u in users)
    everything = any(p in (".", ".*", "^", "", "^.*", "init", "systemd") for p in patterns)
    return {"kills_everything"} if root or everything else set()


# Signals that do not end a process: `kill -HUP 1` reloads a container's main process.
_GENTLE_SIGNALS = frozenset({"0", "HUP", "1", "USR1", "10", "USR2", "12", "CONT", "18", "WINCH", "28"})


def _kill(args: list[str], flags: list[str], ops: list[str]) -> set[str]:
    """`kill -1` is SIGHUP before a pid, but the pid -1 (every process) after a signal or `--`."""
    signal, i = "TERM", 0
    if args and args[0] in ("-l", "-L", "--list"):
        return set()
    if args and args[0] in ("-s", "-n") and len(args) > 1:
        signal, i = args[1], 2
    elif len(args) > 1 and args[0].startswith("-") and args[0] != "--":
        signal, i = args[0][1:], 1
    if i < len(args) and args[i] == "--":
        i += 1
    targets = args[i:]
    signal = signal.upper().removeprefix("SIG")
    if ("-1" in targets and signal != "0") or ("1" in targets and signal not in _GENTLE_SIGNALS):
        return {"kills_everything"}
    return set()


_PROGRAM_FACTS: dict[str, Callable[[list[str], list[str], list[str]], set[str]]] = {
    "date": _date, "hostname": _hostname, "ip": _ip, "dmesg": _dmesg, "journalctl": _journalctl,
    "rg": _runs_programs, "ag": _runs_programs, "file": _file, "ss": _ss, "history": _history,
    "sort": _writes_output("sort"), "tree": _writes_output("tree"), "less": _writes_output("less"),
    "uniq": _writes_output("uniq"), "yq": _writes_output("yq"), "crontab": _crontab, "killall5": _killall5,
    "pkill": _pkill, "killall": _pkill, "kill": _kill,
}


def _git_push_facts(args: list[str], ctx: GateContext) -> set[str]:
    if "--dry-run" in args or "-n" in args:
        return set()  # pushes nothing
    deletes = any(a.startswith(":") and len(a) > 1 for a in args if not a.startswith("-"))
    forced = deletes or any(_FORCE.match(a) for a in args) or any(a.startswith("+") for a in args)
    if not forced:
        return set()
    refs = [a.lstrip("+").split(":")[-1].removeprefix("refs/heads/") for a in args if not a.startswith("-")]
    branches = refs[1:] if len(refs) > 1 else []
    if not branches or any(_protected(b, ctx.protected_branches) for b in branches):
        return {"force_push", "force_push_protected"}
    return {"force_push"}


def _protected(name: str, patterns: tuple[str, ...]) -> bool:
    return any(fnmatch.fnmatchcase(name, p) for p in patterns)


# --------------------------------------------------------------------------- kubectl


def _kubectl_split(args: list[str]) -> tuple[list[str], str]:
    """(operands, namespace) with the values of options that take one skipped."""
    words: list[str] = []
    namespace = ""
    i = 0
    while i < len(args):
        a = args[i]
        if a == "--":
            break
        if a in ("-n", "--namespace") and i + 1 < len(args):
            namespace = args[i + 1]
        elif a.startswith("--namespace="):
            namespace = a.split("=", 1)[1]
        elif a.startswith("-n") and len(a) > 2 and not a.startswith("--"):
            namespace = a[2:].lstrip("=")
        if a.startswith("-"):
            if a in _KUBECTL_VALUE:
                i += 1
        else:
            words.append(a)
        i += 1
    return words, namespace


def _kinds(token: str) -> set[str]:
    return {t.split("/")[0].split(".")[0].lower() for t in token.split(",") if t}


def _kubectl_reads_secrets(args: list[str]) -> bool:
    words, _ = _kubectl_split(args)
    if not words or words[0] != "get" or len(words) < 2:
        return False
    return bool(_kinds(words[1]) & {"secret", "secrets"})


def _kubectl_facts(args: list[str], ctx: GateContext) -> set[str]:
    words, namespace = _kubectl_split(args)
    if not words:
        return set()
    facts: set[str] = set()
    if _kubectl_reads_secrets(args):
        facts.add("reads_secrets")
    if words[0] in ("run", "create") and any(
            re.search(r'(?i)"?(privileged"?\s*:\s*true|host(PID|IPC|Network)"?\s*:\s*true|hostPath)', v)
            for v in _option_values(args, {"--overrides"})):
        facts.add("privileged_pod")
    if words[0] == "debug" and (any(w.startswith(("node/", "nodes/")) for w in words[1:]) or
                                any(v in ("sysadmin", "netadmin") for v in _option_values(args, {"--profile"}))):
        facts.add("privileged_pod")
    dry_run = any(a.startswith("--dry-run") and a not in ("--dry-run=none", "--dry-run=false") for a in args)
    if words[0] != "delete" or len(words) < 2 or dry_run:
        return facts
    targets = [t for w in words[1:] for t in w.split(",")]
    kinds = _kinds(words[1]) | {t.split("/")[0].split(".")[0].lower() for t in targets if "/" in t}
    named_ns = [t.split("/", 1)[1] for t in targets if t.split("/")[0].lower() in _NAMESPACE_KINDS and "/" in t]
    if kinds & _NAMESPACE_KINDS and len(words) > 2:
        named_ns += words[2:]
    protected = set(ctx.protected_namespaces)
    everything = "--all" in args or "--all=true" in args
    all_ns = "--all-namespaces" in args or "-A" in args
    if (set(named_ns) & protected) or (kinds & _NAMESPACE_KINDS and (everything or all_ns)):
        facts.add("deletes_protected_namespace")
    elif everything and kinds & _CLUSTER_SCOPED:
        facts.add("deletes_all_cluster_scoped")
    elif (everything or len(words) == 2) and (namespace in protected or all_ns) and everything:
        facts.add("empties_protected_namespace")
    return facts


# --------------------------------------------------------------------------- docker


def _docker_facts(args: list[str], home: str) -> set[str]:
    i = 0
    while i < len(args) and args[i].startswith("-"):
        i += 2 if args[i] in _DOCKER_GLOBAL_VALUE else 1
    rest = args[i:]
    if rest and rest[0] == "container":
        rest = rest[1:]
    if not rest or rest[0] not in ("run", "create"):
        return set()
    opts: list[tuple[str, str | None]] = []
    j = 1
    while j < len(rest):
        a = rest[j]
        if a == "--" or not a.startswith("-"):
            break
        if a.startswith("--") and "=" in a:
            key, _, val = a.partition("=")
            opts.append((key, val))
        elif a in _DOCKER_RUN_VALUE:
            opts.append((a, rest[j + 1] if j + 1 < len(rest) else None))
            j += 1
        elif not a.startswith("--") and len(a) > 2 and ("-" + a[1]) in ("-v", "-e", "-p", "-w", "-u", "-h", "-l"):
            opts.append(("-" + a[1], a[2:]))  # `-v/:/host`
        else:
            opts.append((a, None))
        j += 1
    for name, value in opts:
        v = value or ""
        if name == "--privileged" and v.lower() != "false":
            return {"docker_host_takeover"}
        if name in ("--pid", "--ipc", "--userns", "--uts", "--cgroupns") and v == "host":
            return {"docker_host_takeover"}
        if name == "--cap-add" and v.upper().removeprefix("CAP_") in _DANGEROUS_CAPS:
            return {"docker_host_takeover"}
        if name == "--device" and _BLOCK_DEVICE_RE.match(v.split(":")[0]):
            return {"docker_host_takeover"}
        if name == "--security-opt" and re.search(r"(?i)(apparmor|seccomp)[=:]unconfined", v) and \
                any(n == "--cap-add" for n, _ in opts):
            return {"docker_host_takeover"}
        if name in ("-v", "--volume"):
            parts = v.split(":")
            if len(parts) >= 2 and _host_sensitive(parts[0], "ro" in parts[2:], home):
                return {"docker_host_takeover"}
        if name == "--mount":
            fields = {f.partition("=")[0]: (f.partition("=")[2] if "=" in f else "true") for f in v.split(",")}
            src = fields.get("source") or fields.get("src") or ""
            ro = fields.get("readonly", fields.get("ro", "false")).lower() in ("true", "1")
            if fields.get("type", "volume") == "bind" and _host_sensitive(src, ro, home):
                return {"docker_host_takeover"}
    return set()


def _host_sensitive(source: str, read_only: bool, home: str) -> bool:
    if _ENGINE_SOCKETS.search(source):
        return True
    n = word_as_path(source, home)
    if n is None or not n.startswith("/"):
        return False
    if n in ("/", "/home", "/var", "/etc", "/root", "/proc", "/sys", "/dev", "/run", "/var/run", "/boot", "/usr") \
            or n == home:
        return not (read_only and n in ("/proc", "/sys", "/var/run", "/run"))
    if read_only:
        return False  # `-v /etc/localtime:/etc/localtime:ro`, `-v /var/log:/var/log:ro`
    if n.startswith("/home/") and n.count("/") == 2:
        return True
    return n.startswith(_DOCKER_HOST_SENSITIVE_UNDER)


def stdin_words(seg: Segment) -> list[str]:
    """Words xargs would read from a literal here-string / here-doc (best effort)."""
    text = seg.stdin_literal
    if not isinstance(text, str) or not text:
        return []
    try:
        return shlex.split(text)
    except ValueError:
        return text.split()


# ----------------------------------------------------------------------------- staged payloads
# "Download (or decode) to a file, then run the file" in one command is the same as piping the
# download into a shell; a glob on one simple command cannot see it, so it is recognised here.
_FETCHERS = frozenset({"curl", "wget", "fetch", "aria2c", "http", "https", "xh", "nc", "ncat", "netcat", "tftp",
                       "ftp", "scp", "rsync", "base64", "base32", "basenc", "xxd", "uudecode", "openssl",
                       "gunzip", "zcat", "bunzip2", "xz", "unxz", "rev", "printf", "echo"})
_OUTPUT_FLAGS = frozenset({"-o", "-O", "--output", "--output-document", "-out", "--out"})
_RUNNERS = frozenset({"sh", "bash", "zsh", "dash", "ksh", "fish", "source", ".", "python", "python3", "perl",
                      "ruby", "node", "php", "lua", "busybox"})


def _file_key(word: str, ctx: GateContext) -> str:
    from reign.policy.gate import normal_path

    return normal_path(word, ctx).removeprefix("./")


def staged_payload(segments: Sequence[Segment], ctx: GateContext) -> str | None:
    """The file a command writes from a fetcher or decoder and then runs, if it does both."""
    written: dict[str, str] = {}
    for seg in segments:
        prog, args = seg.program, list(seg.argv[1:])
        fetched = prog in _FETCHERS or any(p in _FETCHERS for p in seg.pipe_from)
        if fetched:
            for i, word in enumerate(args):
                if (word in _OUTPUT_FLAGS or re.fullmatch(r"-[a-zA-Z]*[oO]", word)) and i + 1 < len(args):
                    target = args[i + 1]
                    if "://" in target:  # `curl -O URL`: the file is named after the URL
                        target = target.rstrip("/").rsplit("/", 1)[-1].split("?", 1)[0]
                    written[_file_key(target, ctx)] = prog
                elif word.startswith(("--output=", "--output-document=", "-o", "-O")) and len(word) > 2 \
                        and not word.startswith("--output-dir"):
                    written[_file_key(word.split("=", 1)[-1] if "=" in word else word[2:], ctx)] = prog
            for r in seg.redirects:
                if ">" in r.op and not r.target.isdigit():
                    written[_file_key(r.target, ctx)] = prog
            if prog == "tee":
                for word in args:
                    if not word.startswith("-"):
                        written[_file_key(word, ctx)] = seg.pipe_from[0] if seg.pipe_from else prog
        if not written:
            continue
        runs = []
        if prog in _RUNNERS:
            runs = [w for w in args if not w.startswith("-")][:1]
        elif seg.argv and ("/" in seg.argv[0]):
            runs = [seg.argv[0]]
        for target in runs:
            key = _file_key(target, ctx)
            if key in written:
                return f"{target} (written by {written[key]})"
    return None


# ----------------------------------------------------------------------------- effect
# The CLIs the gate translates into the facts of the matching tool call (reign.policy.facts): their
# effect is decided there, not here.
TRANSLATED_PROGRAMS = frozenset({"kubectl", "oc", "k", "helm", "terraform", "docker", "podman", "nerdctl",
                                 "docker-compose", "git", "gh"})
_INTERPRETERS = re.compile(r"^(python[0-9.]*|pypy[0-9.]*|node|nodejs|deno|bun|ruby|perl|php|lua|luajit|Rscript|"
                           r"julia|pwsh|powershell|osascript|tclsh|expect|groovy|elixir|erl|awk|gawk|mawk|nawk|"
                           r"sed|gsed)$")
_PYTHON = re.compile(r"^(python|pypy)[0-9.]*$")
_TEXT_FILTERS = frozenset({"awk", "gawk", "mawk", "nawk", "sed", "gsed", "perl"})
_NO_WRITE_TARGETS = re.compile(r"^(/dev/(null|stdout|stderr|fd/[0-9]+|tty)|[0-9]+-?|-)$")
_CRITICAL_FACTS = frozenset({"wipes_system_path", "writes_device", "kills_everything", "wipes_logs"})
_CURL_SENDS = frozenset({"-d", "--data", "--data-binary", "--data-raw", "--data-urlencode", "-F", "--form",
                         "-T", "--upload-file", "--json", "--post-data", "--post-file", "--body-data",
                         "--body-file"})
_SCRATCH = ("/tmp/", "/var/tmp/", "/dev/shm/")  # noqa: S108 (paths compared, not used)


def generic_effect(seg: Segment, ctx: GateContext) -> Effect | None:
    """What one simple command really does: "read", "write", "destructive" or "unknown" (it could not
    tell: an unknown program, a script file, code it cannot read, a computed path). None for the CLIs
    the gate translates itself (TRANSLATED_PROGRAMS). Spawned and wrapped commands are segments of
    their own: a call's effect is the strictest of its segments' (EFFECT_RANK), and unknown when the
    parse reported problems."""
    if seg.program in TRANSLATED_PROGRAMS:
        return "destructive" if destructive_use(seg.program, list(seg.argv[1:])) else None
    return _effect(seg, ctx, segment_facts(seg, ctx))


def strictest(effects: Sequence[Effect | None]) -> Effect:
    known = [e for e in effects if e is not None]
    return max(known, key=EFFECT_RANK.__getitem__) if known else "read"


def _code_facts(code: InlineCode, home: str) -> set[str]:
    facts: set[str] = set()
    for path in code.deletes:
        n = word_as_path(path, home)
        if n is not None and n.startswith("/") and _wipe_target(n, home):
            facts.add("wipes_system_path")
    for path in code.writes:
        n = word_as_path(path, home)
        if n is None:
            continue
        if _SYSTEM_CONFIG_RE.match(_tilde(n, home)):
            facts.add("writes_system_config")
        if _BLOCK_DEVICE_RE.match(n):
            facts.add("writes_device")
    if "?" in code.reads:
        facts.add("computed_read_path")  # `open(sys.argv[1]).read()`: it could be a credential
    for path in code.reads:
        n = word_as_path(path, home)
        if n is not None and (_is_credential(_tilde(n, home)) or _RAW_READ_RE.match(n)):
            facts.add("credential_path")
    if code.env_dump:
        facts.add("env_dump")
        if code.network:
            facts.add("sends_environment")
    if code.effect == "unknown":
        facts.add("inline_code_unknown")
    elif code.effect != "read":
        facts.add("inline_code_writes")
    return facts


def _effect_facts(seg: Segment, prog: str, args: list[str], facts: set[str]) -> set[str]:
    """Facts from the effect: `destructive`, and the reads a rule may allow (`version_query`,
    `text_filter`: awk/sed without exec features, `inline_read`: interpreter code that only reads)."""
    out: set[str] = set()
    if prog in TRANSLATED_PROGRAMS:
        return out
    code = seg.code
    if code is not None and code.effect == "read" and "?" not in code.reads and not code.env_dump and \
            "credential_path" not in facts:  # a file read at a computed path could be a credential
        if prog in _TEXT_FILTERS:
            out.add("text_filter")
        elif code.language in ("python", "javascript", "ruby"):
            out.add("inline_read")  # not for tar -I, psql \!, man -P...: their own effect is judged apart
    if code is None and version_query(prog, seg.argv[0] if seg.argv else "", args):
        out.add("version_query")
    if code is None and prog not in ("crontab", "systemctl", "service") and read_use(prog, args):
        out.add("read_use")  # `pip list`, `npm ls`, `dpkg -l`: a writing program used to read
    if code is None and _PYTHON.match(prog) and python_module_effect(args) == "read" and not seg.redirects:
        out.add("inline_read")  # `python3 -m json.tool f.json`, `python3 -m pip list`
    effect = _effect(seg, None, facts)
    if effect == "destructive":
        out.add("destructive")
    return out


def _effect(seg: Segment, ctx: GateContext | None, facts: set[str]) -> Effect:
    prog, args = seg.program, list(seg.argv[1:])
    if facts & _CRITICAL_FACTS:
        return "destructive"
    effects: list[Effect] = []
    for r in seg.redirects:
        if ">" in r.op and not r.op.endswith(">&") and not _NO_WRITE_TARGETS.match(r.target):
            effects.append("write")
    if not prog:
        return strictest(effects)
    known = storage_effect(prog, args) or cloud_effect(prog, args) or \
        database_effect(prog, args, seg.stdin_literal) or \
        (python_module_effect(args) if _PYTHON.match(prog) and seg.code is None else None)
    if known is not None:
        effects.append(known)
    elif seg.code is not None:
        effects.append(seg.code.effect)
    elif version_query(prog, seg.argv[0], args):
        effects.append("read")
    elif prog in DELETERS or (prog == "find" and "-delete" in args):
        effects.append(_delete_effect(seg, ctx))
    elif prog in WRAPPERS:
        effects.append(_wrapper_effect(prog, args))
    elif prog in READ_PROGRAMS:
        effects.append(_reader_effect(prog, args, facts))
    elif read_use(prog, args):
        effects.append("read")
    elif destructive_use(prog, args):
        effects.append("destructive")
    elif unseen_effect_use(prog, args):
        effects.append("unknown")
    elif prog in WRITE_PROGRAMS or facts & {"crontab_write", "writes_system_config", "mutates"}:
        effects.append("write")
    elif _INTERPRETERS.match(prog) and not args:
        effects.append("read" if not seg.stdin_literal and "-s" not in seg.wrappers else "unknown")
    else:
        effects.append("unknown")
    if facts & {"mutates", "writes_system_config", "crontab_write"}:
        effects.append("write")
    if seg.cwd is None and strictest(effects) == "write" and (  # written where? the directory is not known
            any(">" in r.op and r.resolved.startswith("?/") for r in seg.redirects) or
            any(p.startswith("?/") for p in seg.path_argv[1:])):
        effects.append("unknown")
    return strictest(effects)


def _wrapper_effect(prog: str, args: list[str]) -> Effect:
    """A wrapper runs a command that is a segment of its own; a shell given a script file runs code
    that cannot be seen."""
    from reign.policy.bash.wrappers import SHELLS

    if prog in SHELLS:
        operands = [a for a in args if not a.startswith(("-", "+"))]
        if operands and not any(re.fullmatch(r"-[a-zA-Z]*c[a-zA-Z]*", a) for a in args):
            return "unknown"
    return "read"


def _reader_effect(prog: str, args: list[str], facts: set[str]) -> Effect:
    if prog in ("curl", "wget", "http", "xh"):
        methods = _option_values(args, {"-X", "--request", "--method"})
        if any(m.upper() == "DELETE" for m in methods) or any(a.upper() == "DELETE" for a in args[:1]):
            return "destructive"
        if methods and any(m.upper() not in ("GET", "HEAD", "OPTIONS") for m in methods):
            return "write"
        if any(a in _CURL_SENDS or a.startswith(tuple(f"{o}=" for o in _CURL_SENDS if o.startswith("--")))
               for a in args):
            return "write"
        if _write_targets(prog, args, []) or "-O" in args or "--remote-name" in args:
            return "write"
    if prog == "find" and any(a in ("-fprint", "-fprint0", "-fprintf", "-fls") for a in args):
        return "write"
    if prog in ("unzip",) and not any(a in ("-l", "-v", "-t", "-Z", "-p") for a in args):
        return "write"
    if prog in ("openssl", "gpg") and not any(a in ("x509", "version", "-v", "--version", "s_client", "verify",
                                                     "--list-keys", "-k", "--verify", "req", "dgst") for a in args):
        return "unknown"
    return "write" if facts & {"mutates"} else "read"


def _delete_effect(seg: Segment, ctx: GateContext | None) -> Effect:
    """Deleting is destructive (it cannot be undone), wherever it lands, the workspace included;
    only a scratch directory (/tmp, /var/tmp, /dev/shm) is a plain write."""
    prog = seg.program
    words = list(seg.path_argv[1:])
    if prog == "find":
        targets = []
        for w in words:
            if w.startswith(("-", "(", "!", ")")):
                break
            targets.append(w)
        targets = targets or ["."]
    else:
        targets = [a for _, a in _operands(words, _VALUE_OPTS.get(prog, frozenset()))]
    if seg.wrappers and seg.wrappers[-1] in ("xargs", "parallel"):
        return "destructive"  # the paths come from the input
    if not targets:
        return "read"
    home = ctx.home.rstrip("/") if ctx is not None else "~"
    if prog not in ("shred", "srm", "wipe") and all(
            (n := word_as_path(t, home)) is not None and n.startswith(_SCRATCH) for t in targets):
        return "write"
    return "destructive"
