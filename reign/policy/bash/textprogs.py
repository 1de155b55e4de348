"""awk programs and sed scripts: the parts that run commands, write or read files.

A text filter (`awk '{print $1}'`, `sed 's/a/b/'`) only reads its input and prints. What makes it
more: awk's `system()`, `"cmd" | getline`, `print | "cmd"`, `print > "file"`, `getline < "file"`,
`/inet/` sockets; sed's `e` command and `s///e` flag, `w`/`W` files and the `s///w` flag, `r`/`R`
files. Literal commands are returned for the shell parser; computed ones make the effect unknown.
"""

from __future__ import annotations

import re

from reign.policy.bash.code import COMPUTED, Report

_AWK_STRING = re.compile(r'"((?:[^"\\\n]|\\.)*)"')
_AWK_REGEX_BEFORE = set("(,{;~!&|\n") | {""}


def awk(program: str) -> Report:
    """What an awk program does beyond reading and printing."""
    report = Report()
    code, strings = _awk_mask(program)
    if code is None:
        report.unknown.append("the awk program does not parse (unbalanced quotes)")
        return report
    if "/inet" in program:
        report.network = True
    if re.search(r"\bin\s+ENVIRON\b", code):
        report.env_dump = True

    def literal_at(pos: int) -> str | None:
        """The string literal starting at `pos` in the masked code (after blanks), if the operand is one."""
        m = re.compile(r"\s*\x00(\d+)\x00\s*(?=[);}\n]|$)").match(code, pos)
        return strings[int(m.group(1))] if m else None

    for m in re.finditer(r"\bsystem\s*\(", code):
        cmd = literal_at(m.end())
        if cmd is None:
            report.unknown.append("awk system() with a computed command")
        else:
            report.spawns.append(cmd)
    for m in re.finditer(r"(\x00(\d+)\x00|[\w$\])]+)\s*\|&?\s*getline", code):
        if m.group(2) is not None:
            report.spawns.append(strings[int(m.group(2))])
        else:
            report.unknown.append("awk reads from a computed command")
    for m in re.finditer(r"\|&", code):
        if not code[m.end():].lstrip().startswith("getline"):
            report.unknown.append("awk two-way pipe to a command")
    for m in re.finditer(r"\bgetline\b[^;}\n<|]*<\s*", code):
        path = literal_at(m.end()) if m.end() < len(code) else None
        report.reads.append(path if path is not None else COMPUTED)
    for m in re.finditer(r"\bprintf?\b", code):
        _awk_print(code, m.end(), strings, report)
    return report


def _awk_mask(program: str) -> tuple[str | None, list[str]]:
    """The program with string literals replaced by `\\0N\\0` and regex literals by `//`."""
    strings: list[str] = []
    out: list[str] = []
    i, prev = 0, ""
    while i < len(program):
        ch = program[i]
        if ch == '"':
            m = _AWK_STRING.match(program, i)
            if m is None:
                return None, []
            strings.append(_awk_unescape(m.group(1)))
            out.append(f"\x00{len(strings) - 1}\x00")
            i, prev = m.end(), '"'
            continue
        if ch == "/" and prev in _AWK_REGEX_BEFORE:
            j = i + 1
            while j < len(program) and program[j] not in "/\n":
                j += 2 if program[j] == "\\" else 1
            out.append("//")
            i, prev = j + 1, "/"
            continue
        if ch == "#":
            nl = program.find("\n", i)
            i = len(program) if nl < 0 else nl
            continue
        out.append(ch)
        if not ch.isspace():
            prev = ch
        elif ch == "\n":
            prev = "\n"
        i += 1
    return "".join(out), strings


def _awk_unescape(s: str) -> str:
    return re.sub(r"\\(.)", lambda m: {"n": "\n", "t": "\t"}.get(m.group(1), m.group(1)), s)


def _awk_print(code: str, start: int, strings: list[str], report: Report) -> None:
    """A `print`/`printf` statement: a `>`, `>>` or `|` outside parentheses redirects its output."""
    depth, i = 0, start
    while i < len(code) and code[i] not in ";}\n":
        ch = code[i]
        if ch in "([":
            depth += 1
        elif ch in ")]":
            depth -= 1
        elif depth == 0 and ch in ">|":
            op = ">>" if code.startswith(">>", i) else ("|&" if code.startswith("|&", i) else ch)
            if op == "|" and code.startswith("||", i):
                i += 2
                continue
            rest = code[i + len(op):]
            m = re.match(r"\s*\x00(\d+)\x00", rest)
            target = strings[int(m.group(1))] if m else None
            if op.startswith("|"):
                if target is None:
                    report.unknown.append("awk prints into a computed command")
                else:
                    report.spawns.append(target)
            elif target is None:
                report.writes.append(COMPUTED)
            elif target not in ("/dev/stdout", "/dev/stderr", "-"):
                report.writes.append(target)
            return
        i += 1


