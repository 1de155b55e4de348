"""Parse a bash command string into the facts the policy gate decides on.

`parse(command)` finds every simple command the string would run -- through pipes, lists, subshells,
groups, loops, function bodies, `$(..)`, backticks, `<(..)`/`>(..)`, here-documents and the payloads of
wrapper programs (`sudo`, `bash -c`, `eval`, `ssh`, `find -exec`, `xargs`, `env`, `timeout`, ...) --
and reports what it could not see through as problem codes. It decides nothing: the gate does.
Pure function: no I/O, no subprocess. The tree-sitter parser is created once, on first use.

What the gate should know:
- Wrapper labels in `Segment.wrappers`: the wrapper's program ("sudo", "env", "xargs", "ssh", ...),
  "<shell> -c" for a string payload, "<shell> -s" for a script read from stdin (here-doc, here-string,
  `echo ... |`), "find -exec" (-execdir/-ok/-okdir), "su -c", "runuser -c", "script -c",
  "kubectl exec" / "docker exec" (the in-container command), "coproc", "time", "trap", "at" (`at` and
  `batch` reading a script on stdin; `at -f FILE` is a script file, like `bash FILE`).
- Known stdin is followed: `printf`/`echo -e` escapes are decoded (whole `\\xHH`, `\\NNN`, `\\uHHHH`,
  `\\UHHHHHHHH`); when `xargs` is fed the literal output of `echo`/`printf` through a pipe, the words it
  appends (split on blanks and quotes, NUL with -0, the -d delimiter, lines with -I) are in the payload's
  argv, one payload per line with -I. Here-docs / here-strings reach the gate as `stdin_literal` instead.
- Literal assignments (`r=/; rm -rf $r`) are substituted in later words (and redirection targets) of the
  same straight-line statement list, and such a word is not dynamic: only while certain -- not across
  if/while/for/case/subshell/function bodies, not after `&&`/`||`, `&` or in a pipeline, not for prefix
  assignments (`r=/ cmd`), not through builtins or functions that can change variables (`read`,
  `printf -v`, `cd`, ...: forgotten), nor after anything that can change them unseen (`eval`, `source`,
  `trap`, `declare`, a computed command, arithmetic, `${x:=..}`, `[[ ]]`, array subscripts, IFS, a parse
  error: substitution stops). Unquoted, only a value with no blanks is substituted. The command name
  itself stays computed (`a=rm; $a -rf /` is still `dynamic_program`).
- A computed payload is flagged `dynamic_payload` and then still parsed as written (best effort),
  so the commands it names appear as segments; its own parse errors are not reported.
- `argv` is brace-expanded as bash does (`/etc/shado{w,}` -> two words); globs are kept as written
  (`/etc/shado?` is one literal word, not dynamic): path rules must treat `*?[` in a word as wildcards.
- `pipe_from` is transitive and over-approximate: every upstream stage's programs, nearest first.
- Not visible here: aliases, functions and variables inherited from the environment, leading
  assignments (`PATH=..`, `LD_PRELOAD=..`, `BASH_ENV=..` are dropped from argv), code run by
  interpreters and tools (`python -c`, `awk system()`, `git -c`, `tar --to-command`, ...), script
  files (`bash x.sh`, `source f`, `at -f f`), and fd/stdin changes made by `exec` that persist to
  later commands.

tree-sitter-bash 0.25 quirks handled here: `coproc` and `time { ..; }` (unknown keywords: blanked
out and re-parsed, the wrapper recorded by offset), `cmd <<EOF | next` (the rest of the pipeline is
nested inside the here-doc node), `a | b > f` and `a | b && c` (redirections hung on, and lists nested
in, the wrong node: flattened and regrouped by bash precedence), `<>` (split into `<` and `>`:
`<` + ERROR `>`, ERROR `<` + `>`, or an ERROR `<` before a `>f` redirection when a `;` follows),
`FOO=1 > f` (a missing command name), `cmd 0<f` (the `0` read as an argument), backslash-newline
inside a word (split into two words: rejoined), `$"..."` (split into `$` and a string: rejoined),
`[ .. ]` (parsed like `[[ ]]`: re-read as the `[` command), backticks in a here-doc body (left as
text) and escaped backticks inside backticks (re-parsed after bash's own unescaping).
"""

from __future__ import annotations

import re
import shlex
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from itertools import pairwise
from typing import TYPE_CHECKING, Union

if TYPE_CHECKING:
    from tree_sitter import Node, Parser

__all__ = ["PROBLEMS", "Redirect", "Segment", "ShellAnalysis", "parse"]

PROBLEMS = ("parse_error", "ansi_c_quoting", "dynamic_program", "dynamic_payload", "too_deep",
            "recursive_function", "empty")
MAX_WRAPPERS = 8


@dataclass(frozen=True)
class Redirect:
    op: str  # as written, fd number kept: ">", ">>", "2>", "2>&", "&>", "<", "<<", "<<-", "<<<", "<>" ...
    target: str  # literal word after quote removal; raw source text if computed; here-doc: its delimiter
    dynamic: bool  # the target contains an expansion


@dataclass(frozen=True)
class Segment:
    program: str  # argv[0] after quote removal, basename only; "" for a redirection-only command
    argv: tuple[str, ...]  # words after quote and brace expansion; a word with an expansion is its raw text
    dynamic_args: frozenset[int]  # indexes in argv whose value is computed at run time
    redirects: tuple[Redirect, ...]
    wrappers: tuple[str, ...]  # wrapper chain that led here, outermost first, e.g. ("sudo", "bash -c")
    pipe_from: tuple[str, ...]  # programs feeding this one's stdin through a pipe, nearest first
    stdin_literal: str | None  # literal text fed on stdin by a here-doc / here-string
    background: bool
    text: str  # source text of this simple command


@dataclass(frozen=True)
class ShellAnalysis:
    segments: tuple[Segment, ...]
    problems: tuple[str, ...]
    functions: frozenset[str]

    @property
    def clean(self) -> bool:
        return not self.problems


# --------------------------------------------------------------------------- tree-sitter, lazily

_PARSER: Parser | None = None


def _parser() -> Parser:
    global _PARSER
    if _PARSER is None:
        import tree_sitter_bash
        from tree_sitter import Language, Parser

        _PARSER = Parser(Language(tree_sitter_bash.language()))
    return _PARSER


# --------------------------------------------------------------------------- words

_STATEMENTS = frozenset({
    "command", "redirected_statement", "pipeline", "list", "subshell", "compound_statement", "if_statement",
    "while_statement", "for_statement", "c_style_for_statement", "case_statement", "function_definition",
    "negated_command", "declaration_command", "unset_command", "test_command", "variable_assignment",
    "variable_assignments", "do_group", "else_clause", "elif_clause", "case_item", "program", "ERROR",
})
_BODIES = frozenset({
    "program", "subshell", "compound_statement", "if_statement", "while_statement", "for_statement",
    "c_style_for_statement", "case_statement", "case_item", "do_group", "else_clause", "elif_clause",
    "negated_command", "ERROR",
})
_EXPANSIONS = frozenset({"simple_expansion", "expansion", "command_substitution", "process_substitution",
                         "arithmetic_expansion"})
_WORD_ESC = re.compile(r"\\(.)", re.S)
_DQ_ESC = re.compile(r"\\([$`\"\\\n])")
_GLOB = re.compile(r"(?<!\\)[*?\[]")
_ANSI_ESC = re.compile(r"\\(x[0-9A-Fa-f]{1,2}|u[0-9A-Fa-f]{1,4}|U[0-9A-Fa-f]{1,8}|[0-7]{1,3}|c.|.)", re.S)
_PRINTF_ESC = re.compile(r"\\(x[0-9A-Fa-f]{1,2}|u[0-9A-Fa-f]{1,4}|U[0-9A-Fa-f]{1,8}|[0-7]{1,3}|.)", re.S)
_ECHO_ESC = re.compile(r"\\(x[0-9A-Fa-f]{1,2}|u[0-9A-Fa-f]{1,4}|U[0-9A-Fa-f]{1,8}|0[0-7]{0,3}|.)", re.S)
_SIMPLE_ESC = {"a": "\a", "b": "\b", "e": "\x1b", "E": "\x1b", "f": "\f", "n": "\n", "r": "\r", "t": "\t",
               "v": "\v", "\\": "\\", "'": "'", '"': '"', "?": "?"}
_ECHO_SIMPLE = {k: v for k, v in _SIMPLE_ESC.items() if k not in "'\"?"}
_HEREDOC_DYN = re.compile(r"(?<!\\)(\$[A-Za-z_{(\[0-9@*#?$!-]|`)")
_HEREDOC_ESC = re.compile(r"\\([$`\\])|\\\n")
_BACKTICKS = re.compile(r"(?<!\\)`((?:[^`\\]|\\.)*)`", re.S)
_BACKTICK_ESC = re.compile(r"\\([$`\\])")
_ASSIGNMENT = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*\+?=")
_KEYWORD_PREFIX = re.compile(rb"(?<![\w./-])(coproc|time)(?![\w./-])")
_COPROC_NAME = re.compile(rb"\s+([A-Za-z_][A-Za-z0-9_]*)(?=\s*[{(])")
_TIME_GROUP = re.compile(rb"(\s+-p)?\s*(?=[{(])")
_IFS_WS = re.compile(r"[ \t\n]")
# Literal assignments are substituted only while nothing can have changed them behind the parser's back.
# Seen anywhere in a source (arithmetic and `[[ ]]` can assign, `${x:=..}`, array subscripts, IFS):
_VAR_HAZARDS = re.compile(rb"IFS|\(\(|\$\[|\[\[|\$\{[^}]*=|\]\+?=|\$\{[#!]?\w*\[")
# These run code or change how later assignments and expansions behave: no substitution after them.
_VAR_POISON = frozenset({"eval", "source", ".", "trap", "declare", "typeset", "local", "enable", "shopt",
                         "alias", "exec"})
