"""Wrapper programs: the command a wrapper runs (`sudo CMD`, `bash -c STR`, `find -exec`, `xargs`,
`ssh HOST CMD`, ...), handed back to the walker as an argv, a shell string or a script on stdin."""

from __future__ import annotations

import shlex
from collections.abc import Callable, Sequence
from dataclasses import replace
from typing import TYPE_CHECKING

from reign.policy.bash.cwd import Dirs, chdir
from reign.policy.bash.state import Ctx, Stdin
from reign.policy.bash.words import ASSIGNMENT, GLOB, Word, decode_escapes

if TYPE_CHECKING:
    from reign.policy.bash.walker import Walker

STDIN_PATHS = frozenset({"/dev/stdin", "/dev/fd/0", "/proc/self/fd/0", "-"})
SHELLS = frozenset({"sh", "bash", "zsh", "dash", "ksh", "ash", "mksh", "rbash", "yash", "posh", "fish",
                    "csh", "tcsh"})
_Handler = Callable[["Walker", str, list[Word], Ctx, Stdin], None]
HANDLERS: dict[str, _Handler] = {}


def _handler(*names: str) -> Callable[[_Handler], _Handler]:
    def register(fn: _Handler) -> _Handler:
        for n in names:
            HANDLERS[n] = fn
        return fn

    return register


def options(args: Sequence[Word], short_val: str = "", long_val: frozenset[str] = frozenset(),
             ) -> tuple[int, dict[str, Word | None]]:
    """Skip leading options (getopt style, stops at the first operand or after `--`).

    Returns the index of the first operand and the options seen, with their values.
    """
    opts: dict[str, Word | None] = {}
    i = 0
    while i < len(args):
        w = args[i]
        v = w.value
        if w.dynamic:
            break
        if v == "--":
            return i + 1, opts
        if v.startswith("--"):
            name, eq, val = v.partition("=")
            if eq:
                opts[name] = Word(val, val, w.dynamic)
            elif name in long_val and i + 1 < len(args):
                opts[name] = args[i + 1]
                i += 1
            else:
                opts[name] = None
            i += 1
            continue
        if len(v) > 1 and v[0] == "-":
            j = 1
            while j < len(v):
                ch = v[j]
                if ch in short_val:
                    if j + 1 < len(v):
                        opts["-" + ch] = Word(v[j + 1:], v[j + 1:], w.dynamic)
                    elif i + 1 < len(args):
                        opts["-" + ch] = args[i + 1]
                        i += 1
                    else:
                        opts["-" + ch] = None
                    break
                opts["-" + ch] = None
                j += 1
            i += 1
            continue
        break
    return i, opts


def fs(*items: str) -> frozenset[str]:
    return frozenset(items)


@_handler("eval")
def _eval_handler(a: Walker, prog: str, args: list[Word], ctx: Ctx, stdin: Stdin) -> None:
    a.words_payload(args, ctx, "eval", stdin)


@_handler("trap")
def _trap(a: Walker, prog: str, args: list[Word], ctx: Ctx, stdin: Stdin) -> None:
    i = 1 if args and args[0].value == "--" else 0
    if len(args) > i + 1 and not args[i].value.startswith("-"):
        a.payload(args[i].value, args[i].dynamic, ctx, "trap", stdin)  # the handler is shell code


@_handler("source", ".")
def _source(a: Walker, prog: str, args: list[Word], ctx: Ctx, stdin: Stdin) -> None:
    if not args:
        return
    script = args[0]
    if script.dynamic or (ctx.placeholders and any(p in script.value for p in ctx.placeholders)):
        a.problem("dynamic_payload")  # `source <(curl ..)`
    elif script.value in STDIN_PATHS:
        a.read_stdin(prog, ctx, stdin)


