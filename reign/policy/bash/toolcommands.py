"""Commands that debuggers, editors, pagers and other tools run through their options: gdb `-ex`,
vim `-c`/`+cmd`, `less +!cmd`, `man -P`, `git -c core.sshCommand=..` and aliases, `tar --to-command`,
`rsync -e`, `ssh -o ProxyCommand=..`, `zip -TT`, tmux, screen, hyperfine, entr, nix-shell --run.
The literal commands are handed to the walker; computed ones make the effect unknown."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

from reign.policy.bash import code as source_code
from reign.policy.bash.code import COMPUTED, Report
from reign.policy.bash.inline import Handler, run_code
from reign.policy.bash.segment import InlineCode
from reign.policy.bash.state import NO_STDIN, Ctx, Stdin
from reign.policy.bash.words import Word
from reign.policy.bash.wrappers import fs, options

if TYPE_CHECKING:
    from collections.abc import Callable

    from reign.policy.bash.walker import Walker

HANDLERS: dict[str, Handler] = {}


def register(*names: str) -> Callable[[Handler], Handler]:
    def add(fn: Handler) -> Handler:
        for n in names:
            HANDLERS[n] = fn
        return fn

    return add


# --------------------------------------------------------------------------- debuggers and editors

_GDB_READS = frozenset({"bt", "backtrace", "where", "info", "i", "list", "l", "x", "disassemble", "disas", "quit",
                        "q", "frame", "f", "thread", "up", "down", "ptype", "whatis", "show", "version", "help",
                        "echo", "printf", "p", "print", "output", "set", "source"})


@register("gdb", "gdb-multiarch", "cgdb")
def _gdb(a: Walker, prog: str, args: list[Word], ctx: Ctx, stdin: Stdin) -> InlineCode | None:
    commands: list[Word] = []
    report = Report()
    run_args: list[Word] = []
    for i, w in enumerate(args):
        v = w.value
        if v in ("-ex", "--ex", "-eval-command", "--eval-command", "-iex", "--init-eval-command") and \
                i + 1 < len(args):
            commands.append(args[i + 1])
        elif v.startswith(("--eval-command=", "-eval-command=", "--ex=")):
            commands.append(Word(v.split("=", 1)[1], v, w.dynamic))
        elif v in ("-x", "--command", "-ix", "--init-command") or v.startswith("--command="):
            report.unknown.append("gdb commands read from a file")
        elif v == "--args":
            run_args = args[i + 1:]
            break
    runs = False
    for w in commands:
        if w.dynamic:
            report.unknown.append("gdb command computed at run time")
            continue
        text = w.value.strip()
        head = re.split(r"[\s/]", text, maxsplit=1)[0]
        if text.startswith("!"):
            report.spawns.append(text[1:])
        elif head in ("shell", "pipe"):
            report.spawns.append(text.split(None, 1)[1] if " " in text else "")
        elif head in ("python", "py", "python-interactive", "pi"):
            sub = source_code.analyse("python", text.split(None, 1)[1] if " " in text else "")
            report.spawns += sub.spawns
            report.deletes += sub.deletes
            report.writes += sub.writes
            report.unknown += sub.unknown
        elif head in ("run", "r", "start", "starti"):
            runs = True
        elif head in ("set",) and "var" in text.split()[:2]:
            report.writes.append(COMPUTED)  # writes the debugged process's memory
        elif head not in _GDB_READS or "(" in text:
            report.unknown.append(f"gdb command {head!r}")
    if runs and run_args:
        a.argv_payload(run_args, ctx, NO_STDIN, "gdb --args")
    return run_code(a, prog, "gdb", report, ctx)


_EDITOR_WRITES = re.compile(r"^(w|wq|wq!|x|x!|wall|wa|saveas|sav|up|update|exit|xit|wqa|xa)\b")


@register("vim", "vi", "nvim", "ex", "view", "gvim", "vimdiff", "rvim")
def _vim(a: Walker, prog: str, args: list[Word], ctx: Ctx, stdin: Stdin) -> InlineCode | None:
    report = Report()
    commands: list[Word] = []
    for i, w in enumerate(args):
        v = w.value
        if v in ("-c", "--cmd") and i + 1 < len(args):
            commands.append(args[i + 1])
        elif v.startswith("+") and len(v) > 1 and not v[1:].isdigit():
            commands.append(Word(v[1:], v, w.dynamic))
        elif v in ("-S", "-s", "-u") and i + 1 < len(args) and args[i + 1].value != "NONE":
            report.unknown.append("vim commands read from a file")
    if any(w.value in ("-es", "-Es", "-e", "-s") for w in args) and stdin.present:
        if stdin.exact and stdin.text is not None:
            commands += [Word(line, line, False) for line in stdin.text.splitlines() if line.strip()]
        else:
            report.unknown.append("ex commands read from an unknown stdin")
    for w in commands:
        if w.dynamic:
            report.unknown.append("vim command computed at run time")
            continue
        for part in w.value.split("|") if not w.value.lstrip(":").lstrip().startswith("!") else [w.value]:
            text = part.strip().lstrip(":").strip()
            text = re.sub(r"^(silent!?|sil!?)\s+", "", text)
            if text.startswith("!") or re.match(r"^(r|read|w|write)\s*!", text):
                report.spawns.append(text.split("!", 1)[1])
            elif re.match(r"^(py3?|python3?|pyx|pythonx|lua|perl|ruby|call|exe|execute|so|source)\b", text):
                report.unknown.append(f"vim runs code: {text.split()[0]}")
            elif _EDITOR_WRITES.match(text):
                report.writes.append(COMPUTED)
    read_only = prog in ("view", "rvim") or "-R" in (w.value for w in args)
    if not commands and not read_only:
        report.writes.append(COMPUTED)  # an editor session may write any file it opens
    return run_code(a, prog, "vim", report, ctx)


@register("less", "more", "most")
def _pager(a: Walker, prog: str, args: list[Word], ctx: Ctx, stdin: Stdin) -> InlineCode | None:
    report = Report()
    for w in args:
        if w.value.startswith("+") and "!" in w.value:
            if w.dynamic:
                report.unknown.append("pager command computed at run time")
            else:
                report.spawns.append(w.value.split("!", 1)[1])
    return run_code(a, prog, "pager", report, ctx) if report.spawns or report.unknown else None


@register("man")
def _man(a: Walker, prog: str, args: list[Word], ctx: Ctx, stdin: Stdin) -> InlineCode | None:
    _, opts = options(args, "PHCMLmSsep", fs("--pager", "--html", "--config-file", "--manpath", "--locale",
                                             "--systems", "--sections", "--preprocessor"))
    report = Report()
    for key in ("-P", "--pager", "-H", "--html"):
        w = opts.get(key)
        if w is not None and w.value:
            if w.dynamic:
                report.unknown.append("man pager computed at run time")
            else:
                report.spawns.append(w.value)
    return run_code(a, prog, "man", report, ctx) if report.spawns or report.unknown else None


# --------------------------------------------------------------------------- tools that run commands


def _values(args: list[Word], names: frozenset[str], *, stop: int | None = None) -> list[Word]:
    """Every value of the given options (`-o V`, `-oV` for one-letter names, `--opt=V`, `--opt V`)."""
    out: list[Word] = []
    end = len(args) if stop is None else stop
    for i, w in enumerate(args[:end]):
        v = w.value
        if v in names and i + 1 < len(args):
            out.append(args[i + 1])
        elif "=" in v and v.split("=", 1)[0] in names and v.startswith("--"):
            out.append(Word(v.split("=", 1)[1], v, w.dynamic))
        else:
            for n in names:
                if len(n) == 2 and v.startswith(n) and len(v) > 2 and not v.startswith("--"):
                    out.append(Word(v[2:], v, w.dynamic))
    return out


def _commands(a: Walker, prog: str, label: str, words: list[Word], ctx: Ctx) -> InlineCode | None:
    report = Report()
    for w in words:
        if w.dynamic:
            report.unknown.append(f"{label} runs a computed command")
        elif w.value:
            report.spawns.append(w.value)
    if not report.spawns and not report.unknown:
        return None
    return run_code(a, prog, prog, report, ctx, label=label)


_GIT_COMMAND_KEYS = re.compile(
    r"(?i)^(core\.(sshcommand|pager|editor|fsmonitor|askpass|gitproxy)|sequence\.editor|diff\.external|"
    r"diff\.[^=]+\.(textconv|command)|merge\.[^=]+\.driver|filter\.[^=]+\.(clean|smudge|process)|"
    r"gpg\.([^=]+\.)?program|pager\.[^=]+|uploadpack\.packobjectshook|credential\.([^=]+\.)?helper|"
    r"alias\.[^=]+|remote\.[^=]+\.(uploadpack|receivepack|proxy)|sendemail\.[^=]+|"
    r"browser\.[^=]+\.cmd|ssh\.variant|http\.proxy|url\.[^=]+\.insteadof)$")


@register("git")
def _git(a: Walker, prog: str, args: list[Word], ctx: Ctx, stdin: Stdin) -> InlineCode | None:
    report = Report()
    i = 0
    while i < len(args) and args[i].value.startswith("-"):
        w, v = args[i], args[i].value
        if v == "-c" and i + 1 < len(args):
            setting = args[i + 1]
            key, _, value = setting.value.partition("=")
            if _GIT_COMMAND_KEYS.match(key):
                if setting.dynamic:
                    report.unknown.append(f"git -c {key} is computed")
                elif key.lower().startswith(("alias.", "credential.")) or key.lower().endswith(".helper"):
                    if value.startswith("!"):
                        report.spawns.append(value[1:])
                elif key.lower().startswith("url.") or key.lower() in ("http.proxy",):
                    if value.startswith("ext::"):
                        report.spawns.append(value[5:])
                elif value.lower() not in ("", "true", "false", "cat", "less", "more"):
                    report.spawns.append(value)
            elif key.lower() == "core.hookspath":
                report.unknown.append("git -c core.hooksPath runs hooks from another directory")
            i += 2
            continue
        if v.startswith("--config-env"):
            report.unknown.append("git --config-env takes a setting from the environment")
        i += 1 if v not in ("-C", "--git-dir", "--work-tree", "--namespace") else 2
    for w in args[i:]:
        if w.value.startswith("ext::"):  # `git clone 'ext::sh -c ..'`: the remote helper runs a command
            report.spawns.append(w.value[5:].replace("%S", "").replace("% ", " "))
    for w in _values(args[i:], fs("--upload-pack", "--receive-pack", "--exec")):
        report.spawns.append(w.value) if not w.dynamic else report.unknown.append("git runs a computed command")
    if not report.spawns and not report.unknown:
        return None
    return run_code(a, "git", "git", report, ctx)


@register("tar", "bsdtar", "gtar")
def _tar(a: Walker, prog: str, args: list[Word], ctx: Ctx, stdin: Stdin) -> InlineCode | None:
    commands = _values(args, fs("--to-command", "--use-compress-program", "-I", "--rsh-command"))
    for w in args:
        if w.value.startswith("--checkpoint-action="):
            action = w.value.split("=", 1)[1]
            if action.startswith("exec="):
                commands.append(Word(action[5:], w.raw, w.dynamic))
    for i, w in enumerate(args[:-1]):
        if w.value == "--checkpoint-action" and args[i + 1].value.startswith("exec="):
            commands.append(Word(args[i + 1].value[5:], args[i + 1].raw, args[i + 1].dynamic))
    if any(w.value in ("-F", "--info-script", "--new-volume-script") or
           w.value.startswith(("--info-script=", "--new-volume-script=")) for w in args):
        commands.append(Word(COMPUTED, COMPUTED, True))
    return _commands(a, prog, f"{prog} command", commands, ctx)


@register("rsync")
def _rsync(a: Walker, prog: str, args: list[Word], ctx: Ctx, stdin: Stdin) -> InlineCode | None:
    return _commands(a, prog, "rsync -e", _values(args, fs("-e", "--rsh")), ctx)


_SSH_COMMAND_OPTIONS = re.compile(r"(?i)^(proxycommand|localcommand|knownhostscommand)\s*[= ]\s*(.+)$", re.S)


def ssh_commands(a: Walker, prog: str, args: list[Word], ctx: Ctx) -> InlineCode | None:
    """`-o ProxyCommand=..`, `-o LocalCommand=..`, `-o KnownHostsCommand=..` (ssh, scp, sftp) and
    scp/sftp's `-S program` run locally."""
    commands: list[Word] = []
    for w in _values(args, fs("-o")):
        m = _SSH_COMMAND_OPTIONS.match(w.value)
        if m and m.group(2).strip().lower() != "none":
            commands.append(Word(m.group(2), w.raw, w.dynamic))
    if prog in ("scp", "sftp"):
        commands += _values(args, fs("-S"))
    return _commands(a, prog, f"{prog} -o", commands, ctx)