# These may change a variable's value: forget what is known.
_VAR_MUTATORS = frozenset({"read", "mapfile", "readarray", "printf", "let", "unset", "export", "readonly",
                           "getopts", "wait", "cd", "pushd", "popd", "set", "shift", "coproc", "builtin",
                           "command"})
_VAR_SPECIAL = frozenset({"_", "RANDOM", "SRANDOM", "SECONDS", "LINENO", "EPOCHSECONDS", "EPOCHREALTIME",
                          "PWD", "OLDPWD", "REPLY", "OPTARG", "OPTIND", "HISTCMD", "PPID", "UID", "EUID",
                          "GROUPS", "FUNCNAME", "PIPESTATUS", "MAPFILE", "COLUMNS", "LINES", "SHELLOPTS"})
_STDIN_PATHS = frozenset({"/dev/stdin", "/dev/fd/0", "/proc/self/fd/0", "-"})


def _t(node: Node) -> str:
    raw = node.text
    return raw.decode("utf-8", "replace") if raw else ""


def _ansi_decode(body: str) -> str:
    def one(m: re.Match[str]) -> str:
        s = m.group(1)
        c = s[0]
        if c in "xuU" and len(s) > 1:
            try:
                return chr(int(s[1:], 16))
            except (ValueError, OverflowError):
                return m.group(0)
        if c.isdigit():
            return chr(int(s, 8))
        if c == "c" and len(s) > 1:
            return chr(ord(s[1]) & 0x1F)
        return _SIMPLE_ESC.get(c, m.group(0))

    return _ANSI_ESC.sub(one, body)


@dataclass(slots=True)
class _Word:
    value: str  # best effort after quote removal; expansions kept as written
    raw: str  # source text
    dynamic: bool  # contains an expansion
    glob: bool = False  # unquoted glob or brace expansion
    start: int = -1
    end: int = -1
    node: Node | None = None

    @property
    def argv(self) -> str:
        return self.raw if self.dynamic else self.value


_Env = dict[str, str]


def _eval(node: Node, env: _Env | None = None) -> tuple[str, bool, bool]:
    """(value, dynamic, glob) of a word node; `$name` / `${name}` known in env are substituted."""
    t = node.type
    if t == "word":
        raw = _t(node)
        value = _WORD_ESC.sub(lambda m: "" if m.group(1) == "\n" else m.group(1), raw) if "\\" in raw else raw
        return value, False, bool(_GLOB.search(raw))
    if t == "raw_string":
        return _t(node)[1:-1], False, False
    if t == "string":
        return _dq(node, env)
    if t == "ansi_c_string":
        return _ansi_decode(_t(node)[2:-1]), False, False
    if t == "concatenation":
        parts: list[str] = []
        dyn = glob = False
        brace: list[str] | None = None  # unquoted `{a,b}` / `{1..3}`: brace expansion
        for c in node.children:
            v, d, g = _eval(c, env)
            parts.append(v)
            dyn |= d
            glob |= g
            if c.type == "word" and v == "{":
                brace = []
            elif c.type == "word" and v == "}" and brace is not None:
                inner = "".join(brace)
                glob |= "," in inner or ".." in inner
                brace = None
            elif brace is not None:
                brace.append(v if c.type == "word" else "")
        return "".join(parts), dyn, glob
    if t == "number":
        return _t(node), False, False
    if t in _EXPANSIONS:
        if env:  # unquoted: only a value that word splitting leaves whole
            known = _lookup(node, env)
            if known and not _IFS_WS.search(known):
                return known, False, bool(_GLOB.search(known))
        return _t(node), True, False
    if t in ("brace_expression", "extglob_pattern"):
        return _t(node), False, True
    if t == "translated_string":
        return _dq(node, env)
    return _t(node), True, False  # unknown shape: treat as computed


def _lookup(node: Node, env: _Env) -> str | None:
    """The known value of a plain `$name` / `${name}`, else None."""
    t = node.type
    if t == "simple_expansion" or (t == "expansion" and node.child_count == 3):
        name = node.children[1] if t == "expansion" else node.named_children[0] if node.named_child_count else None
        if name is not None and name.type == "variable_name":
            return env.get(_t(name))
    return None


def _dq(node: Node, env: _Env | None = None) -> tuple[str, bool, bool]:
    raw = node.text or b""
    base = node.start_byte
    pos = raw.find(b'"') + 1
    end = len(raw) - 1 if len(raw) > pos and raw.endswith(b'"') else len(raw)
    out: list[str] = []
    dyn = False

    def lit(b: bytes) -> str:
        return _DQ_ESC.sub(lambda m: "" if m.group(1) == "\n" else m.group(1), b.decode("utf-8", "replace"))

    for c in node.named_children:
        s, e = c.start_byte - base, c.end_byte - base
        if s > pos:
            out.append(lit(raw[pos:s]))
        if c.type == "string_content":
            out.append(lit(raw[s:e]))
        elif env and (known := _lookup(c, env)) is not None:
            out.append(known)
        else:
            out.append(raw[s:e].decode("utf-8", "replace"))
            dyn = True
        pos = max(pos, e)
    if end > pos:
        out.append(lit(raw[pos:end]))
    return "".join(out), dyn, False


def _word(node: Node, env: _Env | None = None) -> _Word:
    value, dyn, glob = _eval(node, env)
    return _Word(value, _t(node), dyn, glob, node.start_byte, node.end_byte, node)


def _program(w: _Word) -> str:
    v = w.value
    base = v.rsplit("/", 1)[-1] or v
    if w.dynamic and any(ch in base for ch in "$`(){}"):
        return w.raw
    return base


_BRACE_LIMIT = 256
_SEQUENCE = re.compile(r"^(-?\d+|[A-Za-z])\.\.(-?\d+|[A-Za-z])(?:\.\.(-?\d+))?$")
_Tok = tuple[str, bool]  # (character, is an unquoted brace metacharacter)


def _brace_words(w: _Word, env: _Env | None = None) -> list[_Word]:
    """Brace-expand one word (bash does it before anything else); the word itself when it has no
    brace expansion, is computed, or would expand to more than _BRACE_LIMIT words."""
    if w.dynamic or w.node is None or w.node.type not in ("concatenation", "brace_expression"):
        return [w]
    toks: list[_Tok] = []
    for c in (w.node.children if w.node.type == "concatenation" else [w.node]):
        if c.type in ("word", "brace_expression"):
            raw = _t(c)
            i = 0
            while i < len(raw):
                if raw[i] == "\\" and i + 1 < len(raw):
                    toks.append((raw[i + 1], False))
                    i += 2
                    continue
                toks.append((raw[i], raw[i] in "{,}"))
                i += 1
        else:
            toks.extend((ch, False) for ch in _eval(c, env)[0])
    alternatives = _brace_expand(toks)
    if alternatives is None or alternatives == [w.value]:
        return [w]
    return [_Word(v, w.raw, False, bool(_GLOB.search(v)), w.start, w.end) for v in alternatives]


def _brace_expand(toks: list[_Tok]) -> list[str] | None:
    out: list[str] = []
    stack = [toks]
    while stack:
        t = stack.pop()
        found = _first_brace(t)
        if found is None:
            out.append("".join(ch for ch, _ in t))
            if len(out) > _BRACE_LIMIT:
                return None
            continue
        if not found:
            return None  # too many
        i, j, alternatives = found
        stack.extend(t[:i] + alt + t[j + 1:] for alt in reversed(alternatives))
        if len(stack) > _BRACE_LIMIT:
            return None
    return out


def _first_brace(t: list[_Tok]) -> tuple[int, int, list[list[_Tok]]] | tuple[()] | None:
    """The first expandable `{..}` in t: (start, end, alternatives); () when it expands too far."""
    for i, (ch, special) in enumerate(t):
        if not (special and ch == "{"):
            continue
        depth, commas, j = 0, [], i
        for j in range(i, len(t)):
            c, sp = t[j]
            if sp and c == "{":
                depth += 1
            elif sp and c == "}":
                depth -= 1
                if depth == 0:
                    break
            elif sp and c == "," and depth == 1:
                commas.append(j)
        else:
            continue
        if commas:
            bounds = [i, *commas, j]
            return i, j, [t[a + 1:b] for a, b in pairwise(bounds)]
        m = _SEQUENCE.match("".join(c for c, _ in t[i + 1:j]))
        if m:
            values = _sequence(m.group(1), m.group(2), m.group(3))
            if values is None:
                return ()
            return i, j, [[(c, False) for c in v] for v in values]
    return None


