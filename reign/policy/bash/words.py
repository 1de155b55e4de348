"""Bash words: quote removal, known-variable substitution, brace expansion, and escape decoding
(`$'..'`, `printf`, `echo -e`), the way bash itself would read them. Pure, no parser state."""

from __future__ import annotations

import re
from dataclasses import dataclass
from itertools import pairwise
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from tree_sitter import Node

_EXPANSIONS = frozenset({"simple_expansion", "expansion", "command_substitution", "process_substitution",
                         "arithmetic_expansion"})
_WORD_ESC = re.compile(r"\\(.)", re.S)
_DQ_ESC = re.compile(r"\\([$`\"\\\n])")
GLOB = re.compile(r"(?<!\\)[*?\[]")
_ANSI_ESC = re.compile(r"\\(x[0-9A-Fa-f]{1,2}|u[0-9A-Fa-f]{1,4}|U[0-9A-Fa-f]{1,8}|[0-7]{1,3}|c.|.)", re.S)
_PRINTF_ESC = re.compile(r"\\(x[0-9A-Fa-f]{1,2}|u[0-9A-Fa-f]{1,4}|U[0-9A-Fa-f]{1,8}|[0-7]{1,3}|.)", re.S)
_ECHO_ESC = re.compile(r"\\(x[0-9A-Fa-f]{1,2}|u[0-9A-Fa-f]{1,4}|U[0-9A-Fa-f]{1,8}|0[0-7]{0,3}|.)", re.S)
_SIMPLE_ESC = {"a": "\a", "b": "\b", "e": "\x1b", "E": "\x1b", "f": "\f", "n": "\n", "r": "\r", "t": "\t",
               "v": "\v", "\\": "\\", "'": "'", '"': '"', "?": "?"}
_ECHO_SIMPLE = {k: v for k, v in _SIMPLE_ESC.items() if k not in "'\"?"}
ASSIGNMENT = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*\+?=")
_IFS_WS = re.compile(r"[ \t\n]")


def node_text(node: Node) -> str:
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
class Word:
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


Env = dict[str, str]


def evaluate(node: Node, env: Env | None = None) -> tuple[str, bool, bool]:
    """(value, dynamic, glob) of a word node; `$name` / `${name}` known in env are substituted."""
    t = node.type
    if t == "word":
        raw = node_text(node)
        value = _WORD_ESC.sub(lambda m: "" if m.group(1) == "\n" else m.group(1), raw) if "\\" in raw else raw
        return value, False, bool(GLOB.search(raw))
    if t == "raw_string":
        return node_text(node)[1:-1], False, False
    if t == "string":
        return _dq(node, env)
    if t == "ansi_c_string":
        return _ansi_decode(node_text(node)[2:-1]), False, False
    if t == "concatenation":
        parts: list[str] = []
        dyn = glob = False
        brace: list[str] | None = None  # unquoted `{a,b}` / `{1..3}`: brace expansion
        for c in node.children:
            v, d, g = evaluate(c, env)
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
        return node_text(node), False, False
    if t in _EXPANSIONS:
        if env:  # unquoted: only a value that word splitting leaves whole
            known = _lookup(node, env)
            if known and not _IFS_WS.search(known):
                return known, False, bool(GLOB.search(known))
        return node_text(node), True, False
    if t in ("brace_expression", "extglob_pattern"):
        return node_text(node), False, True
    if t == "translated_string":
        return _dq(node, env)
    return node_text(node), True, False  # unknown shape: treat as computed


def _lookup(node: Node, env: Env) -> str | None:
    """The known value of a plain `$name` / `${name}`, else None."""
    t = node.type
    if t == "simple_expansion" or (t == "expansion" and node.child_count == 3):
        name = node.children[1] if t == "expansion" else node.named_children[0] if node.named_child_count else None
        if name is not None and name.type == "variable_name":
            return env.get(node_text(name))
    return None


def _dq(node: Node, env: Env | None = None) -> tuple[str, bool, bool]:
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


def read_word(node: Node, env: Env | None = None) -> Word:
    value, dyn, glob = evaluate(node, env)
    return Word(value, node_text(node), dyn, glob, node.start_byte, node.end_byte, node)


def program_name(w: Word) -> str:
    v = w.value
    base = v.rsplit("/", 1)[-1] or v
    if w.dynamic and any(ch in base for ch in "$`(){}"):
        return w.raw
    return base


_BRACE_LIMIT = 256
_SEQUENCE = re.compile(r"^(-?\d+|[A-Za-z])\.\.(-?\d+|[A-Za-z])(?:\.\.(-?\d+))?$")
_Tok = tuple[str, bool]  # (character, is an unquoted brace metacharacter)


def brace_words(w: Word, env: Env | None = None) -> list[Word]:
    """Brace-expand one word (bash does it before anything else); the word itself when it has no
    brace expansion, is computed, or would expand to more than _BRACE_LIMIT words."""
    if w.dynamic or w.node is None or w.node.type not in ("concatenation", "brace_expression"):
        return [w]
    toks: list[_Tok] = []
    for c in (w.node.children if w.node.type == "concatenation" else [w.node]):
        if c.type in ("word", "brace_expression"):
            raw = node_text(c)
            i = 0
            while i < len(raw):
                if raw[i] == "\\" and i + 1 < len(raw):
                    toks.append((raw[i + 1], False))
                    i += 2
                    continue
                toks.append((raw[i], raw[i] in "{,}"))
                i += 1
        else:
            toks.extend((ch, False) for ch in evaluate(c, env)[0])
    alternatives = _brace_expand(toks)
    if alternatives is None or alternatives == [w.value]:
        return [w]
    return [Word(v, w.raw, False, bool(GLOB.search(v)), w.start, w.end) for v in alternatives]


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


# --------------------------------------------------------------------------- escapes


def echo_e(s: str) -> str:
    """`echo -e` / `printf %b` escapes: `\\0NNN` octal, `\\xHH`, `\\uHHHH`, `\\UHHHHHHHH`; `\\c` ends the output."""
    return decode_escapes(s, echo=True)[0]


def decode_escapes(s: str, *, echo: bool) -> tuple[str, bool]:
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


def printf_format(fmt: str, args: list[str]) -> str | None:
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
                out.append(decode_escapes(fmt[i:end], echo=False)[0])
                i = end
            elif ch == "%":
                if nx == "%":
                    out.append("%")
                elif nx in ("s", "b"):
                    arg = args[ai] if ai < len(args) else ""
                    text, stop = decode_escapes(arg, echo=True) if nx == "b" else (arg, False)
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