@_handler("ssh")
def _ssh(a: Walker, prog: str, args: list[Word], ctx: Ctx, stdin: Stdin) -> None:
    i, opts = options(args, "BbcDEeFIiJLlmOoPpQRSWw")
    rest = args[i:]
    if len(rest) > 1:  # OpenSSH also takes options after the destination, and `--`
        j, more = options(rest[1:], "BbcDEeFIiJLlmOoPpQRSWw")
        opts.update(more)
        rest = rest[:1] + rest[1 + j:]
    if len(rest) > 1:
        a.words_payload(rest[1:], ctx, "ssh", stdin)
    elif rest and not ({"-N", "-W"} & opts.keys()):
        a.read_stdin("ssh", ctx, stdin)  # no command: the remote shell reads its script from stdin


_FIND_MAX_STARTS = 8


@_handler("find")
def _find(a: Walker, prog: str, args: list[Word], ctx: Ctx, stdin: Stdin) -> None:
    """`find START... -exec CMD {} ;`: CMD runs on the start paths and everything under them, so `{}`
    is bound to each start path (`.` when none is given); `{}` spliced into a shell string is flagged."""
    i = 0
    while i < len(args) and not args[i].dynamic and (args[i].value in ("-H", "-L", "-P") or
                                                     args[i].value.startswith("-O")):
        i += 1
    if i < len(args) and args[i].value == "-D":
        i += 2
    starts: list[Word] = []
    while i < len(args) and (args[i].dynamic or not args[i].value.startswith(("-", "(", "!", ")", ","))):
        starts.append(args[i])
        i += 1
    if not starts:
        starts = [Word(".", ".", False)]
    while i < len(args):
        flag = args[i].value
        if flag in ("-exec", "-execdir", "-ok", "-okdir") and not args[i].dynamic:
            cmd: list[Word] = []
            j = i + 1
            while j < len(args):
                v = args[j].value
                if v == ";" or (v == "+" and cmd and cmd[-1].value.endswith("{}")):
                    break
                cmd.append(args[j])
                j += 1
            label = f"find {flag}"
            if cmd and cmd[0].value in SHELLS and any("{}" in w.value for w in cmd[1:]):
                a.problem("dynamic_payload")  # file names spliced into shell code
            if any(s.dynamic for s in starts) or len(starts) > _FIND_MAX_STARTS or not cmd:
                a.argv_payload(cmd, ctx, stdin, label, placeholders=fs("{}"))
            else:
                for start in starts:
                    bound = [cmd[0], *(Word(w.value.replace("{}", start.value), w.raw, False, w.glob)
                                       if "{}" in w.value and not w.dynamic else w for w in cmd[1:])]
                    a.argv_payload(bound, ctx, stdin, label, placeholders=fs("{}"))
            i = j + 1
        else:
            i += 1


@_handler("xargs")
def _xargs(a: Walker, prog: str, args: list[Word], ctx: Ctx, stdin: Stdin) -> None:
    # -i / -e / -l take an optional value that must be attached; -I/-n/-P/-d/-L/-s/-E/-a take one
    i, opts = options(args, "InPdLsEa", fs("--arg-file", "--delimiter", "--max-args", "--max-procs",
                                                 "--max-lines", "--max-chars", "--process-slot-var"))
    placeholders: set[str] = set()
    rep = opts.get("-I")
    if "-I" in opts:
        placeholders.add(rep.value if rep is not None and rep.value else "{}")
    for w in args[:i]:
        if w.value.startswith("-i") and not w.value.startswith("-I"):
            placeholders.add(w.value[2:] or "{}")
        elif w.value.startswith("--replace"):
            placeholders.add(w.value.partition("=")[2] or "{}")
    cmd = args[i:] or [Word("echo", "echo", False)]
    items = _xargs_input(opts, stdin)
    if items is not None and placeholders and len(items) <= _XARGS_RUNS:
        for item in items:  # `echo a | xargs -I{} rm {}`: one run per input line, placeholders replaced
            run = [w if w.dynamic else Word(_replace_all(w.value, placeholders, item), w.raw, False, w.glob)
                   for w in cmd]
            a.argv_payload(run, ctx, stdin, "xargs")
        return
    if items is not None and not placeholders:  # `echo / | xargs rm -rf`: the words it appends are known
        if not args[i:]:
            return  # plain `xargs` echoes its input
        a.argv_payload([*cmd, *(Word(v, v, False, bool(GLOB.search(v))) for v in items)], ctx, stdin, "xargs")
        return
    a.argv_payload(args[i:], ctx, stdin, "xargs", placeholders=frozenset(placeholders),
                   appended=not placeholders)