def _sequence(a: str, b: str, step_s: str | None) -> list[str] | None:
    step = abs(int(step_s)) if step_s and int(step_s) else 1
    if a.lstrip("-").isdigit() and b.lstrip("-").isdigit():
        x, y = int(a), int(b)
        if abs(y - x) // step >= _BRACE_LIMIT:
            return None
        width = max(len(a), len(b)) if (a.lstrip("-").startswith("0") and len(a.lstrip("-")) > 1) or \
            (b.lstrip("-").startswith("0") and len(b.lstrip("-")) > 1) else 0
        rng = range(x, y + 1, step) if x <= y else range(x, y - 1, -step)
        return [str(n).zfill(width) if width else str(n) for n in rng]
    if a.isalpha() and b.isalpha() and len(a) == len(b) == 1:
        x, y = ord(a), ord(b)
        rng = range(x, y + 1, step) if x <= y else range(x, y - 1, -step)
        return [chr(n) for n in rng]
    return None


# --------------------------------------------------------------------------- analysis state


@dataclass(frozen=True, slots=True)
class _Stdin:
    present: bool = False  # something other than the caller's own stdin is connected
    text: str | None = None  # best-effort content, when it can be read off the command
    exact: bool = False  # `text` is exactly what arrives
    heredoc: bool = False  # it came from a here-doc / here-string
    pipe_from: tuple[str, ...] = ()


_NO_STDIN = _Stdin()
_Lit = tuple[str, bool, bool]  # (text, exact, from_heredoc) written on stdout


@dataclass(frozen=True, slots=True)
class _Ctx:
    src: bytes
    coprocs: dict[int, tuple[str, ...]] = field(default_factory=dict)
    wrappers: tuple[str, ...] = ()
    stdin: _Stdin = _NO_STDIN
    level: int = 0  # bumped inside substitutions and function bodies (their stdout is not the stage's)
    background: bool = False
    func: str | None = None
    placeholders: frozenset[str] = frozenset()


class _Attached:
    """A statement and the redirections that apply to it (`body` is the redirected_statement itself
    when there are redirections and no command)."""

    __slots__ = ("body", "redirects")

    def __init__(self, body: Node, redirects: tuple[Node, ...]) -> None:
        self.body = body
        self.redirects = redirects

    @property
    def start_byte(self) -> int:
        return self.body.start_byte


_Item = Union["Node", str, _Attached]  # Node exists only for type checkers


