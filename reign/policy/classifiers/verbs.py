"""What a command's verb does, for programs the gate has no manager for: read-only tools, version
queries, storage tools, cloud CLIs and database clients. Pure tables and functions on argv.

Each `*_effect` returns "read", "write", "destructive", "unknown", or None when the program is not
one it knows.
"""

from __future__ import annotations

import re
import shlex
from typing import Literal

Effect = Literal["read", "write", "destructive", "unknown"]
EFFECT_RANK: dict[Effect, int] = {"read": 0, "write": 1, "unknown": 2, "destructive": 3}

# Programs that only read (their write options are caught by facts: `mutates`, redirections).
READ_PROGRAMS = frozenset({
    "ls", "dir", "cat", "tac", "head", "tail", "less", "more", "grep", "egrep", "fgrep", "rg", "ag", "wc", "sort",
    "uniq", "cut", "tr", "nl", "column", "fold", "fmt", "paste", "join", "comm", "diff", "cmp", "colordiff", "echo",
    "printf", "pwd", "whoami", "id", "groups", "hostname", "uname", "date", "cal", "df", "du", "free", "uptime",
    "ps", "pgrep", "pstree", "stat", "file", "which", "whereis", "type", "basename", "dirname", "realpath",
    "readlink", "tree", "md5sum", "sha1sum", "sha256sum", "sha512sum", "cksum", "b2sum", "jq", "yq", "true",
    "false", "test", "[", "sleep", "seq", "lsblk", "lscpu", "lsmem", "lsof", "ss", "netstat", "ip", "nproc",
    "arch", "locale", "tty", "getconf", "strings", "hexdump", "od", "expr", "numfmt", "vmstat", "iostat",
    "mpstat", "dmesg", "journalctl", "w", "who", "last", "lsmod", "findmnt", "getent", "ulimit", "history",
    "find", "xxd", "base64", "base32", "zcat", "bat", "man", "info", "apropos", "whatis", "env", "printenv",
    "cd", "pushd", "popd", "dirs", "command", "hash", "help", "lsusb", "lspci", "blkid", "dig", "nslookup",
    "host", "ping", "traceroute", "tracepath", "mtr", "curl", "wget", "http", "xh", "rev", "shuf", "tsort",
    "look", "namei", "lsattr", "getfacl", "users", "logname", "timedatectl", "hostnamectl", "top",
    "localectl", "awk", "gawk", "mawk", "nawk", "sed", "gsed", "openssl", "gpg", "csvlook", "xmllint",
    "diff3", "sdiff", "zgrep", "zless", "bzcat", "xzcat", "zstdcat", "lz4cat", "unzip", "pv", "watch",
})
# Wrappers: their own effect is nothing; what they run is a segment of its own.
WRAPPERS = frozenset({
    "sudo", "doas", "env", "nice", "nohup", "timeout", "time", "stdbuf", "ionice", "taskset", "chrt", "setsid",
    "xargs", "parallel", "exec", "builtin", "command", "eval", "flock", "unbuffer", "faketime", "setpriv",
    "cgexec", "unshare", "nsenter", "chroot", "runuser", "su", "script", "systemd-run", "firejail",
    "proxychains", "proxychains4", "torsocks", "sh", "bash", "zsh", "dash", "ksh", "ash", "mksh", "fish",
    "busybox", "prlimit", "chpst", "setarch", "linux32", "linux64", "bwrap", "fakeroot", "eatmydata", "tini",
    "dumb-init", "gosu", "su-exec", "sg", "pkexec", "run0", "catchsegv", "valgrind", "strace", "ltrace",
    "numactl", "cpulimit", "sem", "chronic", "nocache", "ifne", "rlwrap", "xvfb-run", "systemd-inhibit",
    "trap", "coproc",
})
WRITE_PROGRAMS = frozenset({
    "cp", "mv", "mkdir", "touch", "chmod", "chown", "chgrp", "ln", "install", "tee", "tar", "zip", "gzip",
    "gunzip", "bzip2", "xz", "zstd", "7z", "patch", "rsync", "scp", "sftp", "ssh", "mkfifo", "mktemp", "git",
    "apt", "apt-get", "dpkg", "yum", "dnf", "apk", "pip", "pip3", "npm", "yarn", "pnpm", "gem", "cargo", "go",
    "systemctl", "service", "kill", "pkill", "killall", "crontab", "useradd", "usermod", "ssh-keygen", "tmux",
    "screen", "mount", "umount", "chattr", "setfacl", "sysctl", "modprobe", "insmod", "iptables", "nft", "ufw",
    "hostnamectl", "timedatectl", "vi", "vim", "nvim", "nano", "emacs", "ed", "sponge", "split", "csplit",
    "docker", "podman", "kubectl", "helm", "terraform",
})
# Read-only uses of programs that otherwise write: the first operand (or option) that makes them a read.
_READ_USES = {
    "systemctl": {"status", "is-active", "is-enabled", "is-failed", "list-units", "list-unit-files", "list-timers",
                  "list-sockets", "list-dependencies", "list-jobs", "show", "cat", "get-default", "--failed"},
    "service": {"--status-all", "status"}, "crontab": {"-l"}, "apt": {"list", "show", "search", "policy"},
    "apt-get": {"check", "--simulate", "-s"}, "dpkg": {"-l", "-L", "-s", "-S", "--list", "--status", "--listfiles"},
    "pip": {"list", "show", "freeze", "check", "index", "config"}, "pip3": {"list", "show", "freeze", "check"},
    "npm": {"ls", "list", "view", "outdated", "info", "explain", "root", "prefix", "config"},
    "yarn": {"list", "info", "why", "outdated"}, "pnpm": {"list", "ls", "why", "outdated"},
    "gem": {"list", "info", "search", "contents", "env"}, "cargo": {"tree", "metadata", "search"},
    "go": {"env", "doc"}, "iptables": {"-L", "-S", "--list", "--list-rules"},
    "nft": {"list"}, "mount": set(), "ssh-keygen": {"-l", "-F", "-y"}, "tmux": {"ls", "list-sessions"},
    "screen": {"-ls", "-list"}, "kill": {"-l", "-L"},
}


