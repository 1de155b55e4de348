"""Programs that run their operands as a command (`nice CMD`, `timeout 5 CMD`, `faketime T CMD`,
`uv run CMD`, `bwrap --bind / / CMD`...): one table of their options, the command handed back to the
walker as an argv. The wrappers with more to them (shells, sudo, ssh, find, xargs, su...) are in
reign/policy/bash/wrappers.py.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from reign.policy.bash.state import Ctx, Stdin
from reign.policy.bash.words import Word
from reign.policy.bash.wrappers import fs, options

if TYPE_CHECKING:
    from reign.policy.bash.walker import Walker

_Handler = Callable[["Walker", str, list[Word], Ctx, Stdin], None]
HANDLERS: dict[str, _Handler] = {}


def _register(*names: str) -> Callable[[_Handler], _Handler]:
    def register(fn: _Handler) -> _Handler:
        for n in names:
            HANDLERS[n] = fn
        return fn

    return register


def _simple_wrapper(short_val: str = "", long_val: frozenset[str] = frozenset(), skip: int = 0,
                    stop_if: frozenset[str] = frozenset()) -> _Handler:
    """`prog [options] [skip operands] CMD...`: CMD is run as an argv."""

    def handle(a: Walker, prog: str, args: list[Word], ctx: Ctx, stdin: Stdin) -> None:
        i, opts = options(args, short_val, long_val)
        if stop_if & opts.keys():
            return
        a.argv_payload(args[i + skip:], ctx, stdin, prog)

    return handle


for _names, _h in (
    (("nohup", "setsid", "unbuffer", "builtin", "chronic", "catchsegv", "torsocks", "tini", "dumb-init",
      "fakeroot", "firejail", "valgrind", "eatmydata", "dbus-run-session", "dbus-launch", "nocache", "ifne",
      "rlwrap", "torify", "tsocks", "caffeinate", "linux32", "linux64", "i386", "x86_64", "tsp", "ts", "nq",
      "graftcp", "with-contenv"), _simple_wrapper("", fs())),
    (("unshare",), _simple_wrapper("SGRw", fs("--setuid", "--setgid", "--root", "--wd", "--propagation",
                                              "--setgroups", "--map-user", "--map-group", "--map-users",
                                              "--map-groups"))),
    (("faketime",), _simple_wrapper("", fs("--date-prog"), skip=1)),
    (("setpriv",), _simple_wrapper("", fs(
        "--reuid", "--regid", "--ruid", "--euid", "--rgid", "--egid", "--groups", "--inh-caps", "--ambient-caps",
        "--bounding-set", "--securebits", "--pdeathsig", "--selinux-label", "--apparmor-profile",
        "--landlock-access", "--landlock-rule", "--seccomp-filter"), stop_if=fs("-d", "--dump"))),
    (("cgexec",), _simple_wrapper("g")),
    (("prlimit",), _simple_wrapper("p", fs("--pid"), stop_if=fs("-p", "--pid"))),
    (("chpst",), _simple_wrapper("uUe/nlLmdofpctr")),
    (("setuidgid", "s6-setuidgid", "envuidgid", "envdir"), _simple_wrapper("", fs(), skip=1)),
    (("softlimit",), _simple_wrapper("amdsloprfct")),
    (("xvfb-run",), _simple_wrapper("nsfep", fs("--server-num", "--server-args", "--auth-file", "--error-file",
                                                "--xauth-protocol"))),
    (("systemd-inhibit",), _simple_wrapper("", fs("--what", "--who", "--why", "--mode"))),
    (("ssh-agent",), _simple_wrapper("aEtP")),
    (("cpulimit",), _simple_wrapper("lpe", fs("--limit", "--pid", "--exe"), stop_if=fs("-p", "-e", "--pid",
                                                                                      "--exe"))),
    (("run0",), _simple_wrapper("ugD", fs("--user", "--group", "--nice", "--chdir", "--setenv", "--property",
                                          "--unit", "--description", "--slice", "--machine"))),
    (("sem",), _simple_wrapper("j", fs("--id", "--jobs", "--semaphorename", "--timeout"))),
    (("nice",), _simple_wrapper("n", fs("--adjustment"))),
    (("stdbuf",), _simple_wrapper("ioe", fs("--input", "--output", "--error"))),
    (("time",), _simple_wrapper("fo", fs("--format", "--output"))),
    (("exec",), _simple_wrapper("a")),
    (("timeout",), _simple_wrapper("ks", fs("--kill-after", "--signal"), skip=1)),
    (("gosu", "su-exec"), _simple_wrapper("", fs(), skip=1)),
    (("ionice",), _simple_wrapper("cnpPu", fs("--class", "--classdata", "--pid", "--pgid", "--uid"),
                                  stop_if=fs("-p", "-P", "-u", "--pid", "--pgid", "--uid"))),
    (("strace",), _simple_wrapper("abeEIoOpPsSuUX", fs("--output", "--trace", "--attach", "--signal",
                                                         "--string-limit", "--user", "--env"))),
    (("ltrace",), _simple_wrapper("aADeFlnopsuwx", fs("--output"))),
    (("pkexec",), _simple_wrapper("", fs("--user"))),
    (("nsenter",), _simple_wrapper("tSG", fs("--target", "--setuid", "--setgid"))),
    (("taskset",), _simple_wrapper("", fs(), skip=1, stop_if=fs("-p", "--pid"))),
    (("chrt",), _simple_wrapper("T", fs("--sched-runtime", "--sched-period", "--sched-deadline"), skip=1,
                                stop_if=fs("-p", "--pid", "-m", "--max"))),
    (("numactl",), _simple_wrapper("iNmCpPb", fs("--interleave", "--cpunodebind", "--membind",
                                                  "--physcpubind", "--preferred"))),
    (("systemd-run",), _simple_wrapper("pEMHu", fs("--property", "--setenv", "--machine", "--host",
                                                    "--unit", "--uid", "--gid", "--working-directory"))),
    (("proxychains", "proxychains4"), _simple_wrapper("f")),
    (("sshpass",), _simple_wrapper("pfde")),
    (("command",), _simple_wrapper("", fs(), stop_if=fs("-v", "-V"))),
):
    for _n in _names:
        HANDLERS[_n] = _h


def _subcommand_wrapper(subcommands: frozenset[str], short_val: str = "", long_val: frozenset[str] = frozenset(),
                        skip: int = 0) -> _Handler:
    """`tool SUB [options] [skip operands] [--] CMD...` (`uv run`, `bundle exec`, `op run --`...)."""

    def handle(a: Walker, prog: str, args: list[Word], ctx: Ctx, stdin: Stdin) -> None:
        if not args or args[0].dynamic or args[0].value not in subcommands:
            return
        rest = args[1:]
        values = [w.value for w in rest]
        if "--" in values:
            a.argv_payload(rest[values.index("--") + 1:], ctx, stdin, f"{prog} {args[0].value}")
            return
        i, _ = options(rest, short_val, long_val)
        a.argv_payload(rest[i + skip:], ctx, stdin, f"{prog} {args[0].value}")

    return handle


for _tools, _runner in (
    (("poetry", "pipenv", "pdm", "hatch", "rye", "uv", "volta", "devbox", "toolbox", "doppler", "infisical",
      "op", "pixi"), _subcommand_wrapper(fs("run"), "e", fs("--env-file", "--with",
                                                                                   "--python", "--project"))),
    (("bundle", "rbenv", "pyenv", "nodenv", "mise", "asdf", "nvm", "rtx"), _subcommand_wrapper(fs("exec", "x"))),
    (("conda", "mamba", "micromamba"), _subcommand_wrapper(fs("run"), "np", fs("--name", "--prefix", "--cwd"))),
    (("direnv",), _subcommand_wrapper(fs("exec"), skip=1)),
    (("aws-vault",), _subcommand_wrapper(fs("exec"), "", fs("--duration", "--region", "--mfa-token"), skip=1)),
    (("perf",), _subcommand_wrapper(fs("stat", "record", "trace", "top"), "eoptCFcGmIrx", fs(
        "--event", "--output", "--pid", "--tid", "--cpu", "--freq", "--count", "--cgroup", "--repeat"))),
    (("distrobox-enter", "flatpak-spawn"), _simple_wrapper("n", fs("--name", "--directory", "--env"))),
):
    for _tool in _tools:
        HANDLERS[_tool] = _runner


@_register("nix")
def _nix(a: Walker, prog: str, args: list[Word], ctx: Ctx, stdin: Stdin) -> None:
    """`nix develop|shell ... -c|--command CMD...`: everything after the flag is the command."""
    values = [w.value for w in args]
    if not values or values[0] not in ("develop", "shell"):
        return
    for flag in ("-c", "--command"):
        if flag in values:
            a.argv_payload(args[values.index(flag) + 1:], ctx, stdin, f"nix {values[0]}")
            return


@_register("setarch")
def _setarch(a: Walker, prog: str, args: list[Word], ctx: Ctx, stdin: Stdin) -> None:
    """`setarch ARCH [options] [CMD...]` (the architecture comes first)."""
    if args:
        i, _ = options(args[1:])
        a.argv_payload(args[1 + i:], ctx, stdin, "setarch")


# bubblewrap's options and how many values each takes; the first non-option word starts the command.
_BWRAP_ARGS = {
    **dict.fromkeys(("--bind", "--ro-bind", "--dev-bind", "--bind-try", "--ro-bind-try", "--dev-bind-try",
                     "--symlink", "--setenv", "--file", "--bind-data", "--ro-bind-data", "--chmod",
                     "--overlay-src"), 2),
    **dict.fromkeys(("--chdir", "--unsetenv", "--uid", "--gid", "--hostname", "--tmpfs", "--dev", "--proc",
                     "--dir", "--seccomp", "--args", "--cap-add", "--cap-drop", "--lock-file", "--sync-fd",
                     "--userns", "--userns2", "--pidns", "--exec-label", "--file-label", "--perms", "--size",
                     "--remount-ro", "--mqueue", "--block-fd", "--userns-block-fd", "--info-fd", "--json-status-fd",
                     "--add-seccomp-fd", "--argv0", "--tmp-overlay", "--ro-overlay", "--overlay"), 1),
}


@_register("bwrap")
def _bwrap(a: Walker, prog: str, args: list[Word], ctx: Ctx, stdin: Stdin) -> None:
    i = 0
    while i < len(args) and not args[i].dynamic and args[i].value.startswith("--"):
        if args[i].value == "--":
            i += 1
            break
        i += 1 + _BWRAP_ARGS.get(args[i].value, 0)
    a.argv_payload(args[i:], ctx, stdin, "bwrap")