class _Analyser:
    def __init__(self) -> None:
        self.segs: list[tuple[Segment, int]] = []
        self.problems: dict[str, None] = {}
        self.functions: set[str] = set()
        self.calls: dict[str, set[str]] = {}
        self.func_producers: dict[str, tuple[str, ...]] = {}
        self.env: _Env = {}  # literal assignments known in the statement list being walked
        self.poisoned = False  # something seen can change variables unseen: substitute nothing more

    def problem(self, code: str) -> None:
        self.problems.setdefault(code, None)

    def add(self, seg: Segment, ctx: _Ctx) -> None:
        self.segs.append((seg, ctx.level))
        if ctx.func is not None:
            self.calls.setdefault(ctx.func, set()).add(seg.program)

    # ----------------------------------------------------------------- sources

    def text(self, text: str, ctx: _Ctx) -> None:
        src = text.encode("utf-8", "surrogatepass")
        root = _parser().parse(src).root_node
        coprocs: dict[int, tuple[str, ...]] = {}
        if _KEYWORD_PREFIX.search(src):
            src2, coprocs = _blank_keywords(root, src)
            if coprocs:
                src = src2
                root = _parser().parse(src).root_node
        if root.has_error and not _known_errors_only(root):
            self.problem("parse_error")
            self.poisoned = True  # statement boundaries are not known: no variable is certain
        elif not self.poisoned and b"=" in src and _VAR_HAZARDS.search(src):
            self.poisoned = True
        self.body(root, replace(ctx, src=src, coprocs=coprocs))

    # ----------------------------------------------------------------- statements

    def body(self, node: Node, ctx: _Ctx) -> None:
        self.seq(_flatten(node.children), ctx)

    def seq(self, items: list[_Item], ctx: _Ctx) -> None:
        groups: list[tuple[list[_Item], bool]] = []
        cur: list[_Item] = []
        prev_operand = False
        for it in items:
            if isinstance(it, str):
                if it in ("|", "|&", "&&", "||"):
                    cur.append(it)
                else:
                    if cur:
                        groups.append((cur, it == "&"))
                        cur = []
                prev_operand = False
            else:
                if prev_operand and cur:
                    groups.append((cur, False))
                    cur = []
                cur.append(it)
                prev_operand = True
        if cur:
            groups.append((cur, False))
        track = not self.poisoned and b"=" in ctx.src  # no `=` in the source: no assignment to track
        saved = self.env
        if saved or track:
            self.env = {}  # a new statement list: nothing known yet
        try:
            for group, bg in groups:
                c = replace(ctx, background=True) if bg and not ctx.background else ctx
                before = dict(self.env) if bg and track else None  # `a=1 &` runs in a subshell
                certain = not bg  # the first pipeline of an and-or list always runs
                stages: list[Node | _Attached] = []
                for it in group:
                    if isinstance(it, str):
                        if it in ("&&", "||") and stages:
                            if track:
                                self.statement(stages, c, certain)
                            else:
                                self.pipeline(stages, c)
                            certain = False
                            stages = []
                    else:
                        stages.append(it)
                if stages:
                    if track:
                        self.statement(stages, c, certain)
                    else:
                        self.pipeline(stages, c)
                if before is not None:
                    self.env = before
        finally:
            self.env = saved

    def statement(self, stages: list[Node | _Attached], ctx: _Ctx, certain: bool) -> None:
        """One pipeline of a statement list, keeping track of the literal assignments it makes."""
        first = stages[0]
        if len(stages) == 1 and not isinstance(first, _Attached) and \
                first.type in ("variable_assignment", "variable_assignments"):
            self.pipeline(stages, ctx)
            self.assign(first, certain)
            return
        n0 = len(self.segs)
        self.pipeline(stages, ctx)
        if self.poisoned:
            return
        segs = self.segs
        for k in range(n0, len(segs)):
            seg = segs[k][0]
            prog = seg.program
            if prog in _VAR_POISON or 0 in seg.dynamic_args or (seg.wrappers and
                                                              not _VAR_POISON.isdisjoint(seg.wrappers)):
                self.poisoned = True
                return
            if prog in _VAR_MUTATORS or prog in self.functions:
                self.env.clear()
        if not self.env:
            return
        for st in stages:
            body = st.body if isinstance(st, _Attached) else st
            if body.type == "command":
                for c in body.children:  # `a=1 cmd`: for cmd only, but keep nothing certain about a
                    if c.type == "variable_assignment":
                        name = c.child_by_field_name("name")
                        self.env.pop(_t(name) if name is not None else "", None)
            elif not (body.type == "test_command" and body.child_count and body.children[0].type == "["):
                self.env.clear()  # a compound command, subshell, declaration, ...: forget everything
                return

    def assign(self, node: Node, certain: bool) -> None:
        """Record `name=literal` (a value with no expansion, or only known ones)."""
        items = [node] if node.type == "variable_assignment" else \
            [c for c in node.named_children if c.type == "variable_assignment"]
        for a in items:
            name_node = a.child_by_field_name("name")
            if name_node is None or name_node.type != "variable_name":
                continue  # `a[i]=..`: _VAR_HAZARDS
            name = _t(name_node)
            value = a.child_by_field_name("value")
            if value is not None:
                v, dyn, _ = _eval(value, self.env if self.env and not self.poisoned else None)
            else:
                v, dyn = "", False
            append = any(c.type == "+=" for c in a.children)
            if append and name in self.env:
                v = self.env[name] + v
            if not certain or self.poisoned or dyn or (append and name not in self.env) or \
                    name in _VAR_SPECIAL or name.startswith("BASH"):
                self.env.pop(name, None)
            else:
                self.env[name] = v

    def pipeline(self, stages: list[Node | _Attached], ctx: _Ctx) -> None:
        stdin = ctx.stdin
        last = len(stages) - 1
        for i, st in enumerate(stages):
            c = ctx if stdin is ctx.stdin else replace(ctx, stdin=stdin)
            if ctx.coprocs and st.start_byte in ctx.coprocs:
                c = self.coproc(ctx.coprocs.pop(st.start_byte), c)
            n0 = len(self.segs)
            lit, chain = self.attached(st, c) if isinstance(st, _Attached) else self.node(st, c)
            if i < last:
                producers = self.producers(n0, ctx.level)
                text, exact, heredoc = lit if lit is not None else (None, False, False)
                stdin = _Stdin(True, text, exact, heredoc, _dedupe(producers + chain))

    def coproc(self, argv: tuple[str, ...], ctx: _Ctx) -> _Ctx:
        text = " ".join(argv)
        seg = Segment(argv[0], argv, frozenset(), (), ctx.wrappers, ctx.stdin.pipe_from, None, True, text)
        self.add(seg, ctx)
        if len(ctx.wrappers) >= MAX_WRAPPERS:
            self.problem("too_deep")
        return replace(ctx, wrappers=(*ctx.wrappers, argv[0]), background=True)

    def producers(self, n0: int, level: int) -> tuple[str, ...]:
        out: list[str] = []
        for seg, lvl in reversed(self.segs[n0:]):
            if lvl == level:
                out.append(seg.program)
                out.extend(self.func_producers.get(seg.program, ()))
        return tuple(out)

    def node(self, node: Node, ctx: _Ctx) -> tuple[_Lit | None, tuple[str, ...]]:
        """Walk one statement; returns (literal stdout if known, the pipe chain feeding its stdin)."""
        t = node.type
        if t == "command":
            return self.command(node, ctx, ())
        if t in _BODIES:
            self.body(node, ctx)
        elif t in ("list", "pipeline", "redirected_statement"):
            self.seq(_flatten([node]), ctx)
        elif t == "function_definition":
            self.function(node, ctx)
        elif t in ("declaration_command", "unset_command"):
            self.declaration(node, ctx)
        elif t == "test_command" and node.child_count > 1 and node.children[0].type == "[":
            self.bracket_test(node, ctx)
        elif t != "comment":  # `[[ ]]`, `(( ))`, bare assignments: only their substitutions run
            self.expansions(node, ctx)
        return None, ctx.stdin.pipe_from

    def attached(self, item: _Attached, ctx: _Ctx) -> tuple[_Lit | None, tuple[str, ...]]:
        """A statement with redirections (`cmd > f`, `{ ..; } < f`, or redirections alone)."""
        body, redirs = item.body, item.redirects
        if body.type == "command":
            return self.command(body, ctx, redirs)
        if body.type == "redirected_statement":  # redirections alone: `> /dev/sda`
            return self.command(body, ctx, ())
        tasks: list[tuple[Node | str, _Stdin | None]] = []
        redirects, stdin = self.redirects(redirs, ctx, ctx.stdin, "", tasks)
        self.run_tasks(tasks, ctx)
        inner = replace(ctx, stdin=stdin)
        n0 = len(self.segs)
        self.node(body, inner)
        if redirects:  # `{ a; b; } > f`: the group's redirections apply to every command in it
            for k in range(n0, len(self.segs)):
                seg, lvl = self.segs[k]
                if lvl == ctx.level:
                    self.segs[k] = (replace(seg, redirects=seg.redirects + redirects), lvl)
        return None, stdin.pipe_from

    def bracket_test(self, node: Node, ctx: _Ctx) -> None:
        """`[ expr ]` is the `[` command (the grammar parses it like `[[ ]]`): re-read as `test expr`."""
        first, last = node.children[0], node.children[-1]
        inner = ctx.src[first.end_byte:last.start_byte if last.type == "]" else node.end_byte]
        src = b"test" + inner
        cmd = _parser().parse(src).root_node.named_children
        if not cmd or cmd[0].type != "command":
            self.expansions(node, ctx)
            return
        n0 = len(self.segs)
        self.command(cmd[0], replace(ctx, src=src, coprocs={}), ())
        if len(self.segs) > n0 and self.segs[n0][0].program == "test":
            seg, lvl = self.segs[n0]
            argv = ("[", *seg.argv[1:], "]") if last.type == "]" else ("[", *seg.argv[1:])
            self.segs[n0] = (replace(seg, program="[", argv=argv, text=_t(node)), lvl)

    def function(self, node: Node, ctx: _Ctx) -> None:
        name_node = node.child_by_field_name("name")
        name = _t(name_node) if name_node is not None else ""
        self.functions.add(name)
        self.calls.setdefault(name, set())
        inner = replace(ctx, func=name, level=ctx.level + 1, stdin=_NO_STDIN, background=False)
        n0 = len(self.segs)
        for c in node.children:
            if c.is_named and c != name_node:
                self.node(c, inner)
        self.func_producers[name] = self.producers(n0, ctx.level + 1)

    def declaration(self, node: Node, ctx: _Ctx) -> None:
        words: list[_Word] = []
        for c in node.children:
            if not c.is_named:
                if not words:
                    words.append(_Word(c.type, c.type, False, False, c.start_byte, c.end_byte))
                continue
            if c.type == "variable_assignment":
                raw = _t(c)
                value = c.child_by_field_name("value")
                name_end = (value.start_byte if value is not None else c.end_byte) - c.start_byte
                head = (c.text or b"")[:name_end].decode("utf-8", "replace")
                v, d, _ = _eval(value) if value is not None else ("", False, False)
                words.append(_Word(head + v, raw, d, False, c.start_byte, c.end_byte))
            elif c.type == "variable_name":
                words.append(_Word(_t(c), _t(c), False, False, c.start_byte, c.end_byte))
            else:
                words.append(_word(c))
        if words:
            seg = self.segment(words, ctx, (), ctx.stdin, _t(node))
            self.add(seg, ctx)
        self.expansions(node, ctx)

    # ----------------------------------------------------------------- expansions

    def expansions(self, node: Node, ctx: _Ctx, proc_stdin: _Stdin | None = None) -> None:
        stack = [node]
        while stack:
            n = stack.pop()
            t = n.type
            if t == "command_substitution":
                self.substitution(n, ctx)
            elif t == "process_substitution":
                out = proc_stdin is not None and n.child_count > 0 and n.children[0].type == ">("
                inner = replace(ctx, level=ctx.level + 1,
                                stdin=proc_stdin if out and proc_stdin is not None else ctx.stdin)
                self.body(n, inner)
            elif t == "ansi_c_string":
                self.problem("ansi_c_quoting")
            elif t in _STATEMENTS and n is not node:
                self.node(n, ctx)
            elif n.child_count:
                stack.extend(reversed(n.children))

    def run_tasks(self, tasks: list[tuple[Node | str, _Stdin | None]], ctx: _Ctx) -> None:
        """Walk the words of a command once its segment exists (a str is backtick text to parse)."""
        for item, proc in tasks:
            if isinstance(item, str):
                self.text(item, replace(ctx, level=ctx.level + 1))
            else:
                self.expansions(item, ctx, proc)

    def substitution(self, node: Node, ctx: _Ctx) -> None:
        inner = replace(ctx, level=ctx.level + 1)
        raw = _t(node)
        if raw.startswith("`") and "\\" in raw:  # bash unescapes \` \$ \\ before parsing backticks
            self.text(_BACKTICK_ESC.sub(r"\1", raw[1:-1] if raw.endswith("`") else raw[1:]), inner)
        else:
            self.body(node, inner)

    # ----------------------------------------------------------------- simple commands

    def command(self, node: Node, ctx: _Ctx, outer: Sequence[Node]) -> tuple[_Lit | None, tuple[str, ...]]:
        src = ctx.src
        env = self.env if self.env and not self.poisoned else None
        words: list[_Word] = []
        expand: list[Node] = []
        redir_nodes: list[Node] = []
        stmts: list[Node] = []
        children = node.children
        k, n = 0, len(children)
        while k < n:
            c = children[k]
            t = c.type
            k += 1
            if t == "command_name":
                inner = c.named_children
                if inner and inner[0].is_missing:  # `FOO=1 > f`: the grammar wants a command name
                    continue
                w = _word(inner[0]) if inner else _word(c)  # `$a -rf /` stays a computed program name
                expand.append(c)
            elif t.endswith("_redirect"):
                redir_nodes.append(c)
                continue
            elif t in ("variable_assignment", "variable_assignments"):
                expand.append(c)
                continue
            elif not c.is_named:
                if t != "$":
                    continue
                nxt = children[k] if k < n else None
                if nxt is not None and nxt.type == "string" and nxt.start_byte == c.end_byte:  # $"..."
                    v, d, g = _eval(nxt, env)
                    w = _Word(v, _t(c) + _t(nxt), d, g, c.start_byte, nxt.end_byte)
                    expand.append(nxt)
                    k += 1
                else:
                    w = _Word("$", "$", False, False, c.start_byte, c.end_byte)
            elif t in _STATEMENTS:
                stmts.append(c)
                continue
            else:
                w = _word(c, env)
                expand.append(c)
            if words and src[words[-1].end:w.start] == b"\\\n":  # `r\<newline>m` is one word to bash
                p = words[-1]
                words[-1] = _Word(p.value + w.value, p.raw + "\\\n" + w.raw, p.dynamic or w.dynamic,
                                  p.glob or w.glob, p.start, w.end)
            else:
                words.append(w)
        if words and any(w.glob for w in words):  # `/etc/shado{w,}` is `/etc/shadow /etc/shado` to bash
            glob_program = words[0].glob
            words = [x for w in words for x in _brace_words(w, env)]
            words[0].glob = words[0].glob or glob_program
        redir_nodes.extend(outer)
        fds: dict[int, str] = {}
        if words and redir_nodes:  # the grammar reads the `0` of `cmd 0<file` as an argument
            starts = {r.start_byte: r.start_byte for r in redir_nodes}
            for r in redir_nodes:
                err = _rw_error_before(r)
                if err is not None:
                    starts[err.start_byte] = r.start_byte
            for w in [w for w in words[1:] if w.end in starts and w.raw.isdigit()]:
                fds[starts[w.end]] = w.raw
                words.remove(w)
        program = _program(words[0]) if words else ""
        tasks: list[tuple[Node | str, _Stdin | None]] = []
        redirects, stdin = self.redirects(redir_nodes, ctx, ctx.stdin, program, tasks, fds)
        proc_stdin = _Stdin(True, None, False, False, _dedupe((program, *stdin.pipe_from)))
        tasks[:0] = [(e, proc_stdin) for e in expand]  # words first, then redirections, in source order

        if words:
            end = node.end_byte
            for r in outer:
                if r.type == "heredoc_redirect":
                    start_node = next((x for x in r.children if x.type == "heredoc_start"), r)
                    end = max(end, start_node.end_byte)
                else:
                    end = max(end, r.end_byte)
            text = src[node.start_byte:end].decode("utf-8", "replace")
            seg = self.segment(words, ctx, redirects, stdin, text)
            self.add(seg, ctx)
        elif redirects:
            text = src[node.start_byte:node.end_byte].decode("utf-8", "replace")
            seg = Segment("", (), frozenset(), redirects, ctx.wrappers, stdin.pipe_from,
                          _stdin_literal(stdin), ctx.background, text)
            self.add(seg, ctx)
        self.run_tasks(tasks, ctx)
        for s in stmts:
            self.node(s, ctx)
        if not words:
            return None, stdin.pipe_from
        if words[0].dynamic or words[0].glob:
            self.problem("dynamic_program")
        else:
            self.unwrap(program, words, ctx, stdin, appended=False)
        return _stdout_literal(program, words, stdin, redirects), stdin.pipe_from

    def segment(self, words: Sequence[_Word], ctx: _Ctx, redirects: tuple[Redirect, ...], stdin: _Stdin,
                text: str) -> Segment:
        argv = tuple(w.argv for w in words)
        dyn = frozenset(i for i, w in enumerate(words) if w.dynamic)
        if ctx.placeholders and any(p in words[0].value for p in ctx.placeholders):
            self.problem("dynamic_payload")  # the program itself comes from xargs / find input
        return Segment(_program(words[0]), argv, dyn, redirects, ctx.wrappers, stdin.pipe_from,
                       _stdin_literal(stdin), ctx.background, text)

    def redirects(self, nodes: Sequence[Node], ctx: _Ctx, stdin: _Stdin, program: str,
                  tasks: list[tuple[Node | str, _Stdin | None]], fds: dict[int, str] | None = None,
                  ) -> tuple[tuple[Redirect, ...], _Stdin]:
        out: list[Redirect] = []
        fds = dict(fds or {})
        proc_stdin = _Stdin(True, None, False, False, _dedupe((program, *stdin.pipe_from))) if program \
            else None
        todo = list(nodes)
        i = 0
        while i < len(todo):
            r = todo[i]
            i += 1
            t = r.type
            fd = fds.get(r.start_byte, "")
            op = ""
            rw_split = False
            dest: Node | None = None
            for c in r.children:
                ct = c.type
                if ct == "file_descriptor":
                    fd = _t(c)
                elif not c.is_named:
                    if not op:
                        op = ct
                    elif rw_split and ct == ">":
                        op, rw_split = "<>", False
                elif ct == "ERROR" and op == "<" and _t(c) == ">":  # `<>` split by the grammar
                    op = "<>"
                elif ct == "ERROR" and not op and _t(c) == "<":  # `N<>f; ..`: split the other way
                    op = "<"
                    rw_split = True
                elif ct == "file_redirect" and t == "heredoc_redirect":
                    todo.insert(i, c)
                elif ct in ("heredoc_start", "heredoc_body", "heredoc_end", "pipeline", "list") or \
                        (t == "heredoc_redirect" and ct in _STATEMENTS):
                    continue
                elif dest is None:
                    dest = c
                elif ct == "number" and any(x.start_byte == c.end_byte for x in todo):
                    fds[c.end_byte] = _t(c)  # `>& f 0>&1`: the grammar gives the next fd to this one
                else:
                    tasks.append((c, proc_stdin))
            if t == "file_redirect" and op == "<" and dest is not None and dest.is_missing and i < len(todo):
                nxt = todo[i]  # `<>` parsed as `<` (missing word) followed by `>word`
                if nxt.type == "file_redirect" and nxt.start_byte == r.end_byte:
                    i += 1
                    op = "<>"
                    dest = next((c for c in nxt.children if c.is_named and c.type != "file_descriptor"), None)
            if t == "file_redirect" and op == ">" and _rw_error_before(r) is not None:
                op = "<>"  # `cmd <>f; ..`: the `<` is an ERROR node just before a `>f` redirection
            is_stdin = fd in ("", "0")
            if t == "heredoc_redirect":
                red, stdin_new = self.heredoc(r, fd + op, ctx, tasks)
                out.append(red)
                if is_stdin:
                    stdin = stdin_new
                continue
            if dest is None:
                continue
            w = _word(dest, self.env if self.env and not self.poisoned else None)
            tasks.append((dest, proc_stdin))
            out.append(Redirect(fd + op, w.argv, w.dynamic))
            if t == "herestring_redirect":
                if is_stdin:
                    stdin = _Stdin(True, w.value + "\n", not w.dynamic, True)
            elif is_stdin and (op in ("<", "<&", "<>") or fd == "0"):  # `0>&1` too: stdin from elsewhere
                if op in ("<&", ">&") and w.value == "0":
                    continue
                if w.value == "/dev/null" or (op == "<&" and w.value == "-"):
                    stdin = _Stdin(True, "", True)
                else:
                    stdin = _Stdin(True)
        return tuple(out), stdin

    def heredoc(self, node: Node, op: str, ctx: _Ctx,
                tasks: list[tuple[Node | str, _Stdin | None]]) -> tuple[Redirect, _Stdin]:
        start = next((c for c in node.children if c.type == "heredoc_start"), None)
        body = next((c for c in node.children if c.type == "heredoc_body"), None)
        delim_raw = _t(start) if start is not None else ""
        quoted = any(ch in delim_raw for ch in "'\"\\")
        delim = re.sub(r"[\"'\\]", "", delim_raw)
        text = _t(body) if body is not None else ""
        if op.endswith("<<-"):
            text = re.sub(r"(?m)^\t+", "", text)
        red = Redirect(op, delim, False)
        if quoted:
            return red, _Stdin(True, text, True, True)
        dynamic = bool(_HEREDOC_DYN.search(text))
        if body is not None and dynamic:
            tasks.append((body, None))
            if "`" in text:  # the grammar leaves backticks in a here-doc body as plain text
                raw = bytearray(body.text or b"")
                for c in body.named_children:
                    if c.type != "heredoc_content":  # already parsed: blank it out
                        s, e = c.start_byte - body.start_byte, c.end_byte - body.start_byte
                        raw[s:e] = b" " * (e - s)
                for m in _BACKTICKS.finditer(raw.decode("utf-8", "replace")):
                    tasks.append((_BACKTICK_ESC.sub(r"\1", m.group(1)), None))
        if not dynamic:
            text = _HEREDOC_ESC.sub(lambda m: m.group(1) or "", text)
        return red, _Stdin(True, text, not dynamic, True)

    # ----------------------------------------------------------------- wrappers

    def unwrap(self, program: str, words: Sequence[_Word], ctx: _Ctx, stdin: _Stdin, *,
               appended: bool) -> None:
        if program in _SHELLS:
            self.shell(program, words[1:], ctx, stdin, appended)
            return
        handler = _HANDLERS.get(program)
        if handler is not None:
            handler(self, program, list(words[1:]), ctx, stdin)

    def argv_payload(self, words: Sequence[_Word], ctx: _Ctx, stdin: _Stdin, label: str, *,
                     placeholders: frozenset[str] = frozenset(), appended: bool = False) -> None:
        if not words:
            return
        if len(ctx.wrappers) >= MAX_WRAPPERS:
            self.problem("too_deep")
            return
        inner = replace(ctx, wrappers=(*ctx.wrappers, label), placeholders=ctx.placeholders | placeholders)
        first, last = words[0], words[-1]
        if 0 <= first.start <= last.end:
            text = ctx.src[first.start:last.end].decode("utf-8", "replace")
        else:
            text = " ".join(w.raw for w in words)
        seg = self.segment(words, inner, (), stdin, text)
        self.add(seg, inner)
        if words[0].dynamic or words[0].glob:
            self.problem("dynamic_program")
        else:
            self.unwrap(seg.program, words, inner, stdin, appended=appended)

    def payload(self, text: str, dynamic: bool, ctx: _Ctx, label: str, stdin: _Stdin, *,
                quoted_placeholders: bool = False) -> None:
        """Parse a wrapper's string payload. A computed one is flagged, then parsed as written (best
        effort, to find the commands it names); its own parse problems are then noise and dropped.
        A find/xargs placeholder inside the string is input spliced into shell code: computed too
        (GNU parallel quotes what it splices, so only its program position counts)."""
        spliced = not quoted_placeholders and any(p in text for p in ctx.placeholders)
        if dynamic or spliced:
            self.problem("dynamic_payload")
        if len(ctx.wrappers) >= MAX_WRAPPERS:
            self.problem("too_deep")
            return
        before = set(self.problems)
        self.text(text, replace(ctx, wrappers=(*ctx.wrappers, label), stdin=stdin))
        if dynamic:
            for code in ("parse_error", "dynamic_program"):
                if code not in before:
                    self.problems.pop(code, None)

    def words_payload(self, words: Sequence[_Word], ctx: _Ctx, label: str, stdin: _Stdin) -> None:
        if words:
            self.payload(" ".join(w.value for w in words), any(w.dynamic for w in words), ctx, label, stdin)

    def read_stdin(self, label: str, ctx: _Ctx, stdin: _Stdin) -> None:
        """A shell (or remote / privileged shell) reading its script from stdin."""
        if not stdin.present:
            return
        if stdin.text is None:
            self.problem("dynamic_payload")
            return
        self.payload(stdin.text, not stdin.exact, ctx, label, _NO_STDIN)

    def shell(self, prog: str, args: Sequence[_Word], ctx: _Ctx, stdin: _Stdin, appended: bool) -> None:
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
                        self.problem("dynamic_payload")  # `bash --rcfile <(curl ..) -i`
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
                self.payload(rest[0].value, rest[0].dynamic, ctx, f"{prog} -c", stdin)
            elif appended:
                self.problem("dynamic_payload")  # `xargs sh -c`: the script is the input
        elif has_s or not rest:
            if appended and not has_s:
                self.problem("dynamic_payload")  # `xargs bash`: script file names from the input
            else:
                self.read_stdin(f"{prog} -s", ctx, stdin)
        else:
            script = rest[0]
            if script.dynamic or (ctx.placeholders and any(p in script.value for p in ctx.placeholders)):
                self.problem("dynamic_payload")  # `bash <(curl ..)`, `bash $f`
            elif script.value in _STDIN_PATHS:
                self.read_stdin(f"{prog} -s", ctx, stdin)


