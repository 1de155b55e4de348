"""Code on the command line: interpreters (`python3 -c`, `python3 - <<EOF`, `node -e`, `ruby -e`,
perl one-liners, `php -r`...), awk programs, sed scripts, and database clients' shell escapes.

Each handler returns what the code does as an `InlineCode` (attached to the program's segment) and
hands the literal commands it spawns back to the walker, wrapper label "<program> code", so they
are decided like any other command. Code in a language with no grammar here is effect "unknown".
Commands run through tools' options (git -c, tar, gdb, vim...) are in reign/policy/bash/toolcommands.py.
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


def register(*names: str) -> Callable[[Handler], Handler]:
    def register(fn: Handler) -> Handler:
        for n in names:
            HANDLERS[n] = fn
        return fn

    return register


def run_code(a: Walker, prog: str, language: str, report: Report, ctx: Ctx, extra: Sequence[str] = (), *,
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


def unknown_code(language: str, why: str) -> InlineCode:
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
            return unknown_code(language, f"{language} code computed at run time")
        text = found.value
    elif found == "\x00":
        return unknown_code(language, f"{language} code read from an unknown stdin")
    else:
        text = found
    return run_code(a, prog, language, source_code.analyse(language, text), ctx)


def _python(a: Walker, prog: str, args: list[Word], ctx: Ctx, stdin: Stdin) -> InlineCode | None:
    return _parsed(a, prog, "python", args, ctx, stdin, ("-c",))


@register("node", "nodejs")
def _node(a: Walker, prog: str, args: list[Word], ctx: Ctx, stdin: Stdin) -> InlineCode | None:
    return _parsed(a, prog, "javascript", args, ctx, stdin, ("-e", "--eval", "-p", "--print"))


@register("ruby")
def _ruby(a: Walker, prog: str, args: list[Word], ctx: Ctx, stdin: Stdin) -> InlineCode | None:
    lines = [args[i + 1] for i, w in enumerate(args[:-1]) if w.value == "-e" and not w.dynamic]
    if len(lines) > 1:  # each -e is one line of the program
        if any(w.dynamic for w in lines):
            return unknown_code("ruby", "ruby code computed at run time")
        return run_code(a, prog, "ruby", source_code.analyse("ruby", "\n".join(w.value for w in lines)), ctx)
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
    return run_code(a, prog, prog, report, ctx)


for _name in _UNPARSED:
    HANDLERS[_name] = _unparsed


@register("perl")
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
        return unknown_code("perl", "perl code computed at run time")
    text = "\n".join(w.value for w in code)
    report = textprogs.perl(text) if not odd else Report(unknown=[f"perl option -{odd}"])
    if report.unknown:
        report.spawns += [next(g for g in m.groups() if g is not None) for m in _SPAWN_TEXT.finditer(text)]
    extra = [w.value for w in files if not w.dynamic] if inplace else []
    return run_code(a, prog, "perl", report, ctx, extra)


# --------------------------------------------------------------------------- awk and sed


@register("awk", "gawk", "mawk", "nawk")
def _awk(a: Walker, prog: str, args: list[Word], ctx: Ctx, stdin: Stdin) -> InlineCode | None:
    i, opts = options(args, "FvfeiEbW", fs("--field-separator", "--assign", "--file", "--source", "--include",
                                           "--exec"))
    if {"-f", "--file", "-E", "--exec"} & opts.keys():
        return unknown_code("awk", "the awk program is read from a file")
    source = opts.get("-e") or opts.get("--source")
    if source is None:
        if i >= len(args):
            return None
        source, i = args[i], i + 1
    if source.dynamic:
        return unknown_code("awk", "awk program computed at run time")
    report = textprogs.awk(source.value)
    if any(w.value in ("--sandbox", "-S") for w in args[:i]):
        return InlineCode("awk", "read")
    inplace = (opts.get("-i") or opts.get("--include"))
    extra = [w.value for w in args[i:] if not w.value.startswith("-") and "=" not in w.value] \
        if inplace is not None and inplace.value in ("inplace", "inplace.awk") else []
    return run_code(a, prog, "awk", report, ctx, extra)


@register("sed", "gsed")
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
            return unknown_code("sed", "the sed script is read from a file")
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
        return unknown_code("sed", "sed script computed at run time")
    report = textprogs.sed("\n".join(w.value for w in scripts), sandbox=sandbox)
    extra = [w.value for w in files if w.value != "--"] if inplace else []
    return run_code(a, prog, "sed", report, ctx, extra)


# --------------------------------------------------------------------------- database clients' shell escapes

_DB_TEXT_FLAGS = {"psql": ("-c", "--command"), "mysql": ("-e", "--execute"), "mariadb": ("-e", "--execute"),
                  "sqlite3": (), "duckdb": ("-c",)}
_DB_SHELL = re.compile(r"(?m)^\s*(?:\\!|system\s|\.shell\s|\.system\s)\s*(.*)$|\\o\s*\|\s*(.*)$|"
                       r"(?i:\bprogram\s+'((?:[^']|'')*)')")


@register("psql", "mysql", "mariadb", "sqlite3", "duckdb")
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
    return run_code(a, prog, "sql", report, ctx, label=f"{prog} shell escape")
