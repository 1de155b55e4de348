"""Code inside a command line: interpreters (`python3 -c`, `node -e`, `ruby -e`, `perl -e`, `php -r`,
awk programs, sed scripts, gdb `-ex`, vim `-c`) and the options of tools that run commands
(`git -c core.sshCommand=..`, `tar --to-command`, `rsync -e`, `ssh -o ProxyCommand=..`, `man -P`,
`less +!cmd`, `zip -TT`).

Each handler returns what the code does as an `InlineCode` (attached to the program's segment) and
hands the literal commands it spawns back to the walker, wrapper label "<program> code", so they
are decided like any other command. Code in a language with no grammar here is effect "unknown".
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING

from reign.policy.bash import code as source_code
from reign.policy.bash import textprogs
from reign.policy.bash.code import COMPUTED, Report
from reign.policy.bash.segment import InlineCode
from reign.policy.bash.state import NO_STDIN, Ctx, Stdin
from reign.policy.bash.words import Word
from reign.policy.bash.wrappers import fs, options

if TYPE_CHECKING:
    from reign.policy.bash.walker import Walker

Handler = Callable[["Walker", str, list[Word], Ctx, Stdin], InlineCode | None]
HANDLERS: dict[str, Handler] = {}
_PYTHON = re.compile(r"^(python|pypy)[0-9.]*$")
_UNPARSED = {  # languages with no grammar here: code flag -> language
    "php": ("-r",), "lua": ("-e",), "luajit": ("-e",), "Rscript": ("-e",),
    "julia": ("-e", "--eval"), "pwsh": ("-c", "-Command", "-command"), "powershell": ("-c", "-Command"),
    "osascript": ("-e",), "tclsh": (), "expect": ("-c",), "groovy": ("-e",), "elixir": ("-e",),
    "erl": ("-eval",), "deno": ("eval",), "bun": ("-e", "--eval"),
}
# Literal command strings in code we cannot parse: still handed to the shell parser.
_SPAWN_TEXT = re.compile(r"""\b(?:system|exec|shell_exec|passthru|popen|proc_open|qx|spawn|os\.execute|io\.popen)"""
                         r"""\s*\(?\s*(?:\{([^}]*)\}|"([^"\\$]*)"|'([^'\\]*)')|`([^`$]*)`""")


def handler_for(program: str) -> Handler | None:
    if program in HANDLERS:
        return HANDLERS[program]
    if _PYTHON.match(program):
        return _python
    return None


def _register(*names: str) -> Callable[[Handler], Handler]:
    def register(fn: Handler) -> Handler:
        for n in names:
            HANDLERS[n] = fn
        return fn

    return register


def _run(a: Walker, prog: str, language: str, report: Report, ctx: Ctx, extra: Sequence[str] = (), *,
         label: str = "") -> InlineCode:
    """Hand the spawned commands to the walker (wrapper label "<prog> code" unless given); the rest
    becomes the segment's InlineCode. `extra` are files written besides the code's own (`sed -i`)."""
    label = label or f"{prog} code"
    effect = report.effect
    if extra and effect == "read":
        effect = "write"
    for spawn in report.spawns:
        if isinstance(spawn, str):
            a.payload(spawn, False, ctx, label, NO_STDIN)
        elif spawn:
            a.argv_payload([Word(v, v, False) for v in spawn], ctx, NO_STDIN, label)
    return InlineCode(language, effect, tuple(report.deletes), tuple(report.writes) + tuple(extra),
                      tuple(report.reads), report.network, report.env_dump, tuple(dict.fromkeys(report.unknown)))


def _unknown(language: str, why: str) -> InlineCode:
    return InlineCode(language, "unknown", why=(why,))


def _code_from(args: list[Word], flags: tuple[str, ...], stdin: Stdin) -> tuple[Word | str | None, list[Word]]:
    """The inline code of an interpreter: the value of a code flag (`-c CODE`, `-cCODE`, `-Bc CODE`), or
    stdin for `-` (and no operand with a here-doc); returns (code, the words after it)."""
    i = 0
    while i < len(args):
        w = args[i]
        v = w.value
        if w.dynamic:
            return None, args[i:]
        for flag in flags:
            if v == flag or (flag.startswith("--") and v.startswith(flag + "=")):
                if v != flag:
                    return Word(v.split("=", 1)[1], v, False), args[i + 1:]
                return (args[i + 1], args[i + 2:]) if i + 1 < len(args) else (None, [])
            if len(flag) == 2 and len(v) > 2 and v[0] == "-" and v[1] != "-" and flag[1] in v[1:]:
                k = v.index(flag[1], 1)
                if v[1:k].isalpha():
                    rest = v[k + 1:]
                    if rest:
                        return Word(rest, rest, w.dynamic), args[i + 1:]
                    return (args[i + 1], args[i + 2:]) if i + 1 < len(args) else (None, [])
        if v == "-" or not v.startswith("-"):
            if v == "-" and stdin.present:
                return (stdin.text if stdin.exact and stdin.text is not None else "\x00"), args[i + 1:]
            return None, args[i:]
        i += 1
    if stdin.present and stdin.heredoc:
        return (stdin.text if stdin.exact and stdin.text is not None else "\x00"), []
    return None, []