_XARGS_RUNS = 16
_XARGS_WORDS = 1024


def _replace_all(value: str, placeholders: set[str], item: str) -> str:
    for p in placeholders:
        value = value.replace(p, item)
    return value


def _xargs_input(opts: dict[str, Word | None], stdin: Stdin) -> list[str] | None:
    """The items xargs reads, when its stdin is the known literal output of a pipe (`echo` / `printf`;
    here-docs and here-strings reach the gate as `stdin_literal`): whitespace/quote-separated words,
    NUL-separated with -0, split on the -d delimiter; lines with -I / -i / -L. None when not known."""
    if not (stdin.present and stdin.exact and stdin.text is not None) or stdin.heredoc:
        return None
    if {"-a", "--arg-file", "-E", "-e", "--eof"} & opts.keys() or any(k.startswith("-e") for k in opts):
        return None
    text = stdin.text
    delim: str | None = None
    if {"-0", "--null"} & opts.keys():
        delim = "\0"
    d = opts.get("-d") or opts.get("--delimiter")
    if d is not None:
        if d.dynamic:
            return None
        delim = decode_escapes(d.value, echo=False)[0] if d.value.startswith("\\") else d.value
        if len(delim) != 1:
            return None
    if delim is not None:
        items = text.split(delim)
        if items and items[-1] == "":
            items.pop()
    elif {"-I", "-i", "-L", "-l", "--replace", "--max-lines"} & opts.keys() or \
            any(k.startswith(("--replace", "--max-lines")) for k in opts):
        items = [line.lstrip(" \t") for line in text.split("\n") if line.strip(" \t")]
        if any(ch in line for line in items for ch in "'\"\\"):
            return None  # quoting inside lines: not worth modelling
    elif not any(ch in text for ch in "'\"\\"):
        items = text.split()
    else:
        lex = shlex.shlex(text, posix=True, punctuation_chars=False)
        lex.whitespace_split = True
        lex.commenters = ""
        try:
            items = list(lex)
        except ValueError:  # an unmatched quote: xargs stops with an error
            return None
    return items if len(items) <= _XARGS_WORDS else None


@_handler("env")
def _env(a: Walker, prog: str, args: list[Word], ctx: Ctx, stdin: Stdin) -> None:
    i, opts = options(args, "uCS", fs("--unset", "--chdir", "--split-string"))
    while i < len(args) and not args[i].dynamic and (args[i].value == "-" or
                                                    ASSIGNMENT.match(args[i].value)):
        i += 1
    split = opts.get("-S") or opts.get("--split-string")
    saved = _enter(a, opts.get("-C") or opts.get("--chdir"))
    if split is not None:
        a.words_payload([split, *args[i:]], ctx, "env", stdin)
    else:
        a.argv_payload(args[i:], ctx, stdin, "env")
    a.dirs = saved


def _enter(a: Walker, directory: Word | None) -> Dirs:
    """`env -C DIR CMD`, `sudo -D DIR CMD`: CMD runs in DIR; returns the directories to restore after."""
    saved = a.dirs
    if directory is not None:
        a.dirs = chdir(a.dirs, "cd", [directory])
    return saved