def read_use(program: str, args: list[str]) -> bool:
    """`systemctl status x`, `crontab -l`, `pip list`: a normally writing program used only to read."""
    uses = _READ_USES.get(program)
    if uses is None:
        return False
    if not args:
        return program in ("mount", "systemctl")
    first = next((a for a in args if not a.startswith("-")), "")
    return first in uses or any(a in uses for a in args if a.startswith("-"))


# Destructive uses of programs that otherwise only write: work thrown away, services and processes stopped,
# firewalls flushed, packages and users removed. Matched on the first operand (a verb) or any option.
_DESTRUCTIVE_VERBS = {
    "systemctl": {"stop", "kill", "disable", "mask", "poweroff", "reboot", "halt", "isolate", "rescue",
                  "emergency", "kexec", "reset-failed"},
    "service": {"stop"}, "kill": set(), "pkill": set(), "killall": set(),
    "iptables": {"-F", "--flush", "-X", "--delete-chain", "-D", "--delete", "-P", "--policy", "-Z"},
    "ip6tables": {"-F", "--flush", "-X", "--delete-chain", "-D", "--delete", "-P", "--policy"},
    "nft": {"flush", "delete", "destroy"}, "ufw": {"disable", "reset", "delete", "deny"},
    "crontab": {"-r"}, "apt": {"remove", "purge", "autoremove"}, "apt-get": {"remove", "purge", "autoremove"},
    "dpkg": {"-r", "-P", "--remove", "--purge"}, "yum": {"remove", "erase"}, "dnf": {"remove", "erase"},
    "apk": {"del"}, "pip": {"uninstall"}, "pip3": {"uninstall"}, "npm": {"uninstall", "rm", "unpublish"},
    "userdel": set(), "groupdel": set(), "umount": set(), "swapoff": set(), "tmux": {"kill-server", "kill-session"},
}
# git verbs (and the options that make them) which throw away commits, files or history
_GIT_DESTRUCTIVE = {
    "reset": {"--hard", "--merge", "--keep"}, "clean": {"-f", "--force"}, "branch": {"-D", "--delete", "-d"},
    "checkout": {"-f", "--force", "--", "."}, "restore": set(), "stash": {"drop", "clear"},
    "reflog": {"expire", "delete"}, "gc": {"--prune=now", "--prune=all"}, "update-ref": {"-d"},
    "filter-branch": set(), "filter-repo": set(), "rm": set(), "tag": {"-d", "--delete"},
    "worktree": {"remove", "prune"}, "remote": {"remove", "rm"}, "switch": {"--discard-changes", "-f", "--force"},
    "prune": set(), "lfs": {"prune"}, "submodule": {"deinit"},
}