# --------------------------------------------------------------------------- wrapper handlers

_SHELLS = frozenset({"sh", "bash", "zsh", "dash", "ksh", "ash", "mksh", "rbash", "yash", "posh", "fish",
                     "csh", "tcsh"})
_Handler = Callable[[_Analyser, str, list[_Word], _Ctx, _Stdin], None]
_HANDLERS: dict[str, _Handler] = {}


def _handler(*names: str) -> Callable[[_Handler], _Handler]:
    def register(fn: _Handler) -> _Handler:
        for n in names:
            _HANDLERS[n] = fn
        return fn

    return register


def _options(args: Sequence[_Word], short_val: str = "", long_val: frozenset[str] = frozenset(),
             ) -> tuple[int, dict[str, _Word | None]]:
    """Skip leading options (getopt style, stops at the first operand or after `--`).

    Returns the index of the first operand and the options seen, with their values.
    """
    opts: dict[str, _Word | None] = {}
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
                opts[name] = _Word(val, val, w.dynamic)
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
                        opts["-" + ch] = _Word(v[j + 1:], v[j + 1:], w.dynamic)
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


def _fs(*items: str) -> frozenset[str]:
    return frozenset(items)


def _simple_wrapper(short_val: str = "", long_val: frozenset[str] = frozenset(), skip: int = 0,
                    stop_if: frozenset[str] = frozenset()) -> _Handler:
    """`prog [options] [skip operands] CMD...`: CMD is run as an argv."""

    def handle(a: _Analyser, prog: str, args: list[_Word], ctx: _Ctx, stdin: _Stdin) -> None:
        i, opts = _options(args, short_val, long_val)
        if stop_if & opts.keys():
            return
        a.argv_payload(args[i + skip:], ctx, stdin, prog)

    return handle