@register("scp", "sftp")
def _scp(a: Walker, prog: str, args: list[Word], ctx: Ctx, stdin: Stdin) -> InlineCode | None:
    return ssh_commands(a, prog, args, ctx)


@register("zip")
def _zip(a: Walker, prog: str, args: list[Word], ctx: Ctx, stdin: Stdin) -> InlineCode | None:
    return _commands(a, prog, "zip -TT", _values(args, fs("-TT", "--unzip-command")), ctx)


@register("tmux")
def _tmux(a: Walker, prog: str, args: list[Word], ctx: Ctx, stdin: Stdin) -> InlineCode | None:
    """`tmux new -d 'cmd'`, `run-shell`, `split-window`, `send-keys`: shell commands run in the background."""
    i, _ = options(args, "LSfTc")
    if i >= len(args):
        return None
    sub = args[i].value
    value_opts = "tscnFeENxyl"
    if sub not in ("new", "new-session", "new-window", "neww", "split-window", "splitw", "run-shell", "run",
                   "respawn-pane", "respawnp", "send-keys", "send", "pipe-pane", "pipep", "display-popup", "popup"):
        return None
    j, _ = options(args[i + 1:], value_opts)
    rest = args[i + 1 + j:]
    if sub in ("send-keys", "send"):
        rest = [w for w in rest if w.value not in ("Enter", "C-m", "KPEnter")]
    if not rest:
        return None
    words = [Word(" ".join(w.value for w in rest), " ".join(w.raw for w in rest), any(w.dynamic for w in rest))]
    return _commands(a, prog, "tmux", words, ctx)