# Verbs that run the project's own scripts or code (package.json scripts, a Makefile-like task, `go run`):
# what they do is not visible in the command.
_RUNS_PROJECT_CODE = {
    "npm": {"run", "run-script", "exec", "start", "test", "t", "x", "restart", "stop", "install-test", "it"},
    "yarn": {"run", "exec", "dlx", "start", "test", "node"}, "pnpm": {"run", "exec", "dlx", "start", "test"},
    "cargo": {"run", "test", "bench", "script"}, "go": {"run", "test", "generate", "tool"},
}
_REMOTE_COPIERS = frozenset({"scp", "rsync", "sftp"})
_REMOTE_OPERAND = re.compile(r"^(?:[\w.@-]+:|rsync://)(?!//)")


def unseen_effect_use(program: str, args: list[str]) -> bool:
    """`npm run deploy`, `go run .`, `scp f host:/x`: code the gate cannot see, or a change on another machine."""
    if program in _REMOTE_COPIERS:
        return any(_REMOTE_OPERAND.match(a) for a in args if not a.startswith("-"))
    verbs = _RUNS_PROJECT_CODE.get(program)
    first = next((a for a in args if not a.startswith("-")), "")
    return verbs is not None and first in verbs


def destructive_use(program: str, args: list[str]) -> bool:
    """`git reset --hard`, `systemctl stop x`, `iptables -F`, `kill PID`: a writer used to destroy."""
    if program == "git":
        from reign.policy.facts.cli_options import split

        words = split(tuple(args), "git").words
        if not words or words[0] not in _GIT_DESTRUCTIVE:
            return False
        marks = _GIT_DESTRUCTIVE[words[0]]
        flags = {a for a in args if a.startswith("-")} | {f"-{c}" for a in args
                                                          if a.startswith("-") and not a.startswith("--")
                                                          for c in a[1:]}
        return not marks or bool(marks & (flags | set(words[1:])))
    verbs = _DESTRUCTIVE_VERBS.get(program)
    if verbs is None:
        return False
    if not verbs:
        return not read_use(program, args) and bool(args)
    first = next((a for a in args if not a.startswith("-")), "")
    return first in verbs or any(a in verbs or a.split("=", 1)[0] in verbs for a in args if a.startswith("-"))


_PYTHON_MODULES: dict[str, Effect] = {
    "json.tool": "read", "site": "read", "sysconfig": "read", "platform": "read", "tokenize": "read",
    "pydoc": "read", "base64": "read", "calendar": "read", "uuid": "read", "venv": "write", "ensurepip": "write",
    "compileall": "write", "py_compile": "write", "zipapp": "write",
}
_PIP_READS = frozenset({"list", "show", "freeze", "check", "--version", "-V", "help", "--help", "index", "config",
                        "inspect", "debug", "hash", "download"})


