"""The facts the parser hands the gate: one `Segment` per simple command, one `ShellAnalysis` per string.

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
- The working directory is followed through `cd`/`pushd`/`popd` (`cd` / `cd ~` is home, `cd -` the
  previous one); subshells, pipelines, `&`, substitutions and wrapper payloads restore it; a `cd` in
  a branch, loop or a conditional and-or operand, to a computed place, or inside a called function,
  makes it unknown (None) from there on. `cd DIR; cmd` is assumed to succeed. Remote and in-container
  commands (ssh, kubectl/docker exec) and login shells run in an unknown directory.
- `pipe_from` is transitive and over-approximate: every upstream stage's programs, nearest first.
- `find START... -exec CMD {} ;` binds `{}` to each start path (`.` when none): the CMD segment names
  the start path, standing for it and everything under it (wrapper label "find -exec").
- Inline code (`python3 -c`, `python3 - <<EOF`, `node -e`, `ruby -e`, awk programs, sed scripts,
  `gdb -ex`, `vim -c`, `less +!`, `man -P`) and command options (`git -c core.sshCommand=..`,
  `tar --to-command`, `rsync -e`, `ssh -o ProxyCommand=..`, `zip -TT`): the literal commands they
  run are segments (wrapper label "<program> code" or the option), the rest is `Segment.code`.
- Not visible here: aliases, functions and variables inherited from the environment, leading
  assignments (`PATH=..`, `LD_PRELOAD=..`, `BASH_ENV=..` are dropped from argv), script files
  (`bash x.sh`, `python3 x.py`, `source f`, `at -f f`), code in languages with no grammar here (perl,
  php, lua...: effect unknown, literal `system("..")` strings still parsed), CDPATH, and fd/stdin
  changes made by `exec` that persist to later commands.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

Effect = Literal["read", "write", "destructive", "unknown"]
START_DIR = "."  # the directory the command string starts in (the tool's working directory)

PROBLEMS = ("parse_error", "ansi_c_quoting", "dynamic_program", "dynamic_payload", "too_deep",
            "recursive_function", "empty")
MAX_WRAPPERS = 8


@dataclass(frozen=True)
class Redirect:
    op: str  # as written, fd number kept: ">", ">>", "2>", "2>&", "&>", "<", "<<", "<<-", "<<<", "<>" ...
    target: str  # literal word after quote removal; raw source text if computed; here-doc: its delimiter
    dynamic: bool  # the target contains an expansion
    path: str | None = None  # the target resolved against the command's working directory, when it moved

    @property
    def resolved(self) -> str:
        return self.path if self.path is not None else self.target


@dataclass(frozen=True)
class InlineCode:
    """What a program's inline code does (`python3 -c CODE`, `awk PROGRAM`, `sed SCRIPT`, `gdb -ex CMD`...).

    The commands it spawns with literal text are parsed as segments of their own (wrapper label
    "<program> code"); this records the rest. `effect` is "unknown" when the code cannot be understood
    (a parse error, a computed command or path, dynamic evaluation, a language with no grammar here).
    """

    language: str
    effect: Effect
    deletes: tuple[str, ...] = ()  # literal paths it deletes ("?" when computed)
    writes: tuple[str, ...] = ()  # literal paths it writes ("?" when computed)
    reads: tuple[str, ...] = ()  # literal paths it opens for reading
    network: bool = False  # opens a connection or sends a request
    env_dump: bool = False  # prints or sends the whole environment
    why: tuple[str, ...] = ()  # short notes for the reason shown to a person


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
    cwd: str | None = START_DIR  # working directory: START_DIR, a path after cd/pushd/popd, None when unknown
    paths: tuple[str, ...] = ()  # argv with relative operands resolved against cwd; () when cwd is START_DIR
    code: InlineCode | None = None  # the program's inline code, when it has some
    globs: frozenset[int] = frozenset()  # indexes in argv of words with unquoted glob characters
    env: tuple[tuple[str, str], ...] = ()  # `NAME=value cmd`: prefix assignments (a computed value as written)

    @property
    def path_argv(self) -> tuple[str, ...]:
        """argv with relative path operands resolved against the working directory (argv itself when
        the directory did not move; relative words stay relative when it is unknown)."""
        return self.paths or self.argv


@dataclass(frozen=True)
class ShellAnalysis:
    segments: tuple[Segment, ...]
    problems: tuple[str, ...]
    functions: frozenset[str]

    @property
    def clean(self) -> bool:
        return not self.problems