_SED_SIMPLE = set("=dDgGhHlnNpPxzFLqQ")


def sed(script: str, *, sandbox: bool = False) -> Report:
    """What a sed script does beyond editing its input (GNU sed syntax)."""
    report = Report()
    i, n = 0, len(script)

    def to_eol(k: int) -> tuple[str, int]:
        end = script.find("\n", k)
        end = n if end < 0 else end
        return script[k:end].strip(), end

    while i < n:
        ch = script[i]
        if ch in " \t\n;{}!":
            i += 1
            continue
        if ch == "#":
            i = to_eol(i)[1]
            continue
        i = _sed_address(script, i)
        if i < 0:
            report.unknown.append("the sed script does not parse")
            return report
        while i < n and script[i] in " \t!":
            i += 1
        if i >= n:
            break
        cmd = script[i]
        i += 1
        if cmd in "{}":
            continue
        if cmd == "s":
            i = _sed_substitute(script, i, report)
            if i < 0:
                report.unknown.append("the sed script does not parse")
                return report
        elif cmd == "y":
            delim = script[i] if i < n else ""
            i = _sed_delimited(script, i + 1, delim) if delim else -1
            i = _sed_delimited(script, i + 1, delim) if i >= 0 else -1
            if i < 0:
                report.unknown.append("the sed script does not parse")
                return report
            i += 1
        elif cmd in "aic":
            i = to_eol(i)[1]
        elif cmd in "rR":
            path, i = to_eol(i)
            report.reads.append(path)
        elif cmd in "wW":
            path, i = to_eol(i)
            if path not in ("/dev/stdout", "/dev/stderr"):
                report.writes.append(path)
        elif cmd == "e":
            text, i = to_eol(i)
            if text:
                report.spawns.append(text)
            else:
                report.unknown.append("sed `e` runs the pattern space as a command")
        elif cmd in "btT:v":
            while i < n and script[i] not in ";\n}":
                i += 1
        elif cmd in _SED_SIMPLE:
            while i < n and script[i] in " \t0123456789":
                i += 1
        else:
            report.unknown.append(f"sed command {cmd!r} is not known")
            return report
    if sandbox:  # --sandbox refuses e, r and w: sed stops before running anything
        return Report()
    return report


def _sed_address(script: str, i: int) -> int:
    for _ in range(2):
        if i < len(script) and (script[i].isdigit() or script[i] == "$"):
            i += 1
            while i < len(script) and (script[i].isdigit() or script[i] == "~"):
                i += 1
        elif i < len(script) and script[i] in "/\\":
            delim = "/"
            if script[i] == "\\":
                if i + 1 >= len(script):
                    return -1
                delim, i = script[i + 1], i + 1
            i = _sed_delimited(script, i + 1, delim)
            if i < 0:
                return -1
            i += 1
            while i < len(script) and script[i] in "IM":
                i += 1
        if i < len(script) and script[i] == ",":
            i += 1
            if i < len(script) and script[i] in "+~":
                i += 1
            continue
        break
    return i


def _sed_delimited(script: str, i: int, delim: str) -> int:
    """Index of the closing delimiter from `i`, skipping backslash escapes; -1 when missing."""
    while i < len(script):
        if script[i] == "\\":
            i += 2
            continue
        if script[i] == delim or (script[i] == "\n" and delim != "\n"):
            return i if script[i] == delim else -1
        i += 1
    return -1


def _sed_substitute(script: str, i: int, report: Report) -> int:
    if i >= len(script):
        return -1
    delim = script[i]
    i = _sed_delimited(script, i + 1, delim)
    if i < 0:
        return -1
    i = _sed_delimited(script, i + 1, delim)
    if i < 0:
        return -1
    i += 1
    while i < len(script) and script[i] not in ";\n}":
        flag = script[i]
        if flag == "e":
            report.unknown.append("sed s///e runs the result as a command")
        elif flag == "w":
            end = script.find("\n", i)
            end = len(script) if end < 0 else end
            path = script[i + 1:end].strip()
            if path not in ("/dev/stdout", "/dev/stderr"):
                report.writes.append(path)
            return end
        elif flag not in "gpiImM0123456789 \t":
            return -1
        i += 1
    return i


# --------------------------------------------------------------------------- perl one-liners