@_handler("sudo")
def _sudo(a: Walker, prog: str, args: list[Word], ctx: Ctx, stdin: Stdin) -> None:
    i, opts = options(args, "aCcDgpRrTtUu", fs(
        "--user", "--group", "--close-from", "--chdir", "--prompt", "--chroot", "--role", "--type",
        "--other-user", "--command-timeout", "--auth-type", "--login-class", "--host"))
    if {"-e", "-l", "-v", "-V", "-K", "--edit", "--list", "--validate", "--version",
            "--remove-timestamp", "-h", "--help"} & opts.keys():
        return
    while i < len(args) and not args[i].dynamic and ASSIGNMENT.match(args[i].value):
        i += 1  # `sudo VAR=value cmd`
    rest = args[i:]
    saved = _enter(a, opts.get("-D") or opts.get("--chdir"))
    if {"-i", "--login"} & opts.keys():
        a.dirs = Dirs(None)  # a login shell starts in the target user's home
    if {"-s", "-i", "--shell", "--login"} & opts.keys():
        if rest:
            a.words_payload(rest, ctx, "sudo", stdin)  # run through the target user's shell -c
        else:
            a.read_stdin("sudo", ctx, stdin)
    else:
        a.argv_payload(rest, ctx, stdin, "sudo")
    a.dirs = saved


@_handler("doas")
def _doas(a: Walker, prog: str, args: list[Word], ctx: Ctx, stdin: Stdin) -> None:
    i, opts = options(args, "aCu")
    if {"-C", "-L"} & opts.keys():
        return
    if "-s" in opts and i >= len(args):
        a.read_stdin("doas", ctx, stdin)
    else:
        a.argv_payload(args[i:], ctx, stdin, "doas")


@_handler("chroot")
def _chroot(a: Walker, prog: str, args: list[Word], ctx: Ctx, stdin: Stdin) -> None:
    i, _ = options(args, "", fs("--userspec", "--groups"))
    if len(args) > i + 1:
        a.argv_payload(args[i + 1:], ctx, stdin, "chroot")
    elif len(args) == i + 1:
        a.read_stdin("chroot", ctx, stdin)  # no command: an interactive shell


@_handler("watch")
def _watch(a: Walker, prog: str, args: list[Word], ctx: Ctx, stdin: Stdin) -> None:
    i, opts = options(args, "nq", fs("--interval", "--equexit"))
    if {"-x", "--exec"} & opts.keys():
        a.argv_payload(args[i:], ctx, stdin, "watch")
    else:
        a.words_payload(args[i:], ctx, "watch", stdin)


@_handler("flock")
def _flock(a: Walker, prog: str, args: list[Word], ctx: Ctx, stdin: Stdin) -> None:
    i, _ = options(args, "wE", fs("--timeout", "--wait", "--conflict-exit-code"))
    rest = args[i + 1:]
    if rest and rest[0].value in ("-c", "--command"):
        if len(rest) > 1:
            a.payload(rest[1].value, rest[1].dynamic, ctx, "flock", stdin)
    else:
        a.argv_payload(rest, ctx, stdin, "flock")


def _su_like(a: Walker, prog: str, args: list[Word], ctx: Ctx, stdin: Stdin) -> None:
    """su / runuser: options anywhere (permuted); `-c STR` is a shell string, `runuser -u U CMD` an argv."""
    command: Word | None = None
    as_user = False
    operands: list[Word] = []
    i = 0
    while i < len(args):
        w = args[i]
        v = w.value
        if v == "--" and not w.dynamic:
            operands.extend(args[i + 1:])
            break
        if w.dynamic or not v.startswith("-") or v == "-":
            if as_user and prog == "runuser" and v != "-":
                operands.extend(args[i:])  # `runuser -u USER CMD ARGS...`: the rest is the command
                break
            operands.append(w)
            i += 1
            continue
        j, opts = options([w, *args[i + 1:i + 2]], "cgGswu", fs(
            "--command", "--session-command", "--group", "--supp-group", "--shell", "--whitelist-environment",
            "--user"))
        for key in ("-c", "--command", "--session-command"):
            if key in opts:
                command = opts[key]
        if {"-u", "--user"} & opts.keys():
            as_user = True
        i += max(j, 1)
    if command is not None:
        a.payload(command.value, command.dynamic, ctx, f"{prog} -c", stdin)
    elif as_user and prog == "runuser":
        a.argv_payload(operands, ctx, stdin, prog)
    else:
        a.read_stdin(prog, ctx, stdin)


HANDLERS["su"] = _su_like
HANDLERS["runuser"] = _su_like