def _parsed(a: Walker, prog: str, language: str, args: list[Word], ctx: Ctx, stdin: Stdin,
            flags: tuple[str, ...]) -> InlineCode | None:
    found, _ = _code_from(args, flags, stdin)
    if found is None:
        return None  # a script file, a version query, a module: the classifier decides
    if isinstance(found, Word):
        if found.dynamic:
            return _unknown(language, f"{language} code computed at run time")
        text = found.value
    elif found == "\x00":
        return _unknown(language, f"{language} code read from an unknown stdin")
    else:
        text = found
    return _run(a, prog, language, source_code.analyse(language, text), ctx)


def _python(a: Walker, prog: str, args: list[Word], ctx: Ctx, stdin: Stdin) -> InlineCode | None:
    return _parsed(a, prog, "python", args, ctx, stdin, ("-c",))


@_register("node", "nodejs")
def _node(a: Walker, prog: str, args: list[Word], ctx: Ctx, stdin: Stdin) -> InlineCode | None:
    return _parsed(a, prog, "javascript", args, ctx, stdin, ("-e", "--eval", "-p", "--print"))


@_register("ruby")
def _ruby(a: Walker, prog: str, args: list[Word], ctx: Ctx, stdin: Stdin) -> InlineCode | None:
    lines = [args[i + 1] for i, w in enumerate(args[:-1]) if w.value == "-e" and not w.dynamic]
    if len(lines) > 1:  # each -e is one line of the program
        if any(w.dynamic for w in lines):
            return _unknown("ruby", "ruby code computed at run time")
        return _run(a, prog, "ruby", source_code.analyse("ruby", "\n".join(w.value for w in lines)), ctx)
    code = _parsed(a, prog, "ruby", args, ctx, stdin, ("-e",))
    if code is not None and any(w.value.startswith("-i") for w in args):
        return InlineCode("ruby", "write", code.deletes, (*code.writes, COMPUTED), code.reads, code.network,
                          code.env_dump, code.why)
    return code


def _unparsed(a: Walker, prog: str, args: list[Word], ctx: Ctx, stdin: Stdin) -> InlineCode | None:
    """perl, php, lua, ...: literal command strings are still parsed; the code itself is unknown."""
    flags = _UNPARSED.get(prog, ())
    if prog == "deno":
        if not args or args[0].value != "eval":
            return None
        found: Word | str | None = args[1] if len(args) > 1 else None
    elif prog == "tclsh":
        found = stdin.text if stdin.heredoc and stdin.exact else None
    else:
        found, _ = _code_from(args, flags, stdin)
    if found is None:
        return None
    text = found.value if isinstance(found, Word) else found
    report = Report(unknown=[f"{prog} code is not analysed (no grammar here)"])
    for m in _SPAWN_TEXT.finditer(text):
        report.spawns.append(next(g for g in m.groups() if g is not None))
    return _run(a, prog, prog, report, ctx)


for _name in _UNPARSED:
    HANDLERS[_name] = _unparsed


@_register("perl")
def _perl(a: Walker, prog: str, args: list[Word], ctx: Ctx, stdin: Stdin) -> InlineCode | None:
    """perl one-liners: a text filter (`-ne`, `-pe`, `-lane`) is read by textprogs.perl; other code is
    unknown, its literal `system("..")` strings still parsed; `-i` writes its file operands."""
    code: list[Word] = []
    files: list[Word] = []
    inplace, odd = False, ""
    i = 0
    while i < len(args):
        w, v = args[i], args[i].value
        if w.dynamic or not v.startswith("-") or v == "-":
            files.append(w)
            i += 1
            continue
        if v == "--":
            files += args[i + 1:]
            break
        k, takes_code = 1, False
        while k < len(v):
            c = v[k]
            if c in "eE":
                rest = v[k + 1:]
                if rest:
                    code.append(Word(rest, rest, w.dynamic))
                else:
                    takes_code = True
                break
            if c in "F0li" or c in "MmIxd":
                inplace = inplace or c == "i"
                odd = odd or (c if c in "MmIxd" else "")
                if c in "FMmIxdi":
                    break  # the rest of the cluster is this option's value
                while k + 1 < len(v) and v[k + 1].isdigit():
                    k += 1
            elif c not in "npawsTtWXUc":
                odd = odd or c
            k += 1
        if takes_code and i + 1 < len(args):
            code.append(args[i + 1])
            i += 1
        i += 1
    if not code:
        return None if not inplace else InlineCode("perl", "unknown", why=("perl -i with a script file",))
    if any(w.dynamic for w in code):
        return _unknown("perl", "perl code computed at run time")
    text = "\n".join(w.value for w in code)
    report = textprogs.perl(text) if not odd else Report(unknown=[f"perl option -{odd}"])
    if report.unknown:
        report.spawns += [next(g for g in m.groups() if g is not None) for m in _SPAWN_TEXT.finditer(text)]
    extra = [w.value for w in files if not w.dynamic] if inplace else []
    return _run(a, prog, "perl", report, ctx, extra)