_PERL_WORDS = frozenset({
    "print", "printf", "say", "if", "unless", "else", "elsif", "for", "foreach", "while", "until", "next", "last",
    "redo", "my", "our", "local", "split", "join", "chomp", "chop", "lc", "uc", "lcfirst", "ucfirst", "length",
    "substr", "index", "rindex", "sprintf", "sort", "reverse", "keys", "values", "each", "exists", "defined",
    "scalar", "push", "pop", "shift", "unshift", "map", "grep", "abs", "int", "sqrt", "hex", "oct", "ord", "chr",
    "x", "eq", "ne", "lt", "gt", "le", "ge", "and", "or", "not", "cmp", "END", "BEGIN", "exit", "uniq", "sum",
    "max", "min", "STDIN", "STDERR", "STDOUT", "ARGV", "wantarray", "undef", "delete",
})
_PERL_BEFORE_PATTERN = frozenset({"if", "unless", "and", "or", "not", "split", "grep", "map", "while", "until",
                                  "print", "x", "return", "when"})
_PERL_QUOTE_OPS = {"s": 2, "tr": 2, "y": 2, "m": 1, "q": 1, "qq": 1, "qw": 1, "qr": 1}
_PERL_PAIRS = {"(": ")", "[": "]", "{": "}", "<": ">"}
_PERL_REGEX_BEFORE = set("(,{;=~!&|?:") | {""}


def perl(code: str) -> Report:
    """A perl one-liner that only filters text (`-ne 'print if /x/'`, `-pe 's/a/b/g'`, `-lane 'print $F[0]'`)
    is a read; anything else (system, backticks, qx, open, eval, s///e, unlink, modules, %ENV...) or any
    word it does not know is unknown."""
    report = Report()
    i, n, prev = 0, len(code), ""
    while i < n:
        ch = code[i]
        if ch in "`":
            return _perl_unknown("backticks run a command")
        if ch == "#":
            nl = code.find("\n", i)
            i = n if nl < 0 else nl
            continue
        if ch in "'\"":
            end = _sed_delimited(code, i + 1, ch)
            if end < 0:
                return _perl_unknown("an unterminated string")
            i, prev = end + 1, "q"
            continue
        if ch == "/" and prev in _PERL_REGEX_BEFORE:
            end = _sed_delimited(code, i + 1, "/")
            if end < 0:
                return _perl_unknown("an unterminated pattern")
            i, prev = end + 1, "q"
            continue
        if ch in "$@%&":
            j = i + 1
            while j < n and (code[j].isalnum() or code[j] in "_:{^"):
                j += 1
            name = code[i + 1:j].strip("{")
            if ch == "&" and i + 1 < n and code[i + 1] in "${":
                return _perl_unknown("a call through a code reference")
            if (ch == "%" and name.startswith("ENV")) or (ch == "&" and name):
                return _perl_unknown(f"{ch}{name}")
            i, prev = max(j, i + 1), "v"
            continue
        if ch.isalpha() or ch == "_":
            j = i
            while j < n and (code[j].isalnum() or code[j] == "_"):
                j += 1
            word = code[i:j]
            if word in _PERL_QUOTE_OPS and j < n and not code[j].isalnum() and code[j] not in " \t\n,;=)":
                end = _perl_quoted(code, j, _PERL_QUOTE_OPS[word])
                if end < 0:
                    return _perl_unknown(f"an unterminated {word} operator")
                flags = re.match(r"[a-z]*", code[end + 1:])
                if word == "s" and flags is not None and "e" in flags.group(0):
                    return _perl_unknown("s///e evaluates code")
                i, prev = end + 1 + (len(flags.group(0)) if flags else 0), "q"
                continue
            if word not in _PERL_WORDS and not (i > 1 and code[i - 2:i] == "->") and \
                    not (i > 0 and code[i - 1] == "{" and j < n and code[j] == "}"):  # `$h{key}`
                return _perl_unknown(f"perl word {word!r}")
            i, prev = j, ("(" if word in _PERL_BEFORE_PATTERN else "w")
            continue
        if not ch.isspace():
            prev = ch
        i += 1
    return report


def _perl_unknown(why: str) -> Report:
    return Report(unknown=[f"perl: {why}"])


def _perl_quoted(code: str, i: int, parts: int) -> int:
    """Index of the last delimiter of a quote-like operator starting with its delimiter at `i`."""
    for k in range(parts):
        while i < len(code) and code[i].isspace():
            i += 1
        if i >= len(code):
            return -1
        opening = code[i]
        closing = _PERL_PAIRS.get(opening, opening)
        depth, j = 0, i + 1
        while j < len(code):
            c = code[j]
            if c == "\\":
                j += 2
                continue
            if c == opening and opening != closing:
                depth += 1
            elif c == closing:
                if depth == 0:
                    break
                depth -= 1
            j += 1
        if j >= len(code):
            return -1
        # `s/a/b/` shares its middle delimiter; `s{a}{b}` opens a new pair
        i = (j + 1 if opening in _PERL_PAIRS else j) if k + 1 < parts else j
    return i