def python_module_effect(args: list[str]) -> Effect | None:
    """`python3 -m MODULE ...`: the effect of the standard modules people use from a shell; None when
    there is no `-m`; unknown for any other module (it is code that cannot be seen)."""
    if "-m" not in args[:3] or args.index("-m") + 1 >= len(args):
        return None
    i = args.index("-m")
    module, rest = args[i + 1], args[i + 2:]
    if module == "pip":
        return "read" if rest and rest[0] in _PIP_READS else "write"
    if module in ("zipfile", "tarfile", "gzip"):
        return "read" if rest and rest[0] in ("-l", "--list", "-t", "--test") else "write"
    return _PYTHON_MODULES.get(module, "unknown")


# Deleting: judged by where the paths are (the workspace, a scratch directory, elsewhere).
DELETERS = frozenset({"rm", "rmdir", "unlink", "shred", "srm", "wipe", "truncate"})

_VERSION_FLAGS = frozenset({"--version", "-version", "--help", "-help", "-h", "version", "help", "-V"})
_SHORT_VERSION = {"node": {"-v"}, "npm": {"-v"}, "yarn": {"-v"}, "pnpm": {"-v"}, "deno": {"-v"}, "bun": {"-v"},
                  "java": {"-version"}, "gcc": {"-v"}, "cc": {"-v"}, "clang": {"-v"}, "perl": {"-v"},
                  "ruby": {"-v"}, "php": {"-v"}, "go": {"version", "env"}, "rustc": {"-V", "-vV"},
                  "cargo": {"-V"}, "lua": {"-v"}, "python": {"-VV"}, "python3": {"-VV"}}
_NO_VERSION_QUERY = frozenset({"sudo", "doas", "su", "ssh", "xargs", "env", "find", "date", "hostname"})


def version_query(program: str, argv0: str, args: list[str]) -> bool:
    """`X --version`, `X -V`, `X version`, `X --help`, `X help [topic]` of a program found on PATH."""
    if not args or "/" in argv0 or program in _NO_VERSION_QUERY:
        return False
    first = args[0]
    if len(args) == 1 and (first in _VERSION_FLAGS or first in _SHORT_VERSION.get(program, ())):
        return True
    return (first in ("--help", "help") and len(args) <= 2 and not any(a.startswith("-") for a in args[1:])) or \
        (first in ("version", "--version") and all(a.startswith("-") and "=" not in a for a in args[1:])
         and len(args) <= 3 and program not in ("git", "kubectl", "helm"))


# --------------------------------------------------------------------------- storage

_STORAGE_ALWAYS = frozenset({"mkfs", "mke2fs", "mkswap", "wipefs", "shred", "blkdiscard", "mkntfs", "mkdosfs",
                             "mkfs.ext4", "mkfs.ext3", "mkfs.ext2", "mkfs.xfs", "mkfs.btrfs", "mkfs.vfat",
                             "mkfs.fat", "mkfs.ntfs", "mkfs.exfat", "mkfs.f2fs", "sgdisk", "cfdisk", "pvremove",
                             "vgremove", "lvremove", "cryptsetup-erase", "zap"})
_STORAGE_READS = {
    "fdisk": ("-l", "--list"), "sfdisk": ("-l", "--list", "-d", "--dump", "-s", "--show-size", "-V", "--verify",
                                          "-J", "--json"),
    "parted": ("print", "-l", "--list", "unit"), "zpool": ("list", "status", "iostat", "get", "history", "events"),
    "zfs": ("list", "get", "diff", "holds", "userspace", "groupspace"), "mdadm": ("--detail", "-D", "--examine",
                                                                                  "-E", "--query", "-Q"),
    "lvm": ("lvs", "vgs", "pvs", "lvdisplay", "vgdisplay", "pvdisplay"), "cryptsetup": ("status", "luksDump",
                                                                                       "isLuks"),
}
_STORAGE_DESTROY = {
    "zpool": ("destroy", "labelclear", "remove", "detach", "offline", "split", "export"),
    "zfs": ("destroy", "rollback"), "mdadm": ("--zero-superblock", "--stop", "-S", "--remove", "--fail", "--create",
                                              "-C"),
    "cryptsetup": ("erase", "luksErase", "luksFormat", "luksKillSlot", "luksRemoveKey", "reencrypt"),
    "lvm": ("lvremove", "vgremove", "pvremove"), "btrfs": ("delete", "remove"),
}