@register("screen")
def _screen(a: Walker, prog: str, args: list[Word], ctx: Ctx, stdin: Stdin) -> InlineCode | None:
    i, opts = options(args, "SXpcehlLsT")
    if "-X" in opts or i >= len(args):
        return None
    a.argv_payload(args[i:], ctx, stdin, "screen")
    return None


@register("hyperfine")
def _hyperfine(a: Walker, prog: str, args: list[Word], ctx: Ctx, stdin: Stdin) -> InlineCode | None:
    value = fs("-p", "--prepare", "-c", "--cleanup", "-s", "--setup", "-w", "--warmup", "-r", "--runs", "-m",
               "--min-runs", "-M", "--max-runs", "-n", "--command-name", "--export-json", "--export-csv",
               "--export-markdown", "-S", "--shell", "-L", "--parameter-list", "-P", "--parameter-scan")
    commands = _values(args, fs("-p", "--prepare", "-c", "--cleanup", "-s", "--setup"))
    i = 0
    while i < len(args):
        v = args[i].value
        if v in value:
            i += 2 if v not in ("-P", "--parameter-scan", "-L", "--parameter-list") else 3
            continue
        if not v.startswith("-"):
            commands.append(args[i])
        i += 1
    return _commands(a, prog, "hyperfine", commands, ctx)


@register("entr")
def _entr(a: Walker, prog: str, args: list[Word], ctx: Ctx, stdin: Stdin) -> InlineCode | None:
    i, opts = options(args, "")
    if "-s" in opts and i < len(args):
        return _commands(a, prog, "entr -s", args[i:i + 1], ctx)
    a.argv_payload(args[i:], ctx, NO_STDIN, "entr")
    return None


@register("nix-shell")
def _nix_shell(a: Walker, prog: str, args: list[Word], ctx: Ctx, stdin: Stdin) -> InlineCode | None:
    return _commands(a, prog, "nix-shell --run", _values(args, fs("--run", "--command")), ctx)


@register("ssh")
def _ssh(a: Walker, prog: str, args: list[Word], ctx: Ctx, stdin: Stdin) -> InlineCode | None:
    return ssh_commands(a, prog, args, ctx)
