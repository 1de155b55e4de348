"""Redirections and here-documents of one command: what it writes and reads, and what its stdin becomes."""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import TYPE_CHECKING

from reign.policy.bash.quirks import STATEMENTS, rw_error_before
from reign.policy.bash.segment import Redirect
from reign.policy.bash.state import Ctx, Stdin, dedupe
from reign.policy.bash.words import Env, node_text, read_word

if TYPE_CHECKING:
    from tree_sitter import Node

_HEREDOC_DYN = re.compile(r"(?<!\\)(\$[A-Za-z_{(\[0-9@*#?$!-]|`)")
_HEREDOC_ESC = re.compile(r"\\([$`\\])|\\\n")
_BACKTICKS = re.compile(r"(?<!\\)`((?:[^`\\]|\\.)*)`", re.S)
BACKTICK_ESC = re.compile(r"\\([$`\\])")


class RedirectReader:
    """Mixed into the walker: reads a command's redirections with the variables it knows."""

    env: Env
    poisoned: bool

    def redirects(self, nodes: Sequence[Node], ctx: Ctx, stdin: Stdin, program: str,
                  tasks: list[tuple[Node | str, Stdin | None]], fds: dict[int, str] | None = None,
                  ) -> tuple[tuple[Redirect, ...], Stdin]:
        out: list[Redirect] = []
        fds = dict(fds or {})
        proc_stdin = Stdin(True, None, False, False, dedupe((program, *stdin.pipe_from))) if program \
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
                    fd = node_text(c)
                elif not c.is_named:
                    if not op:
                        op = ct
                    elif rw_split and ct == ">":
                        op, rw_split = "<>", False
                elif ct == "ERROR" and op == "<" and node_text(c) == ">":  # `<>` split by the grammar
                    op = "<>"
                elif ct == "ERROR" and not op and node_text(c) == "<":  # `N<>f; ..`: split the other way
                    op = "<"
                    rw_split = True
                elif ct == "file_redirect" and t == "heredoc_redirect":
                    todo.insert(i, c)
                elif ct in ("heredoc_start", "heredoc_body", "heredoc_end", "pipeline", "list") or \
                        (t == "heredoc_redirect" and ct in STATEMENTS):
                    continue
                elif dest is None:
                    dest = c
                elif ct == "number" and any(x.start_byte == c.end_byte for x in todo):
                    fds[c.end_byte] = node_text(c)  # `>& f 0>&1`: the grammar gives the next fd to this one
                else:
                    tasks.append((c, proc_stdin))
            if t == "file_redirect" and op == "<" and dest is not None and dest.is_missing and i < len(todo):
                nxt = todo[i]  # `<>` parsed as `<` (missing word) followed by `>word`
                if nxt.type == "file_redirect" and nxt.start_byte == r.end_byte:
                    i += 1
                    op = "<>"
                    dest = next((c for c in nxt.children if c.is_named and c.type != "file_descriptor"), None)
            if t == "file_redirect" and op == ">" and rw_error_before(r) is not None:
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
            w = read_word(dest, self.env if self.env and not self.poisoned else None)
            tasks.append((dest, proc_stdin))
            out.append(Redirect(fd + op, w.argv, w.dynamic))
            if t == "herestring_redirect":
                if is_stdin:
                    stdin = Stdin(True, w.value + "\n", not w.dynamic, True)
            elif is_stdin and (op in ("<", "<&", "<>") or fd == "0"):  # `0>&1` too: stdin from elsewhere
                if op in ("<&", ">&") and w.value == "0":
                    continue
                if w.value == "/dev/null" or (op == "<&" and w.value == "-"):
                    stdin = Stdin(True, "", True)
                else:
                    stdin = Stdin(True)
        return tuple(out), stdin

    def heredoc(self, node: Node, op: str, ctx: Ctx,
                tasks: list[tuple[Node | str, Stdin | None]]) -> tuple[Redirect, Stdin]:
        start = next((c for c in node.children if c.type == "heredoc_start"), None)
        body = next((c for c in node.children if c.type == "heredoc_body"), None)
        delim_raw = node_text(start) if start is not None else ""
        quoted = any(ch in delim_raw for ch in "'\"\\")
        delim = re.sub(r"[\"'\\]", "", delim_raw)
        text = node_text(body) if body is not None else ""
        if op.endswith("<<-"):
            text = re.sub(r"(?m)^\t+", "", text)
        red = Redirect(op, delim, False)
        if quoted:
            return red, Stdin(True, text, True, True)
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
                    tasks.append((BACKTICK_ESC.sub(r"\1", m.group(1)), None))
        if not dynamic:
            text = _HEREDOC_ESC.sub(lambda m: m.group(1) or "", text)
        return red, Stdin(True, text, not dynamic, True)