def storage_effect(program: str, args: list[str]) -> Effect | None:
    if program in _STORAGE_ALWAYS or program.startswith("mkfs."):
        return "destructive"
    if program == "dd":
        target = [a[3:] for a in args if a.startswith("of=")]
        if any(t.startswith("/dev/") and t not in ("/dev/null", "/dev/stdout", "/dev/stderr") for t in target):
            return "destructive"
        return "write" if target else "read"
    if program in ("fdisk", "sfdisk", "parted", "gdisk"):
        if any(a in _STORAGE_READS.get(program, ()) for a in args):
            return "read"
        return "destructive"  # an interactive or scripted repartition
    if program in ("pvs", "vgs", "lvs", "pvdisplay", "vgdisplay", "lvdisplay", "blkid", "lsblk"):
        return "read"
    if program in ("lvcreate", "vgcreate", "pvcreate", "lvextend", "lvresize", "vgextend"):
        return "write"
    if program in ("lvreduce", "vgreduce", "pvmove"):
        return "destructive"
    if program in _STORAGE_DESTROY or program in _STORAGE_READS:
        words = [a for a in args if not a.startswith("-")] + [a for a in args if a.startswith("-")]
        if any(a in _STORAGE_DESTROY.get(program, ()) for a in words):
            return "destructive"
        if any(a in _STORAGE_READS.get(program, ()) for a in words):
            return "read"
        return "write"
    if program in ("btrfs",):
        return "write"
    return None


# --------------------------------------------------------------------------- cloud CLIs

_CLOUD = frozenset({"aws", "gcloud", "gsutil", "az", "doctl", "linode-cli", "hcloud", "s3cmd", "rclone", "oci",
                    "ibmcloud", "scw", "vultr-cli", "exo", "flyctl", "fly", "heroku", "vercel", "netlify",
                    "wrangler", "upcloud", "civo", "gh-cli-none"})
_CLOUD_DESTROY = re.compile(r"^(delete|terminate|destroy|remove|rm|rb|del|purge|drop|deregister|disassociate|"
                            r"detach|revoke|wipe|cleanup|prune|release|cancel|decommission|erase|disable-key|"
                            r"schedule-key-deletion|deletebucket|destroy-app|apps:destroy|rmdir|deletefile|"
                            r"deletebucket|reset)([-_:].*)?$", re.I)
_CLOUD_READ = re.compile(r"^(list|ls|describe|get|show|head|wait|info|status|lookup|search|whoami|version|"
                         r"cat|du|stat|lsjson|lsd|lsf|tree|check|config|account|regions|sizes|images|"
                         r"size|md5sum|sha1sum|hashsum|about|logs|print-.*|auth|login|configure|help|"
                         r"export|validate|simulate|test-.*|estimate|preview)([-_:].*)?$", re.I)
_CLOUD_DELETE_FLAGS = frozenset({"--delete", "--delete-after", "--delete-before", "--delete-during",
                                 "--delete-excluded", "--force-destroy", "--delete-removed", "--remove-source-files"})
_CLOUD_VALUE = frozenset({"--profile", "--region", "--output", "--query", "--endpoint-url", "--project", "-p",
                          "--format", "--subscription", "--resource-group", "-g", "--account", "--zone",
                          "--context", "-t", "--access-token", "--config", "-o", "--configuration", "--color"})