for _names, _h in (
    (("nohup", "setsid", "unbuffer", "builtin", "chronic", "catchsegv", "torsocks", "tini", "dumb-init",
      "fakeroot", "firejail", "valgrind", "unshare"), _simple_wrapper("", _fs())),
    (("nice",), _simple_wrapper("n", _fs("--adjustment"))),
    (("stdbuf",), _simple_wrapper("ioe", _fs("--input", "--output", "--error"))),
    (("time",), _simple_wrapper("fo", _fs("--format", "--output"))),
    (("exec",), _simple_wrapper("a")),
    (("timeout",), _simple_wrapper("ks", _fs("--kill-after", "--signal"), skip=1)),
    (("gosu", "su-exec"), _simple_wrapper("", _fs(), skip=1)),
    (("ionice",), _simple_wrapper("cnpPu", _fs("--class", "--classdata", "--pid", "--pgid", "--uid"),
                                  stop_if=_fs("-p", "-P", "-u", "--pid", "--pgid", "--uid"))),
    (("strace",), _simple_wrapper("abeEIoOpPsSuUX", _fs("--output", "--trace", "--attach", "--signal",
                                                         "--string-limit", "--user", "--env"))),
    (("ltrace",), _simple_wrapper("aADeFlnopsuwx", _fs("--output"))),
    (("pkexec",), _simple_wrapper("", _fs("--user"))),
    (("nsenter",), _simple_wrapper("tSG", _fs("--target", "--setuid", "--setgid"))),
    (("taskset",), _simple_wrapper("", _fs(), skip=1, stop_if=_fs("-p", "--pid"))),
    (("chrt",), _simple_wrapper("T", _fs("--sched-runtime", "--sched-period", "--sched-deadline"), skip=1,
                                stop_if=_fs("-p", "--pid", "-m", "--max"))),
    (("numactl",), _simple_wrapper("iNmCpPb", _fs("--interleave", "--cpunodebind", "--membind",
                                                  "--physcpubind", "--preferred"))),
    (("systemd-run",), _simple_wrapper("pEMHu", _fs("--property", "--setenv", "--machine", "--host",
                                                    "--unit", "--uid", "--gid", "--working-directory"))),
    (("proxychains", "proxychains4"), _simple_wrapper("f")),
    (("sshpass",), _simple_wrapper("pfde")),
    (("command",), _simple_wrapper("", _fs(), stop_if=_fs("-v", "-V"))),
):
    for _n in _names:
        _HANDLERS[_n] = _h


@_handler("eval")
def _eval_handler(a: _Analyser, prog: str, args: list[_Word], ctx: _Ctx, stdin: _Stdin) -> None:
    a.words_payload(args, ctx, "eval", stdin)


@_handler("trap")
def _trap(a: _Analyser, prog: str, args: list[_Word], ctx: _Ctx, stdin: _Stdin) -> None:
    i = 1 if args and args[0].value == "--" else 0
    if len(args) > i + 1 and not args[i].value.startswith("-"):
        a.payload(args[i].value, args[i].dynamic, ctx, "trap", stdin)  # the handler is shell code


@_handler("source", ".")
def _source(a: _Analyser, prog: str, args: list[_Word], ctx: _Ctx, stdin: _Stdin) -> None:
    if not args:
        return
    script = args[0]
    if script.dynamic or (ctx.placeholders and any(p in script.value for p in ctx.placeholders)):
        a.problem("dynamic_payload")  # `source <(curl ..)`
    elif script.value in _STDIN_PATHS:
        a.read_stdin(prog, ctx, stdin)


@_handler("ssh")
def _ssh(a: _Analyser, prog: str, args: list[_Word], ctx: _Ctx, stdin: _Stdin) -> None:
    i, opts = _options(args, "BbcDEeFIiJLlmOoPpQRSWw")
    rest = args[i:]
    if len(rest) > 1:  # OpenSSH also takes options after the destination, and `--`
        j, more = _options(rest[1:], "BbcDEeFIiJLlmOoPpQRSWw")
        opts.update(more)
        rest = rest[:1] + rest[1 + j:]
    if len(rest) > 1:
        a.words_payload(rest[1:], ctx, "ssh", stdin)
    elif rest and not ({"-N", "-W"} & opts.keys()):
        a.read_stdin("ssh", ctx, stdin)  # no command: the remote shell reads its script from stdin


@_handler("find")
def _find(a: _Analyser, prog: str, args: list[_Word], ctx: _Ctx, stdin: _Stdin) -> None:
    i = 0
    while i < len(args):
        flag = args[i].value
        if flag in ("-exec", "-execdir", "-ok", "-okdir") and not args[i].dynamic:
            cmd: list[_Word] = []
            j = i + 1
            while j < len(args):
                v = args[j].value
                if v == ";" or (v == "+" and cmd and cmd[-1].value.endswith("{}")):
                    break
                cmd.append(args[j])
                j += 1
            a.argv_payload(cmd, ctx, stdin, f"find {flag}", placeholders=_fs("{}"))
            i = j + 1
        else:
            i += 1


