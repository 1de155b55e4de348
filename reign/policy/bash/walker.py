"""The tree walker: every simple command a bash string runs, in order, with what feeds it.

Statements, lists, pipelines, compound commands, functions, substitutions; literal assignments
tracked while certain; wrapper payloads handed to reign.policy.bash.wrappers.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import replace
from typing import TYPE_CHECKING

from reign.policy.bash import inline, runners, toolcommands, wrappers
from reign.policy.bash.cwd import CHDIR_PROGRAMS, Dirs, chdir, resolve_target, resolve_words
from reign.policy.bash.quirks import (
    BODIES,
    KEYWORD_PREFIX,
    STATEMENTS,
    Attached,
    Item,
    blank_keywords,
    flatten,
    known_errors_only,
    parser,
    rw_error_before,
)
from reign.policy.bash.redirects import BACKTICK_ESC, RedirectReader
from reign.policy.bash.segment import MAX_WRAPPERS, START_DIR, Redirect, Segment, ShellAnalysis
from reign.policy.bash.state import NO_STDIN, Ctx, Lit, Stdin, dedupe, heredoc_text, stdout_literal
from reign.policy.bash.words import Env, Word, brace_words, evaluate, node_text, program_name, read_word

if TYPE_CHECKING:
    from tree_sitter import Node

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
# Wrappers whose command runs in this same shell (a `cd` through them moves it), and wrappers whose
# command runs on another machine or in a container (its directory is not this one).
_SAME_SHELL = frozenset({"builtin", "command", "eval", "source", "."})
_ELSEWHERE = frozenset({"ssh", "kubectl exec", "oc exec", "kubectl run", "oc run", "kubectl debug", "oc debug",
                        "docker exec", "podman exec", "nerdctl exec", "chroot"})
# Compound commands whose body may run zero or several times, or not at all.
_BRANCHING = frozenset({"if_statement", "while_statement", "for_statement", "c_style_for_statement",
                        "case_statement", "case_item", "else_clause", "elif_clause", "do_group"})
_VAR_SPECIAL = frozenset({"_", "RANDOM", "SRANDOM", "SECONDS", "LINENO", "EPOCHSECONDS", "EPOCHREALTIME",
                          "PWD", "OLDPWD", "REPLY", "OPTARG", "OPTIND", "HISTCMD", "PPID", "UID", "EUID",
                          "GROUPS", "FUNCNAME", "PIPESTATUS", "MAPFILE", "COLUMNS", "LINES", "SHELLOPTS"})


class Walker(RedirectReader):
    def __init__(self) -> None:
        self.segs: list[tuple[Segment, int]] = []
        self.problems: dict[str, None] = {}
        self.functions: set[str] = set()
        self.calls: dict[str, set[str]] = {}
        self.func_producers: dict[str, tuple[str, ...]] = {}
        self.env: Env = {}  # literal assignments known in the statement list being walked
        self.poisoned = False  # something seen can change variables unseen: substitute nothing more
        self.dirs = Dirs()  # the working directory where the walk is
        self.func_chdir: set[str] = set()  # functions whose body changes the directory

    def subshell_dirs(self) -> Dirs:
        """The directories to restore once a subshell (or child process) is done."""
        return self.dirs

    def maybe_moved(self, before: Dirs) -> None:
        """After code that may or may not have run: a directory it changed is no longer known."""
        if self.dirs != before:
            self.dirs = Dirs(None, before.cwd if self.dirs.cwd != before.cwd else self.dirs.oldpwd, ())

    def problem(self, code: str) -> None:
        self.problems.setdefault(code, None)

    def add(self, seg: Segment, ctx: Ctx) -> None:
        self.segs.append((seg, ctx.level))
        if ctx.func is not None:
            self.calls.setdefault(ctx.func, set()).add(seg.program)

    # ----------------------------------------------------------------- sources

    def text(self, text: str, ctx: Ctx) -> None:
        src = text.encode("utf-8", "surrogatepass")
        root = parser().parse(src).root_node
        coprocs: dict[int, tuple[str, ...]] = {}
        if KEYWORD_PREFIX.search(src):
            src2, coprocs = blank_keywords(root, src)
            if coprocs:
                src = src2
                root = parser().parse(src).root_node
        if root.has_error and not known_errors_only(root):
            self.problem("parse_error")
            self.poisoned = True  # statement boundaries are not known: no variable is certain
        elif not self.poisoned and b"=" in src and _VAR_HAZARDS.search(src):
            self.poisoned = True
        self.body(root, replace(ctx, src=src, coprocs=coprocs))

    # ----------------------------------------------------------------- statements

    def body(self, node: Node, ctx: Ctx) -> None:
        self.seq(flatten(node.children), ctx)

    def seq(self, items: list[Item], ctx: Ctx) -> None:
        groups: list[tuple[list[Item], bool]] = []
        cur: list[Item] = []
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
                dirs_before = self.dirs
                moved_maybe = False  # a later operand (it may not run) changed the directory
                operands: list[list[Node | Attached]] = [[]]  # the pipelines of the and-or list
                for it in group:
                    if not isinstance(it, str):
                        operands[-1].append(it)
                    elif it in ("&&", "||") and operands[-1]:
                        operands.append([])
                for i, stages in enumerate(o for o in operands if o):
                    certain = not bg and i == 0  # the first pipeline of an and-or list always runs
                    at = self.dirs
                    if track:
                        self.statement(stages, c, certain)
                    else:
                        self.pipeline(stages, c)
                    moved_maybe |= not certain and self.dirs != at
                if before is not None:
                    self.env = before
                if bg:
                    self.dirs = dirs_before  # `cd x &` runs in a subshell
                elif moved_maybe:
                    self.maybe_moved(dirs_before)
        finally:
            self.env = saved

    def statement(self, stages: list[Node | Attached], ctx: Ctx, certain: bool) -> None:
        """One pipeline of a statement list, keeping track of the literal assignments it makes."""
        first = stages[0]
        if len(stages) == 1 and not isinstance(first, Attached) and \
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
            body = st.body if isinstance(st, Attached) else st
            if body.type == "command":
                for c in body.children:  # `a=1 cmd`: for cmd only, but keep nothing certain about a
                    if c.type == "variable_assignment":
                        name = c.child_by_field_name("name")
                        self.env.pop(node_text(name) if name is not None else "", None)
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
            name = node_text(name_node)
            value = a.child_by_field_name("value")
            if value is not None:
                v, dyn, _ = evaluate(value, self.env if self.env and not self.poisoned else None)
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

    def pipeline(self, stages: list[Node | Attached], ctx: Ctx) -> None:
        stdin = ctx.stdin
        last = len(stages) - 1
        dirs = self.dirs
        for i, st in enumerate(stages):
            if last:
                self.dirs = dirs  # each stage of a pipeline is a subshell
            c = ctx if stdin is ctx.stdin else replace(ctx, stdin=stdin)
            if ctx.coprocs and st.start_byte in ctx.coprocs:
                c = self.coproc(ctx.coprocs.pop(st.start_byte), c)
            n0 = len(self.segs)
            lit, chain = self.attached(st, c) if isinstance(st, Attached) else self.node(st, c)
            if i < last:
                producers = self.producers(n0, ctx.level)
                text, exact, heredoc = lit if lit is not None else (None, False, False)
                stdin = Stdin(True, text, exact, heredoc, dedupe(producers + chain))
        if last:
            self.dirs = dirs

    def coproc(self, argv: tuple[str, ...], ctx: Ctx) -> Ctx:
        text = " ".join(argv)
        seg = Segment(argv[0], argv, frozenset(), (), ctx.wrappers, ctx.stdin.pipe_from, None, True, text,
                      self.dirs.cwd)
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

    def node(self, node: Node, ctx: Ctx) -> tuple[Lit | None, tuple[str, ...]]:
        """Walk one statement; returns (literal stdout if known, the pipe chain feeding its stdin)."""
        t = node.type
        if t == "command":
            return self.command(node, ctx, ())
        if t in BODIES:
            before = self.dirs
            self.body(node, ctx)
            if t == "subshell":
                self.dirs = before
            elif t in _BRANCHING:
                self.maybe_moved(before)
        elif t in ("list", "pipeline", "redirected_statement"):
            self.seq(flatten([node]), ctx)
        elif t == "function_definition":
            self.function(node, ctx)
        elif t in ("declaration_command", "unset_command"):
            self.declaration(node, ctx)
        elif t == "test_command" and node.child_count > 1 and node.children[0].type == "[":
            self.bracket_test(node, ctx)
        elif t != "comment":  # `[[ ]]`, `(( ))`, bare assignments: only their substitutions run
            self.expansions(node, ctx)
        return None, ctx.stdin.pipe_from

    def attached(self, item: Attached, ctx: Ctx) -> tuple[Lit | None, tuple[str, ...]]:
        """A statement with redirections (`cmd > f`, `{ ..; } < f`, or redirections alone)."""
        body, redirs = item.body, item.redirects
        if body.type == "command":
            return self.command(body, ctx, redirs)
        if body.type == "redirected_statement":  # redirections alone: `> /dev/sda`
            return self.command(body, ctx, ())
        tasks: list[tuple[Node | str, Stdin | None]] = []
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

    def bracket_test(self, node: Node, ctx: Ctx) -> None:
        """`[ expr ]` is the `[` command (the grammar parses it like `[[ ]]`): re-read as `test expr`."""
        first, last = node.children[0], node.children[-1]
        inner = ctx.src[first.end_byte:last.start_byte if last.type == "]" else node.end_byte]
        src = b"test" + inner
        cmd = parser().parse(src).root_node.named_children
        if not cmd or cmd[0].type != "command":
            self.expansions(node, ctx)
            return
        n0 = len(self.segs)
        self.command(cmd[0], replace(ctx, src=src, coprocs={}), ())
        if len(self.segs) > n0 and self.segs[n0][0].program == "test":
            seg, lvl = self.segs[n0]
            argv = ("[", *seg.argv[1:], "]") if last.type == "]" else ("[", *seg.argv[1:])
            self.segs[n0] = (replace(seg, program="[", argv=argv, text=node_text(node)), lvl)

    def function(self, node: Node, ctx: Ctx) -> None:
        name_node = node.child_by_field_name("name")
        name = node_text(name_node) if name_node is not None else ""
        self.functions.add(name)
        self.calls.setdefault(name, set())
        inner = replace(ctx, func=name, level=ctx.level + 1, stdin=NO_STDIN, background=False)
        n0 = len(self.segs)
        before = self.dirs
        for c in node.children:
            if c.is_named and c != name_node:
                self.node(c, inner)
        if self.dirs != before:
            self.func_chdir.add(name)  # where a call leaves the directory is not followed
        self.dirs = before
        self.func_producers[name] = self.producers(n0, ctx.level + 1)

    def declaration(self, node: Node, ctx: Ctx) -> None:
        words: list[Word] = []
        for c in node.children:
            if not c.is_named:
                if not words:
                    words.append(Word(c.type, c.type, False, False, c.start_byte, c.end_byte))
                continue
            if c.type == "variable_assignment":
                raw = node_text(c)
                value = c.child_by_field_name("value")
                name_end = (value.start_byte if value is not None else c.end_byte) - c.start_byte
                head = (c.text or b"")[:name_end].decode("utf-8", "replace")
                v, d, _ = evaluate(value) if value is not None else ("", False, False)
                words.append(Word(head + v, raw, d, False, c.start_byte, c.end_byte))
            elif c.type == "variable_name":
                words.append(Word(node_text(c), node_text(c), False, False, c.start_byte, c.end_byte))
            else:
                words.append(read_word(c))
        if words:
            seg = self.segment(words, ctx, (), ctx.stdin, node_text(node))
            self.add(seg, ctx)
        self.expansions(node, ctx)

    # ----------------------------------------------------------------- expansions

    def expansions(self, node: Node, ctx: Ctx, proc_stdin: Stdin | None = None) -> None:
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
                before = self.dirs
                self.body(n, inner)
                self.dirs = before
            elif t == "ansi_c_string":
                self.problem("ansi_c_quoting")
            elif t in STATEMENTS and n is not node:
                self.node(n, ctx)
            elif n.child_count:
                stack.extend(reversed(n.children))

    def run_tasks(self, tasks: list[tuple[Node | str, Stdin | None]], ctx: Ctx) -> None:
        """Walk the words of a command once its segment exists (a str is backtick text to parse)."""
        for item, proc in tasks:
            if isinstance(item, str):
                self.text(item, replace(ctx, level=ctx.level + 1))
            else:
                self.expansions(item, ctx, proc)

    def substitution(self, node: Node, ctx: Ctx) -> None:
        inner = replace(ctx, level=ctx.level + 1)
        raw = node_text(node)
        before = self.dirs
        if raw.startswith("`") and "\\" in raw:  # bash unescapes \` \$ \\ before parsing backticks
            self.text(BACKTICK_ESC.sub(r"\1", raw[1:-1] if raw.endswith("`") else raw[1:]), inner)
        else:
            self.body(node, inner)
        self.dirs = before

    # ----------------------------------------------------------------- simple commands

    def command(self, node: Node, ctx: Ctx, outer: Sequence[Node]) -> tuple[Lit | None, tuple[str, ...]]:
        src = ctx.src
        env = self.env if self.env and not self.poisoned else None
        words: list[Word] = []
        prefix: list[tuple[str, str]] = []  # `NAME=value cmd`: the command's own environment
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
                w = read_word(inner[0]) if inner else read_word(c)  # `$a -rf /` stays a computed program name
                expand.append(c)
            elif t.endswith("_redirect"):
                redir_nodes.append(c)
                continue
            elif t in ("variable_assignment", "variable_assignments"):
                expand.append(c)
                for assignment in ([c] if t == "variable_assignment" else c.named_children):
                    name_node = assignment.child_by_field_name("name")
                    value_node = assignment.child_by_field_name("value")
                    value = read_word(value_node, env).argv if value_node is not None else ""
                    prefix.append((node_text(name_node) if name_node is not None else "", value))
                continue
            elif not c.is_named:
                if t != "$":
                    continue
                nxt = children[k] if k < n else None
                if nxt is not None and nxt.type == "string" and nxt.start_byte == c.end_byte:  # $"..."
                    v, d, g = evaluate(nxt, env)
                    w = Word(v, node_text(c) + node_text(nxt), d, g, c.start_byte, nxt.end_byte)
                    expand.append(nxt)
                    k += 1
                else:
                    w = Word("$", "$", False, False, c.start_byte, c.end_byte)
            elif t in STATEMENTS:
                stmts.append(c)
                continue
            else:
                w = read_word(c, env)
                expand.append(c)
            if words and src[words[-1].end:w.start] == b"\\\n":  # `r\<newline>m` is one word to bash
                p = words[-1]
                words[-1] = Word(p.value + w.value, p.raw + "\\\n" + w.raw, p.dynamic or w.dynamic,
                                  p.glob or w.glob, p.start, w.end)
            else:
                words.append(w)
        if words and any(w.glob for w in words):  # `/etc/shado{w,}` is `/etc/shadow /etc/shado` to bash
            glob_program = words[0].glob
            words = [x for w in words for x in brace_words(w, env)]
            words[0].glob = words[0].glob or glob_program
        redir_nodes.extend(outer)
        fds: dict[int, str] = {}
        if words and redir_nodes:  # the grammar reads the `0` of `cmd 0<file` as an argument
            starts = {r.start_byte: r.start_byte for r in redir_nodes}
            for r in redir_nodes:
                err = rw_error_before(r)
                if err is not None:
                    starts[err.start_byte] = r.start_byte
            for w in [w for w in words[1:] if w.end in starts and w.raw.isdigit()]:
                fds[starts[w.end]] = w.raw
                words.remove(w)
        program = program_name(words[0]) if words else ""
        tasks: list[tuple[Node | str, Stdin | None]] = []
        redirects, stdin = self.redirects(redir_nodes, ctx, ctx.stdin, program, tasks, fds)
        proc_stdin = Stdin(True, None, False, False, dedupe((program, *stdin.pipe_from)))
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
            if prefix:
                seg = replace(seg, env=tuple(prefix))
            at = len(self.segs)
            self.add(seg, ctx)
        elif redirects:
            text = src[node.start_byte:node.end_byte].decode("utf-8", "replace")
            seg = Segment("", (), frozenset(), self.resolve_redirects(redirects), ctx.wrappers,
                          stdin.pipe_from, heredoc_text(stdin), ctx.background, text, self.dirs.cwd)
            self.add(seg, ctx)
        self.run_tasks(tasks, ctx)
        for s in stmts:
            self.node(s, ctx)
        if not words:
            return None, stdin.pipe_from
        if words[0].dynamic or words[0].glob:
            self.problem("dynamic_program")
        else:
            self.unwrap(program, words, ctx, stdin, appended=False, at=at)
            self.moved(program, words, ctx.src)
        return stdout_literal(program, words, stdin, redirects), stdin.pipe_from

    def moved(self, program: str, words: Sequence[Word], src: bytes) -> None:
        """Follow the working directory after a command of this shell. Where CDPATH or OLDPWD are set
        in the string, a relative `cd DIR` or `cd -` may go elsewhere: the directory becomes unknown."""
        if program in CHDIR_PROGRAMS:
            args = list(words[1:])
            self.dirs = chdir(self.dirs, program, args)
            if (b"CDPATH" in src or b"OLDPWD" in src) and not all(
                    not w.dynamic and w.value.startswith(("/", "~")) for w in args if w.value != "--"):
                self.dirs = Dirs(None, self.dirs.oldpwd, ())
        elif program in self.func_chdir:
            self.dirs = Dirs(None, self.dirs.cwd, ())

    def segment(self, words: Sequence[Word], ctx: Ctx, redirects: tuple[Redirect, ...], stdin: Stdin,
                text: str) -> Segment:
        argv = tuple(w.argv for w in words)
        dyn = frozenset(i for i, w in enumerate(words) if w.dynamic)
        if ctx.placeholders and any(p in words[0].value for p in ctx.placeholders):
            self.problem("dynamic_payload")  # the program itself comes from xargs / find input
        cwd = self.dirs.cwd
        return Segment(program_name(words[0]), argv, dyn, self.resolve_redirects(redirects), ctx.wrappers,
                       stdin.pipe_from, heredoc_text(stdin), ctx.background, text, cwd,
                       resolve_words(cwd, list(words)), None, frozenset(i for i, w in enumerate(words) if w.glob))

    def resolve_redirects(self, redirects: tuple[Redirect, ...]) -> tuple[Redirect, ...]:
        cwd = self.dirs.cwd
        if cwd == START_DIR or not redirects:
            return redirects
        return tuple(r if r.op.startswith("<<") else replace(r, path=resolve_target(cwd, r.target, r.dynamic))
                     for r in redirects)

    # ----------------------------------------------------------------- wrappers

    def unwrap(self, program: str, words: Sequence[Word], ctx: Ctx, stdin: Stdin, *, appended: bool,
               at: int) -> None:
        """Walk what a wrapper runs; inline code found is attached to the program's segment (at `at`)."""
        if program in wrappers.SHELLS:
            wrappers.run_shell(self, program, words[1:], ctx, stdin, appended)
            return
        handler = wrappers.HANDLERS.get(program) or runners.HANDLERS.get(program)
        if handler is not None:
            handler(self, program, list(words[1:]), ctx, stdin)
        code_handler = inline.handler_for(program) or toolcommands.HANDLERS.get(program)
        if code_handler is not None:
            code = code_handler(self, program, list(words[1:]), ctx, stdin)
            if code is not None:
                seg, level = self.segs[at]
                self.segs[at] = (replace(seg, code=code), level)

    def argv_payload(self, words: Sequence[Word], ctx: Ctx, stdin: Stdin, label: str, *,
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
        before = self.dirs
        if label in _ELSEWHERE:
            self.dirs = Dirs(None)
        seg = self.segment(words, inner, (), stdin, text)
        at = len(self.segs)
        self.add(seg, inner)
        if words[0].dynamic or words[0].glob:
            self.problem("dynamic_program")
        else:
            self.unwrap(seg.program, words, inner, stdin, appended=appended, at=at)
            if label in _SAME_SHELL:
                self.moved(seg.program, words, ctx.src)
                return
        self.dirs = before  # a child process: its `cd` does not move this shell

    def payload(self, text: str, dynamic: bool, ctx: Ctx, label: str, stdin: Stdin, *,
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
        dirs = self.dirs
        if label in _ELSEWHERE:
            self.dirs = Dirs(None)
        self.text(text, replace(ctx, wrappers=(*ctx.wrappers, label), stdin=stdin))
        if label not in _SAME_SHELL:
            self.dirs = dirs
        if dynamic:
            for code in ("parse_error", "dynamic_program"):
                if code not in before:
                    self.problems.pop(code, None)

    def words_payload(self, words: Sequence[Word], ctx: Ctx, label: str, stdin: Stdin) -> None:
        if words:
            self.payload(" ".join(w.value for w in words), any(w.dynamic for w in words), ctx, label, stdin)

    def read_stdin(self, label: str, ctx: Ctx, stdin: Stdin) -> None:
        """A shell (or remote / privileged shell) reading its script from stdin."""
        if not stdin.present:
            return
        if stdin.text is None:
            self.problem("dynamic_payload")
            return
        self.payload(stdin.text, not stdin.exact, ctx, label, NO_STDIN)


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
    a = Walker()
    try:
        a.text(command, Ctx(src=b""))
    except RecursionError:
        a.problem("too_deep")
    if _recursive(a.calls, a.functions):
        a.problem("recursive_function")
    if not a.segs:
        a.problem("empty")
    return ShellAnalysis(tuple(s for s, _ in a.segs), tuple(a.problems), frozenset(a.functions))