@_handler("sg")
def _sg(a: Walker, prog: str, args: list[Word], ctx: Ctx, stdin: Stdin) -> None:
    rest = [w for w in args[1:] if w.value != "-c"] if args else []
    a.words_payload(rest, ctx, "sg", stdin)


@_handler("busybox")
def _busybox(a: Walker, prog: str, args: list[Word], ctx: Ctx, stdin: Stdin) -> None:
    if args and not args[0].value.startswith("-"):
        a.argv_payload(args, ctx, stdin, "busybox")


@_handler("script")
def _script(a: Walker, prog: str, args: list[Word], ctx: Ctx, stdin: Stdin) -> None:
    _, opts = options(args, "BcEIOomT", fs("--command", "--log-io", "--log-in", "--log-out",
                                              "--log-timing", "--echo", "--output-limit", "--logging-format"))
    cmd = opts.get("-c") or opts.get("--command")
    if cmd is not None:
        a.payload(cmd.value, cmd.dynamic, ctx, "script -c", stdin)
    else:
        a.read_stdin("script", ctx, stdin)


@_handler("at", "batch")
def _at(a: Walker, prog: str, args: list[Word], ctx: Ctx, stdin: Stdin) -> None:
    """`at TIME` / `batch` read a shell script from stdin; `-f FILE` reads it from a script file."""
    _, opts = options(args, "qft")
    if {"-l", "-d", "-r", "-c", "-V"} & opts.keys():  # list, remove, print a job; version
        return
    if "-f" in opts:
        script = opts["-f"]
        if script is not None and (script.dynamic or
                                   (ctx.placeholders and any(p in script.value for p in ctx.placeholders))):
            a.problem("dynamic_payload")
        elif script is not None and script.value in STDIN_PATHS:
            a.read_stdin("at", ctx, stdin)
        return
    a.read_stdin("at", ctx, stdin)


_PARALLEL_SEPARATORS = frozenset({":::", "::::", ":::+", "::::+"})
_PARALLEL_PLACEHOLDERS = fs("{}", "{.}", "{/}", "{//}", "{/.}", "{#}", "{%}")


@_handler("parallel")
def _parallel(a: Walker, prog: str, args: list[Word], ctx: Ctx, stdin: Stdin) -> None:
    i, opts = options(args, "jPSadEINnLlsX", fs(
        "--jobs", "--sshlogin", "--arg-file", "--delimiter", "--colsep", "--joblog", "--results", "--workdir",
        "--tmpdir", "--timeout", "--delay", "--retries", "--halt", "--memfree", "--load", "--tagstring",
        "--basefile", "--return", "--transferfile", "--env", "--max-args", "--max-replace-args",
        "--max-lines", "--max-procs", "--eof", "--replace"))
    cmd: list[Word] = []
    while i < len(args) and args[i].value not in _PARALLEL_SEPARATORS:
        cmd.append(args[i])
        i += 1
    inputs = args[i:]
    placeholders = set(_PARALLEL_PLACEHOLDERS)
    rep = opts.get("-I") or opts.get("--replace")
    if rep is not None and rep.value:
        placeholders.add(rep.value)
    literal_args = [w for w in inputs if w.value not in _PARALLEL_SEPARATORS]
    from_files = any(w.value.startswith("::::") for w in inputs)
    if not cmd:  # the inputs themselves are the commands
        if inputs and not from_files:
            for w in literal_args:
                a.payload(w.value, w.dynamic, ctx, "parallel", stdin)
        elif inputs:
            a.problem("dynamic_payload")
        else:
            a.read_stdin("parallel", ctx, stdin)
        return
    template = " ".join(w.value for w in cmd)
    dyn = any(w.dynamic for w in cmd)
    if not any(p in template for p in placeholders):
        template += " {}"
    if inputs and not from_files and literal_args:
        for w in literal_args:
            text = template
            for p in placeholders:
                text = text.replace(p, w.value)
            a.payload(text, dyn or w.dynamic, ctx, "parallel", stdin)
    else:
        a.payload(template, dyn, replace(ctx, placeholders=ctx.placeholders | frozenset(placeholders)),
                  "parallel", stdin, quoted_placeholders=True)