# --------------------------------------------------------------------------- awk and sed


@_register("awk", "gawk", "mawk", "nawk")
def _awk(a: Walker, prog: str, args: list[Word], ctx: Ctx, stdin: Stdin) -> InlineCode | None:
    i, opts = options(args, "FvfeiEbW", fs("--field-separator", "--assign", "--file", "--source", "--include",
                                           "--exec"))
    if {"-f", "--file", "-E", "--exec"} & opts.keys():
        return _unknown("awk", "the awk program is read from a file")
    source = opts.get("-e") or opts.get("--source")
    if source is None:
        if i >= len(args):
            return None
        source, i = args[i], i + 1
    if source.dynamic:
        return _unknown("awk", "awk program computed at run time")
    report = textprogs.awk(source.value)
    if any(w.value in ("--sandbox", "-S") for w in args[:i]):
        return InlineCode("awk", "read")
    inplace = (opts.get("-i") or opts.get("--include"))
    extra = [w.value for w in args[i:] if not w.value.startswith("-") and "=" not in w.value] \
        if inplace is not None and inplace.value in ("inplace", "inplace.awk") else []
    return _run(a, prog, "awk", report, ctx, extra)


@_register("sed", "gsed")
def _sed(a: Walker, prog: str, args: list[Word], ctx: Ctx, stdin: Stdin) -> InlineCode | None:
    scripts: list[Word] = []
    files: list[Word] = []
    inplace = sandbox = False
    i = 0
    while i < len(args):
        w, v = args[i], args[i].value
        if v in ("-e", "--expression") and i + 1 < len(args):
            scripts.append(args[i + 1])
            i += 2
            continue
        if v.startswith("--expression="):
            scripts.append(Word(v.split("=", 1)[1], v, w.dynamic))
        elif v in ("-f", "--file") or v.startswith("--file="):
            return _unknown("sed", "the sed script is read from a file")
        elif v in ("-l", "--line-length"):
            i += 1
        elif v == "--sandbox":
            sandbox = True
        elif v.startswith("--in-place") or (v.startswith("-") and not v.startswith("--") and "i" in v[1:2] + v):
            inplace = inplace or v.startswith("--in-place") or re.match(r"^-[a-zA-Z]*i", v) is not None
            if re.match(r"^-[nrEszu]*e$", v) and i + 1 < len(args):
                scripts.append(args[i + 1])
                i += 2
                continue
        elif re.match(r"^-[nrEszu]*e$", v) and i + 1 < len(args):
            scripts.append(args[i + 1])
            i += 2
            continue
        elif v == "--" or not v.startswith("-") or w.dynamic:
            files.append(w)
        i += 1
    if not scripts:
        if not files:
            return None
        scripts, files = files[:1], files[1:]
    if any(w.dynamic for w in scripts):
        return _unknown("sed", "sed script computed at run time")
    report = textprogs.sed("\n".join(w.value for w in scripts), sandbox=sandbox)
    extra = [w.value for w in files if w.value != "--"] if inplace else []
    return _run(a, prog, "sed", report, ctx, extra)


# --------------------------------------------------------------------------- debuggers and editors

_GDB_READS = frozenset({"bt", "backtrace", "where", "info", "i", "list", "l", "x", "disassemble", "disas", "quit",
                        "q", "frame", "f", "thread", "up", "down", "ptype", "whatis", "show", "version", "help",
                        "echo", "printf", "p", "print", "output", "set", "source"})


@_register("gdb", "gdb-multiarch", "cgdb")
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
    return _run(a, prog, "gdb", report, ctx)


_EDITOR_WRITES = re.compile(r"^(w|wq|wq!|x|x!|wall|wa|saveas|sav|up|update|exit|xit|wqa|xa)\b")


@_register("vim", "vi", "nvim", "ex", "view", "gvim", "vimdiff", "rvim")
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
    return _run(a, prog, "vim", report, ctx)


@_register("less", "more", "most")
def _pager(a: Walker, prog: str, args: list[Word], ctx: Ctx, stdin: Stdin) -> InlineCode | None:
    report = Report()
    for w in args:
        if w.value.startswith("+") and "!" in w.value:
            if w.dynamic:
                report.unknown.append("pager command computed at run time")
            else:
                report.spawns.append(w.value.split("!", 1)[1])
    return _run(a, prog, "pager", report, ctx) if report.spawns or report.unknown else None


