"""Parse a bash command string into the facts the policy gate decides on.

`parse(command)` finds every simple command the string would run -- through pipes, lists, subshells,
groups, loops, function bodies, `$(..)`, backticks, `<(..)`/`>(..)`, here-documents and the payloads of
wrapper programs (`sudo`, `bash -c`, `eval`, `ssh`, `find -exec`, `xargs`, `env`, `timeout`, ...) --
and reports what it could not see through as problem codes. It decides nothing: the gate does.
Pure function: no I/O, no subprocess. The tree-sitter parser is created once, on first use.

The files, one job each:
- segment.py   the result: `Segment` (one simple command), `Redirect`, `InlineCode`, `ShellAnalysis`
- words.py     one word as bash reads it: quotes, known variables, braces, escapes
- walker.py    the tree walk: statements, pipelines, substitutions, assignments, payloads
- cwd.py       the working directory through cd/pushd/popd, relative words resolved against it
- redirects.py redirections and here-documents
- wrappers.py  the command inside wrapper programs with rules of their own (shells, sudo, ssh, find, xargs)
- runners.py   the table of programs that simply run their operands (nice, timeout, faketime, uv run...)
- inline.py    code on the command line: interpreters, awk/sed/perl one-liners, database shell escapes
- toolcommands.py commands run through tools' options: gdb -ex, vim -c, less/man, git -c, tar, rsync -e, ssh -o
- code/        Python / JavaScript / Ruby read with tree-sitter: spawns, deletions, writes, network
- textprogs.py awk programs, sed scripts and perl one-liners
- quirks.py    tree-sitter-bash node kinds and workarounds for its grammar's gaps
- state.py     what flows along the walk (stdin, wrapper chain, nesting)
"""

from reign.policy.bash.segment import MAX_WRAPPERS, PROBLEMS, START_DIR, InlineCode, Redirect, Segment, ShellAnalysis
from reign.policy.bash.walker import parse

Analysis = ShellAnalysis

__all__ = ["MAX_WRAPPERS", "PROBLEMS", "START_DIR", "Analysis", "InlineCode", "Redirect", "Segment", "ShellAnalysis",
           "parse"]