_KUBECTL_GLOBAL = fs(
    "-n", "--namespace", "--context", "--kubeconfig", "--cluster", "--user", "-s", "--server", "--token",
    "--as", "--as-group", "--as-uid", "--cache-dir", "--certificate-authority", "--client-certificate",
    "--client-key", "--request-timeout", "--tls-server-name", "-v", "-c", "--container", "-f", "--filename",
    "--pod-running-timeout", "--image", "-l", "--selector")


@_handler("kubectl", "oc")
def _kubectl(a: Walker, prog: str, args: list[Word], ctx: Ctx, stdin: Stdin) -> None:
    values = [w.value for w in args]
    i = 0
    while i < len(args) and values[i].startswith("-") and not args[i].dynamic:
        i += 2 if values[i] in _KUBECTL_GLOBAL else 1
    if i >= len(args) or values[i] not in ("exec", "run", "debug"):
        return
    sub = values[i]
    label = f"{prog} {sub}"
    if "--" in values[i:]:
        a.argv_payload(args[values.index("--", i) + 1:], ctx, stdin, label)
        return
    if sub != "exec":
        return
    j = i + 1  # deprecated form: kubectl exec [opts] POD CMD...
    while j < len(args) and values[j].startswith("-") and not args[j].dynamic:
        j += 2 if values[j] in _KUBECTL_GLOBAL else 1
    a.argv_payload(args[j + 1:], ctx, stdin, label)


@_handler("docker", "podman", "nerdctl")
def _docker(a: Walker, prog: str, args: list[Word], ctx: Ctx, stdin: Stdin) -> None:
    i, _ = options(args, "Hcl", fs("--host", "--context", "--config", "--log-level", "--tlscacert",
                                        "--tlscert", "--tlskey"))
    rest = args[i:]
    if rest and rest[0].value == "container":
        rest = rest[1:]
    if not rest or rest[0].value != "exec":
        return
    j, _ = options(rest[1:], "euw", fs("--env", "--env-file", "--user", "--workdir", "--detach-keys"))
    a.argv_payload(rest[1 + j + 1:], ctx, stdin, f"{prog} exec")


def run_shell(a: Walker, prog: str, args: Sequence[Word], ctx: Ctx, stdin: Stdin, appended: bool) -> None:
    """`bash -c STR`, `bash -s` / `bash` reading stdin, `bash FILE` (a script file: not seen)."""
    i, has_c, has_s = 0, False, False
    while i < len(args):
        w = args[i]
        v = w.value
        if w.dynamic:
            break
        if v in ("-", "--"):
            i += 1
            break
        if v.startswith("--"):
            if v in ("--rcfile", "--init-file"):
                if i + 1 < len(args) and args[i + 1].dynamic:
                    a.problem("dynamic_payload")  # `bash --rcfile <(curl ..) -i`
                i += 1
            i += 1
            continue
        if len(v) > 1 and v[0] in "-+":
            letters = v[1:]
            if v[0] == "-":
                has_c = has_c or "c" in letters
                has_s = has_s or "s" in letters
            i += 1 + letters.count("o") + letters.count("O")
            continue
        break
    rest = args[i:]
    if has_c:
        if rest:
            a.payload(rest[0].value, rest[0].dynamic, ctx, f"{prog} -c", stdin)
        elif appended:
            a.problem("dynamic_payload")  # `xargs sh -c`: the script is the input
    elif has_s or not rest:
        if appended and not has_s:
            a.problem("dynamic_payload")  # `xargs bash`: script file names from the input
        else:
            a.read_stdin(f"{prog} -s", ctx, stdin)
    else:
        script = rest[0]
        if script.dynamic or (ctx.placeholders and any(p in script.value for p in ctx.placeholders)):
            a.problem("dynamic_payload")  # `bash <(curl ..)`, `bash $f`
        elif script.value in STDIN_PATHS:
            a.read_stdin(f"{prog} -s", ctx, stdin)