def cloud_effect(program: str, args: list[str]) -> Effect | None:
    if program not in _CLOUD:
        return None
    words: list[str] = []
    skip = False
    for a in args:
        if skip:
            skip = False
            continue
        if a.startswith("-"):
            skip = a in _CLOUD_VALUE
            if a in _CLOUD_DELETE_FLAGS and program in ("aws", "s3cmd", "gsutil", "rclone"):
                return "destructive"
            continue
        words.append(a)
    if not words:
        return "read"
    # the verb: aws SERVICE VERB, gcloud GROUP.. VERB, az GROUP.. VERB, s3cmd VERB, rclone VERB, gsutil VERB
    candidates = words[:1] if program in ("s3cmd", "rclone", "gsutil", "heroku", "vercel", "netlify",
                                          "flyctl", "fly", "wrangler") else words[:4]
    if program == "aws" and len(words) > 1:
        candidates = words[1:2]  # aws SERVICE VERB
    if program in ("rclone",) and words[0] in ("sync", "move", "moveto", "dedupe", "cleanup", "purge",
                                                "delete", "deletefile", "rmdir", "rmdirs"):
        return "destructive" if words[0] != "move" and words[0] != "moveto" else "write"
    if program == "gsutil" and words[0] == "rsync" and "-d" in args:
        return "destructive"
    if any(_CLOUD_DESTROY.match(w) for w in candidates):
        return "destructive"
    verb = candidates[-1] if program not in ("aws", "s3cmd", "rclone", "gsutil") else candidates[0]
    if program in ("gcloud", "az", "doctl", "linode-cli", "hcloud", "oci", "scw", "ibmcloud", "civo"):
        verb = next((w for w in words if _CLOUD_READ.match(w) or _CLOUD_DESTROY.match(w)), words[-1])
        if _CLOUD_DESTROY.match(verb):
            return "destructive"
    if _CLOUD_READ.match(verb) or (program == "aws" and verb.startswith(("describe-", "list-", "get-"))):
        return "read"
    return "write"


# --------------------------------------------------------------------------- database clients

_DB_CLIENTS = {
    "psql": ("-c", "--command"), "mysql": ("-e", "--execute"), "mariadb": ("-e", "--execute"),
    "sqlite3": (), "mongo": ("--eval",), "mongosh": ("--eval",), "cqlsh": ("-e", "--execute"),
    "clickhouse-client": ("-q", "--query"), "redis-cli": (), "valkey-cli": (), "sqlcmd": ("-Q", "-q"),
    "duckdb": ("-c",), "cockroach": ("-e", "--execute"),
}
_SQL_READ = re.compile(r"^\s*(select|show|describe|desc|explain|with\s+\w+\s+as\s*\(\s*select|values|table|"
                       r"\\[a-z?]+|\.(tables|schema|headers|mode|dump|indexes|databases)|pragma\s+\w+\s*$|"
                       r"use\s+\w+|begin|commit|set\s+search_path)\b", re.I)
_SQL_DESTROY = re.compile(r"^\s*(drop|truncate)\b|^\s*delete\s+from\s+[\w.\"`\[\]]+\s*(;|$)|"
                          r"^\s*update\s+[\w.\"`\[\]]+\s+set\s+(?:(?!\bwhere\b).)*$|"
                          r"^\s*alter\s+.*\bdrop\b", re.I | re.S)
_REDIS_READ = frozenset({"get", "mget", "keys", "scan", "info", "ping", "ttl", "pttl", "type", "exists", "hget",
                         "hgetall", "hkeys", "hvals", "hlen", "lrange", "llen", "smembers", "scard", "zrange",
                         "zcard", "strlen", "dbsize", "monitor", "client", "memory", "slowlog", "time", "echo",
                         "lastsave", "role", "sismember", "zscore", "hexists", "--scan", "--bigkeys", "--stat",
                         "--latency", "xrange", "xlen", "pubsub", "command"})
_REDIS_DESTROY = frozenset({"flushall", "flushdb", "shutdown", "debug", "swapdb", "replicaof", "slaveof",
                            "cluster", "failover"})
_MONGO_DESTROY = re.compile(r"\.(dropDatabase|drop|dropIndexes|dropUser|dropAllUsers|dropRole)\s*\(|"
                            r"\.(deleteMany|remove)\s*\(\s*\{\s*\}\s*\)", re.S)
_MONGO_WRITE = re.compile(r"\.(insert\w*|update\w*|replaceOne|deleteOne|deleteMany|remove|createCollection|"
                          r"createIndex|renameCollection|createUser|grantRolesToUser|bulkWrite|save|"
                          r"findOneAnd\w+|runCommand|adminCommand|eval|shutdownServer)\s*\(")