@_register("man")
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
    return _run(a, prog, "man", report, ctx) if report.spawns or report.unknown else None


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
    return _run(a, prog, prog, report, ctx, label=label)


_GIT_COMMAND_KEYS = re.compile(
    r"(?i)^(core\.(sshcommand|pager|editor|fsmonitor|askpass|gitproxy)|sequence\.editor|diff\.external|"
    r"diff\.[^=]+\.(textconv|command)|merge\.[^=]+\.driver|filter\.[^=]+\.(clean|smudge|process)|"
    r"gpg\.([^=]+\.)?program|pager\.[^=]+|uploadpack\.packobjectshook|credential\.([^=]+\.)?helper|"
    r"alias\.[^=]+|remote\.[^=]+\.(uploadpack|receivepack|proxy)|sendemail\.[^=]+|"
    r"browser\.[^=]+\.cmd|ssh\.variant|http\.proxy|url\.[^=]+\.insteadof)$")


@_register("git")
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
    return _run(a, "git", "git", report, ctx)


@_register("tar", "bsdtar", "gtar")
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


@_register("rsync")
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


@_register("scp", "sftp")
def _scp(a: Walker, prog: str, args: list[Word], ctx: Ctx, stdin: Stdin) -> InlineCode | None:
    return ssh_commands(a, prog, args, ctx)


@_register("zip")
def _zip(a: Walker, prog: str, args: list[Word], ctx: Ctx, stdin: Stdin) -> InlineCode | None:
    return _commands(a, prog, "zip -TT", _values(args, fs("-TT", "--unzip-command")), ctx)


@_register("tmux")
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


@_register("screen")
def _screen(a: Walker, prog: str, args: list[Word], ctx: Ctx, stdin: Stdin) -> InlineCode | None:
    i, opts = options(args, "SXpcehlLsT")
    if "-X" in opts or i >= len(args):
        return None
    a.argv_payload(args[i:], ctx, stdin, "screen")
    return None


@_register("hyperfine")
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


@_register("entr")
def _entr(a: Walker, prog: str, args: list[Word], ctx: Ctx, stdin: Stdin) -> InlineCode | None:
    i, opts = options(args, "")
    if "-s" in opts and i < len(args):
        return _commands(a, prog, "entr -s", args[i:i + 1], ctx)
    a.argv_payload(args[i:], ctx, NO_STDIN, "entr")
    return None


@_register("nix-shell")
def _nix_shell(a: Walker, prog: str, args: list[Word], ctx: Ctx, stdin: Stdin) -> InlineCode | None:
    return _commands(a, prog, "nix-shell --run", _values(args, fs("--run", "--command")), ctx)


@_register("ssh")
def _ssh(a: Walker, prog: str, args: list[Word], ctx: Ctx, stdin: Stdin) -> InlineCode | None:
    return ssh_commands(a, prog, args, ctx)


# --------------------------------------------------------------------------- database clients' shell escapes

_DB_TEXT_FLAGS = {"psql": ("-c", "--command"), "mysql": ("-e", "--execute"), "mariadb": ("-e", "--execute"),
                  "sqlite3": (), "duckdb": ("-c",)}
_DB_SHELL = re.compile(r"(?m)^\s*(?:\\!|system\s|\.shell\s|\.system\s)\s*(.*)$|\\o\s*\|\s*(.*)$|"
                       r"(?i:\bprogram\s+'((?:[^']|'')*)')")


@_register("psql", "mysql", "mariadb", "sqlite3", "duckdb")
def _database(a: Walker, prog: str, args: list[Word], ctx: Ctx, stdin: Stdin) -> InlineCode | None:
    """Shell escapes in the SQL a client is given: psql `\\!` and `\\o |cmd`, mysql `system`, sqlite3
    `.shell` / `.system`, `COPY ... TO PROGRAM '..'`. The SQL itself is judged by the classifier."""
    flags = _DB_TEXT_FLAGS[prog]
    texts = [args[i + 1] for i, w in enumerate(args[:-1]) if w.value in flags and not w.dynamic]
    if prog in ("sqlite3", "duckdb"):
        texts += [w for w in args if not w.value.startswith("-")][1:]
    sources = [w.value for w in texts if not w.dynamic]
    if stdin.heredoc and stdin.exact and stdin.text is not None:
        sources.append(stdin.text)
    report = Report()
    for text in sources:
        for m in _DB_SHELL.finditer(text):
            command = next((g for g in m.groups() if g is not None), "").strip()
            if command:
                report.spawns.append(command.replace("''", "'"))
    if not report.spawns:
        return None
    return _run(a, prog, "sql", report, ctx, label=f"{prog} shell escape")