@_handler("xargs")
def _xargs(a: _Analyser, prog: str, args: list[_Word], ctx: _Ctx, stdin: _Stdin) -> None:
    # -i / -e / -l take an optional value that must be attached; -I/-n/-P/-d/-L/-s/-E/-a take one
    i, opts = _options(args, "InPdLsEa", _fs("--arg-file", "--delimiter", "--max-args", "--max-procs",
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
    cmd = args[i:] or [_Word("echo", "echo", False)]
    items = _xargs_input(opts, stdin)
    if items is not None and placeholders and len(items) <= _XARGS_RUNS:
        for item in items:  # `echo a | xargs -I{} rm {}`: one run per input line, placeholders replaced
            run = [w if w.dynamic else _Word(_replace_all(w.value, placeholders, item), w.raw, False, w.glob)
                   for w in cmd]
            a.argv_payload(run, ctx, stdin, "xargs")
        return
    if items is not None and not placeholders:  # `echo / | xargs rm -rf`: the words it appends are known
        if not args[i:]:
            return  # plain `xargs` echoes its input
        a.argv_payload([*cmd, *(_Word(v, v, False, bool(_GLOB.search(v))) for v in items)], ctx, stdin, "xargs")
        return
    a.argv_payload(args[i:], ctx, stdin, "xargs", placeholders=frozenset(placeholders),
                   appended=not placeholders)


_XARGS_RUNS = 16
_XARGS_WORDS = 1024


def _replace_all(value: str, placeholders: set[str], item: str) -> str:
    for p in placeholders:
        value = value.replace(p, item)
    return value


def _xargs_input(opts: dict[str, _Word | None], stdin: _Stdin) -> list[str] | None:
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
        delim = _escapes(d.value, echo=False)[0] if d.value.startswith("\\") else d.value
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
def _env(a: _Analyser, prog: str, args: list[_Word], ctx: _Ctx, stdin: _Stdin) -> None:
    i, opts = _options(args, "uCS", _fs("--unset", "--chdir", "--split-string"))
    while i < len(args) and not args[i].dynamic and (args[i].value == "-" or
                                                    _ASSIGNMENT.match(args[i].value)):
        i += 1
    split = opts.get("-S") or opts.get("--split-string")
    if split is not None:
        a.words_payload([split, *args[i:]], ctx, "env", stdin)
    else:
        a.argv_payload(args[i:], ctx, stdin, "env")


@_handler("sudo")
def _sudo(a: _Analyser, prog: str, args: list[_Word], ctx: _Ctx, stdin: _Stdin) -> None:
    i, opts = _options(args, "aCcDgpRrTtUu", _fs(
        "--user", "--group", "--close-from", "--chdir", "--prompt", "--chroot", "--role", "--type",
        "--other-user", "--command-timeout", "--auth-type", "--login-class", "--host"))
    if {"-e", "-l", "-v", "-V", "-K", "--edit", "--list", "--validate", "--version",
            "--remove-timestamp", "-h", "--help"} & opts.keys():
        return
    while i < len(args) and not args[i].dynamic and _ASSIGNMENT.match(args[i].value):
        i += 1  # `sudo VAR=value cmd`
    rest = args[i:]
    if {"-s", "-i", "--shell", "--login"} & opts.keys():
        if rest:
            a.words_payload(rest, ctx, "sudo", stdin)  # run through the target user's shell -c
        else:
            a.read_stdin("sudo", ctx, stdin)
    else:
        a.argv_payload(rest, ctx, stdin, "sudo")


@_handler("doas")
def _doas(a: _Analyser, prog: str, args: list[_Word], ctx: _Ctx, stdin: _Stdin) -> None:
    i, opts = _options(args, "aCu")
    if {"-C", "-L"} & opts.keys():
        return
    if "-s" in opts and i >= len(args):
        a.read_stdin("doas", ctx, stdin)
    else:
        a.argv_payload(args[i:], ctx, stdin, "doas")


@_handler("chroot")
def _chroot(a: _Analyser, prog: str, args: list[_Word], ctx: _Ctx, stdin: _Stdin) -> None:
    i, _ = _options(args, "", _fs("--userspec", "--groups"))
    if len(args) > i + 1:
        a.argv_payload(args[i + 1:], ctx, stdin, "chroot")
    elif len(args) == i + 1:
        a.read_stdin("chroot", ctx, stdin)  # no command: an interactive shell


@_handler("watch")
def _watch(a: _Analyser, prog: str, args: list[_Word], ctx: _Ctx, stdin: _Stdin) -> None:
    i, opts = _options(args, "nq", _fs("--interval", "--equexit"))
    if {"-x", "--exec"} & opts.keys():
        a.argv_payload(args[i:], ctx, stdin, "watch")
    else:
        a.words_payload(args[i:], ctx, "watch", stdin)


@_handler("flock")
def _flock(a: _Analyser, prog: str, args: list[_Word], ctx: _Ctx, stdin: _Stdin) -> None:
    i, _ = _options(args, "wE", _fs("--timeout", "--wait", "--conflict-exit-code"))
    rest = args[i + 1:]
    if rest and rest[0].value in ("-c", "--command"):
        if len(rest) > 1:
            a.payload(rest[1].value, rest[1].dynamic, ctx, "flock", stdin)
    else:
        a.argv_payload(rest, ctx, stdin, "flock")


def _su_like(a: _Analyser, prog: str, args: list[_Word], ctx: _Ctx, stdin: _Stdin) -> None:
    """su / runuser: options anywhere (permuted); `-c STR` is a shell string, `runuser -u U CMD` an argv."""
    command: _Word | None = None
    as_user = False
    operands: list[_Word] = []
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
        j, opts = _options([w, *args[i + 1:i + 2]], "cgGswu", _fs(
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


_HANDLERS["su"] = _su_like
_HANDLERS["runuser"] = _su_like


@_handler("sg")
def _sg(a: _Analyser, prog: str, args: list[_Word], ctx: _Ctx, stdin: _Stdin) -> None:
    rest = [w for w in args[1:] if w.value != "-c"] if args else []
    a.words_payload(rest, ctx, "sg", stdin)


@_handler("busybox")
def _busybox(a: _Analyser, prog: str, args: list[_Word], ctx: _Ctx, stdin: _Stdin) -> None:
    if args and not args[0].value.startswith("-"):
        a.argv_payload(args, ctx, stdin, "busybox")


@_handler("script")
def _script(a: _Analyser, prog: str, args: list[_Word], ctx: _Ctx, stdin: _Stdin) -> None:
    _, opts = _options(args, "BcEIOomT", _fs("--command", "--log-io", "--log-in", "--log-out",
                                              "--log-timing", "--echo", "--output-limit", "--logging-format"))
    cmd = opts.get("-c") or opts.get("--command")
    if cmd is not None:
        a.payload(cmd.value, cmd.dynamic, ctx, "script -c", stdin)
    else:
        a.read_stdin("script", ctx, stdin)


@_handler("at", "batch")
def _at(a: _Analyser, prog: str, args: list[_Word], ctx: _Ctx, stdin: _Stdin) -> None:
    """`at TIME` / `batch` read a shell script from stdin; `-f FILE` reads it from a script file."""
    _, opts = _options(args, "qft")
    if {"-l", "-d", "-r", "-c", "-V"} & opts.keys():  # list, remove, print a job; version
        return
    if "-f" in opts:
        script = opts["-f"]
        if script is not None and (script.dynamic or
                                   (ctx.placeholders and any(p in script.value for p in ctx.placeholders))):
            a.problem("dynamic_payload")
        elif script is not None and script.value in _STDIN_PATHS:
            a.read_stdin("at", ctx, stdin)
        return
    a.read_stdin("at", ctx, stdin)


_PARALLEL_SEPARATORS = frozenset({":::", "::::", ":::+", "::::+"})
_PARALLEL_PLACEHOLDERS = _fs("{}", "{.}", "{/}", "{//}", "{/.}", "{#}", "{%}")


@_handler("parallel")
def _parallel(a: _Analyser, prog: str, args: list[_Word], ctx: _Ctx, stdin: _Stdin) -> None:
    i, opts = _options(args, "jPSadEINnLlsX", _fs(
        "--jobs", "--sshlogin", "--arg-file", "--delimiter", "--colsep", "--joblog", "--results", "--workdir",
        "--tmpdir", "--timeout", "--delay", "--retries", "--halt", "--memfree", "--load", "--tagstring",
        "--basefile", "--return", "--transferfile", "--env", "--max-args", "--max-replace-args",
        "--max-lines", "--max-procs", "--eof", "--replace"))
    cmd: list[_Word] = []
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


_KUBECTL_GLOBAL = _fs(
    "-n", "--namespace", "--context", "--kubeconfig", "--cluster", "--user", "-s", "--server", "--token",
    "--as", "--as-group", "--as-uid", "--cache-dir", "--certificate-authority", "--client-certificate",
    "--client-key", "--request-timeout", "--tls-server-name", "-v", "-c", "--container", "-f", "--filename",
    "--pod-running-timeout", "--image", "-l", "--selector")


@_handler("kubectl", "oc")
def _kubectl(a: _Analyser, prog: str, args: list[_Word], ctx: _Ctx, stdin: _Stdin) -> None:
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
def _docker(a: _Analyser, prog: str, args: list[_Word], ctx: _Ctx, stdin: _Stdin) -> None:
    i, _ = _options(args, "Hcl", _fs("--host", "--context", "--config", "--log-level", "--tlscacert",
                                        "--tlscert", "--tlskey"))
    rest = args[i:]
    if rest and rest[0].value == "container":
        rest = rest[1:]
    if not rest or rest[0].value != "exec":
        return
    j, _ = _options(rest[1:], "euw", _fs("--env", "--env-file", "--user", "--workdir", "--detach-keys"))
    a.argv_payload(rest[1 + j + 1:], ctx, stdin, f"{prog} exec")


# --------------------------------------------------------------------------- helpers


def _flatten(nodes: Sequence[Node]) -> list[_Item]:
    """Statements and operators in source order, with nested list/pipeline nodes (and the rest of a
    pipeline that tree-sitter tucks inside a here-doc node) spliced in."""
    out: list[_Item] = []
    stack = list(reversed(nodes))
    while stack:
        n = stack.pop()
        t = n.type
        if not n.is_named:
            out.append(t)
        elif t in ("list", "pipeline"):
            stack.extend(reversed(n.children))
        elif t == "comment":
            continue
        elif t == "redirected_statement":
            body = n.child_by_field_name("body")
            redirs = tuple(c for c in n.children if c.type.endswith("_redirect"))
            if body is not None and body.type in ("list", "pipeline", "redirected_statement"):
                # `a | b > f`, `a && b > f`: the grammar hangs the redirections on the whole
                # list; bash gives them to its last command
                sub = _flatten([body])
                last = max((i for i, x in enumerate(sub) if not isinstance(x, str)), default=-1)
                if last >= 0:
                    x = sub[last]
                    if isinstance(x, _Attached):
                        sub[last] = _Attached(x.body, x.redirects + redirs)
                    elif not isinstance(x, str):
                        sub[last] = _Attached(x, redirs)
                out.extend(sub)
            else:
                out.append(_Attached(body if body is not None else n, redirs))
            trailing: list[Node] = []
            for r in n.children:
                if r.type == "heredoc_redirect":
                    for i, c in enumerate(r.children):
                        if c.type == "pipeline" or r.field_name_for_child(i) in ("operator", "right"):
                            trailing.append(c)
            stack.extend(reversed(trailing))
        else:
            out.append(n)
    return out


def _known_errors_only(root: Node) -> bool:
    """True when every syntax error is one of the grammar's own gaps: `<>` (read-write redirection)
    and redirections with assignments but no command (`FOO=1 > f`)."""
    stack = [root]
    while stack:
        n = stack.pop()
        if n.is_missing:
            p = n.parent
            if p is not None and p.type == "command_name" and p.parent is not None and \
                    any(c.type.endswith("_redirect") for c in p.parent.children):
                continue  # `FOO=1 > f`: redirections with no command are fine in bash
            if p is None or p.type != "file_redirect" or not _is_rw_split(p):
                return False
            continue
        if n.is_error:
            p = n.parent
            prev, nxt = n.prev_sibling, n.next_sibling
            text = _t(n)
            if p is not None and p.type == "file_redirect" and text == ">" and prev is not None \
                    and prev.type == "<" and prev.end_byte == n.start_byte:
                continue  # `<>` read as `<` and an ERROR `>`
            if p is not None and p.type == "file_redirect" and text == "<" and nxt is not None \
                    and nxt.type == ">" and nxt.start_byte == n.end_byte:
                continue  # `N<>f; ..` read as an ERROR `<` and `>`
            if text == "<" and nxt is not None and _rw_error_before(nxt) == n:
                continue  # `cmd <>f; ..` read as an ERROR `<` before a `>f` redirection
            return False
        if n.has_error:
            stack.extend(n.children)
    return True


def _is_rw_split(redirect: Node) -> bool:
    nxt = redirect.next_sibling
    return (any(c.type == "<" for c in redirect.children) and nxt is not None and nxt.type == "file_redirect"
            and nxt.start_byte == redirect.end_byte and any(c.type == ">" for c in nxt.children)
            and not any(c.type == "file_descriptor" for c in nxt.children))


def _rw_error_before(redirect: Node) -> Node | None:
    """The ERROR `<` just before a `>f` redirection with no fd (`cmd <>f; ..`, as the grammar splits it)."""
    if redirect.type != "file_redirect":
        return None
    prev = redirect.prev_sibling
    if prev is None or not prev.is_error or prev.end_byte != redirect.start_byte or prev.text != b"<":
        return None
    first = redirect.children[0] if redirect.child_count else None
    if first is None or first.type != ">":
        return None
    return prev


def _blank_keywords(root: Node, src: bytes) -> tuple[bytes, dict[int, tuple[str, ...]]]:
    """Blank `coproc [NAME]` and `time [-p]` before a group (keywords tree-sitter-bash does not know)."""
    found: dict[int, tuple[str, ...]] = {}
    buf = bytearray(src)
    stack = [root]
    while stack:
        n = stack.pop()
        if n.type == "command":
            name = n.child_by_field_name("name")
            word = name.named_children[0] if name is not None and name.named_child_count else None
            if word is not None and word.type == "word" and word.text in (b"coproc", b"time"):
                kw = word.text.decode()
                end = word.end_byte
                argv: tuple[str, ...] = (kw,)
                if kw == "coproc":
                    m = _COPROC_NAME.match(src, end)
                    if m:
                        argv, end = (kw, m.group(1).decode()), m.end()
                else:
                    m = _TIME_GROUP.match(src, end)
                    if m is None:
                        stack.extend(n.children)
                        continue
                    if m.group(1):
                        argv, end = (kw, "-p"), m.end(1)
                start = word.start_byte
                buf[start:end] = b" " * (end - start)
                found[len(src) - len(src[end:].lstrip())] = argv
        stack.extend(n.children)
    return bytes(buf), found


def _dedupe(items: tuple[str, ...]) -> tuple[str, ...]:
    return tuple(dict.fromkeys(items))


def _stdin_literal(stdin: _Stdin) -> str | None:
    return stdin.text if stdin.exact and stdin.heredoc else None


def _echo_e(s: str) -> str:
    """`echo -e` / `printf %b` escapes: `\\0NNN` octal, `\\xHH`, `\\uHHHH`, `\\UHHHHHHHH`; `\\c` ends the output."""
    return _escapes(s, echo=True)[0]


def _escapes(s: str, *, echo: bool) -> tuple[str, bool]:
    """Decode backslash escapes in one pass, as printf's format (`\\NNN` octal) or `echo -e`
    (`\\0NNN`); whole `\\xHH` / `\\uHHHH` / `\\UHHHHHHHH` escapes. Returns (text, stopped by `\\c`)."""
    if "\\" not in s:
        return s, False
    out: list[str] = []
    pos = 0
    for m in (_ECHO_ESC if echo else _PRINTF_ESC).finditer(s):
        out.append(s[pos:m.start()])
        pos = m.end()
        e = m.group(1)
        c = e[0]
        if c == "c" and echo:
            return "".join(out), True
        if c in "xuU" and len(e) > 1:
            try:
                out.append(chr(int(e[1:], 16)))
            except (ValueError, OverflowError):
                out.append(m.group(0))
        elif c.isdigit() and (c == "0" or not echo):
            out.append(chr(int(e, 8) & 0xFF))
        else:
            out.append((_ECHO_SIMPLE if echo else _SIMPLE_ESC).get(c, m.group(0)))
    out.append(s[pos:])
    return "".join(out), False


def _printf(fmt: str, args: list[str]) -> str | None:
    out: list[str] = []
    ai = 0
    for _ in range(64):
        used = 0
        i = 0
        while i < len(fmt):
            ch = fmt[i]
            nx = fmt[i + 1] if i + 1 < len(fmt) else ""
            if ch == "\\" and nx:
                m = _PRINTF_ESC.match(fmt, i)
                end = m.end() if m else i + 2
                out.append(_escapes(fmt[i:end], echo=False)[0])
                i = end
            elif ch == "%":
                if nx == "%":
                    out.append("%")
                elif nx in ("s", "b"):
                    arg = args[ai] if ai < len(args) else ""
                    text, stop = _escapes(arg, echo=True) if nx == "b" else (arg, False)
                    out.append(text)
                    if stop:  # `%b` with `\\c`: printf writes nothing more
                        return "".join(out)
                    ai += 1
                    used += 1
                else:
                    return None
                i += 2
            else:
                out.append(ch)
                i += 1
        if ai >= len(args) or not used:
            break
    return "".join(out)


_STDOUT_OPS = frozenset({">", ">>", ">|", "&>", "&>>", "1>", "1>>", "1>|", ">&", "1>&"})


def _stdout_literal(program: str, words: list[_Word], stdin: _Stdin,
                    redirects: tuple[Redirect, ...]) -> _Lit | None:
    """What a simple `echo` / `printf` / `cat` writes on stdout, when it can be read off the command."""
    if program not in ("echo", "printf", "cat"):
        return None
    if any(r.op in _STDOUT_OPS and r.target != "2" for r in redirects):
        return None
    args = words[1:]
    exact = not any(w.dynamic for w in args)
    values = [w.value for w in args]
    if program == "cat":
        if any(v != "-" for v in values) or not stdin.present or stdin.text is None:
            return None
        return stdin.text, stdin.exact, stdin.heredoc
    if program == "echo":
        newline, escapes = True, False
        while values and re.fullmatch(r"-[neE]+", values[0]):
            flags = values.pop(0)
            newline = newline and "n" not in flags
            escapes = (escapes or "e" in flags) and not flags.endswith("E")
        text = " ".join(values)
        return (_echo_e(text) if escapes else text) + ("\n" if newline else ""), exact, False
    if not values:
        return None
    printed = _printf(values[0], values[1:])
    return (printed, exact, False) if printed is not None else None


def _recursive(calls: dict[str, set[str]], functions: set[str]) -> bool:
    """Does any defined function call itself, directly or through other defined functions?"""
    state: dict[str, int] = {}

    def visit(f: str) -> bool:
        state[f] = 1
        for g in calls.get(f, ()):
            if g not in functions:
                continue
            if state.get(g) == 1 or (g not in state and visit(g)):
                return True
        state[f] = 2
        return False

    return any(f not in state and visit(f) for f in functions)


# --------------------------------------------------------------------------- entry point


def parse(command: str) -> ShellAnalysis:
    """Every simple command `command` would run, and what could not be proven about it."""
    a = _Analyser()
    try:
        a.text(command, _Ctx(src=b""))
    except RecursionError:
        a.problem("too_deep")
    if _recursive(a.calls, a.functions):
        a.problem("recursive_function")
    if not a.segs:
        a.problem("empty")
    return ShellAnalysis(tuple(s for s, _ in a.segs), tuple(a.problems), frozenset(a.functions))