def database_effect(program: str, args: list[str], stdin: str | None) -> Effect | None:
    """The effect of a database client from the SQL / commands it is given (-c/-e/--eval, operands,
    a here-string or here-doc); "unknown" when none is visible (interactive, -f FILE, piped input)."""
    if program not in _DB_CLIENTS:
        return None
    flags = _DB_CLIENTS[program]
    texts = [args[i + 1] for i, a in enumerate(args[:-1]) if a in flags]
    texts += [a.split("=", 1)[1] for a in args if "=" in a and a.split("=", 1)[0] in flags]
    if program in ("redis-cli", "valkey-cli"):
        return _redis(args, stdin)
    if program in ("sqlite3", "duckdb"):
        operands = [a for a in args if not a.startswith("-")]
        texts += operands[1:]  # sqlite3 DB "SQL"
    if any(a in ("-f", "--file", "-i", "--source", "--init") for a in args) or \
            any(a.startswith(("--file=", "-f")) and a != "-f" and len(a) > 2 and program == "psql" for a in args):
        return "unknown"
    if stdin is not None:
        texts.append(stdin)
    if not texts:
        if any(a in ("-l", "--list", "--version", "-V", "--help", "-?") for a in args):
            return "read"
        return "unknown"
    if program in ("mongo", "mongosh"):
        joined = "\n".join(texts)
        if _MONGO_DESTROY.search(joined):
            return "destructive"
        return "write" if _MONGO_WRITE.search(joined) else "read"
    effect: Effect = "read"
    for statement in _statements("\n".join(texts)):
        if _SQL_DESTROY.search(statement):
            return "destructive"
        if not _SQL_READ.match(statement):
            effect = "write"
    return effect


def _statements(sql: str) -> list[str]:
    """SQL split on `;` outside quotes, comments dropped; psql meta-commands one per line."""
    sql = re.sub(r"--[^\n]*|/\*.*?\*/", " ", sql, flags=re.S)
    out, cur, quote = [], [], ""
    for ch in sql:
        if quote:
            cur.append(ch)
            if ch == quote:
                quote = ""
            continue
        if ch in "'\"`":
            quote = ch
        if ch == ";" or (ch == "\n" and "".join(cur).strip().startswith("\\")):
            out.append("".join(cur))
            cur = []
            continue
        cur.append(ch)
    out.append("".join(cur))
    return [s.strip() for s in out if s.strip()]


def _redis(args: list[str], stdin: str | None) -> Effect:
    words: list[str] = []
    skip = False
    for a in args:
        if skip:
            skip = False
            continue
        if a in ("-h", "-p", "-a", "-n", "-u", "--user", "--pass", "-s", "-r", "-i", "-d"):
            skip = True
            continue
        if a.startswith("-") and a.lower() not in _REDIS_READ:
            continue
        words.append(a)
    commands = [words] if words else []
    if stdin is not None:
        for line in stdin.splitlines():
            try:
                commands.append(shlex.split(line))
            except ValueError:
                return "unknown"
    if not commands:
        return "unknown"
    effect: Effect = "read"
    for cmd in commands:
        if not cmd:
            continue
        verb = cmd[0].lower()
        if verb in ("eval", "evalsha", "eval_ro", "evalsha_ro", "fcall", "function", "script", "module"):
            effect = "unknown" if effect != "destructive" else effect  # a Lua script or module can do anything
            continue
        if verb in _REDIS_DESTROY or (verb == "config" and len(cmd) > 1 and cmd[1].lower() == "set" and
                                      any(c.lower() in ("dir", "dbfilename") for c in cmd[2:3])):
            return "destructive"
        config_get = verb == "config" and len(cmd) > 1 and cmd[1].lower() == "get"
        if effect != "unknown" and verb not in _REDIS_READ and not config_get:
            effect = "write"
    return effect
