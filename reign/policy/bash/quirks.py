"""tree-sitter-bash: its node kinds, and the workarounds for where its 0.25 grammar reads bash differently.

Handled here: `coproc` and `time { ..; }` (unknown keywords: blanked
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
from collections.abc import Sequence
from typing import TYPE_CHECKING, Union

from reign.policy.bash.words import node_text

if TYPE_CHECKING:
    from tree_sitter import Node, Parser

STATEMENTS = frozenset({
    "command", "redirected_statement", "pipeline", "list", "subshell", "compound_statement", "if_statement",
    "while_statement", "for_statement", "c_style_for_statement", "case_statement", "function_definition",
    "negated_command", "declaration_command", "unset_command", "test_command", "variable_assignment",
    "variable_assignments", "do_group", "else_clause", "elif_clause", "case_item", "program", "ERROR",
})
BODIES = frozenset({
    "program", "subshell", "compound_statement", "if_statement", "while_statement", "for_statement",
    "c_style_for_statement", "case_statement", "case_item", "do_group", "else_clause", "elif_clause",
    "negated_command", "ERROR",
})
KEYWORD_PREFIX = re.compile(rb"(?<![\w./-])(coproc|time)(?![\w./-])")
_COPROC_NAME = re.compile(rb"\s+([A-Za-z_][A-Za-z0-9_]*)(?=\s*[{(])")
_TIME_GROUP = re.compile(rb"(\s+-p)?\s*(?=[{(])")

# --------------------------------------------------------------------------- tree-sitter, lazily

_PARSER: Parser | None = None


def parser() -> Parser:
    global _PARSER
    if _PARSER is None:
        import tree_sitter_bash
        from tree_sitter import Language, Parser

        _PARSER = Parser(Language(tree_sitter_bash.language()))
    return _PARSER


class Attached:
    """A statement and the redirections that apply to it (`body` is the redirected_statement itself
    when there are redirections and no command)."""

    __slots__ = ("body", "redirects")

    def __init__(self, body: Node, redirects: tuple[Node, ...]) -> None:
        self.body = body
        self.redirects = redirects

    @property
    def start_byte(self) -> int:
        return self.body.start_byte


Item = Union["Node", str, Attached]  # Node exists only for type checkers


def flatten(nodes: Sequence[Node]) -> list[Item]:
    """Statements and operators in source order, with nested list/pipeline nodes (and the rest of a
    pipeline that tree-sitter tucks inside a here-doc node) spliced in."""
    out: list[Item] = []
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
                sub = flatten([body])
                last = max((i for i, x in enumerate(sub) if not isinstance(x, str)), default=-1)
                if last >= 0:
                    x = sub[last]
                    if isinstance(x, Attached):
                        sub[last] = Attached(x.body, x.redirects + redirs)
                    elif not isinstance(x, str):
                        sub[last] = Attached(x, redirs)
                out.extend(sub)
            else:
                out.append(Attached(body if body is not None else n, redirs))
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


def known_errors_only(root: Node) -> bool:
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
            text = node_text(n)
            if p is not None and p.type == "file_redirect" and text == ">" and prev is not None \
                    and prev.type == "<" and prev.end_byte == n.start_byte:
                continue  # `<>` read as `<` and an ERROR `>`
            if p is not None and p.type == "file_redirect" and text == "<" and nxt is not None \
                    and nxt.type == ">" and nxt.start_byte == n.end_byte:
                continue  # `N<>f; ..` read as an ERROR `<` and `>`
            if text == "<" and nxt is not None and rw_error_before(nxt) == n:
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


def rw_error_before(redirect: Node) -> Node | None:
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


def blank_keywords(root: Node, src: bytes) -> tuple[bytes, dict[int, tuple[str, ...]]]:
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

