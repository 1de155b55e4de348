"""Parse a bash command string into the facts the policy gate decides on.

`parse(command)` finds every simple command the string would run -- through pipes, lists, subshells,
groups, loops, function bodies, `$(..)`, backticks, `<(..)`/`>(..)`, here-documents and the payloads of
wrapper programs (`sudo`, `bash -c`, `eval`, `ssh`, `find -exec`, `xargs`, `env`, `timeout`, ...) --
and reports what it could not see through as problem codes. It decides nothing: the gate does.
Pure function: no I/O, no subprocess. The tree-sitter parser is created once, on first use.

The files, one job each:
- segment.py   the result: `Segment` (one simple command), `Redirect`, `ShellAnalysis`
- words.py     one word as bash reads it: quotes, known variables, braces, escapes
- walker.py    the tree walk: statements, pipelines, substitutions, assignments, payloads
- redirects.py redirections and here-documents
- wrappers.py  the command inside each wrapper program
- quirks.py    tree-sitter-bash node kinds and workarounds for its grammar's gaps
- state.py     what flows along the walk (stdin, wrapper chain, nesting)
"""

from reign.policy.bash.segment import MAX_WRAPPERS, PROBLEMS, Redirect, Segment, ShellAnalysis
from reign.policy.bash.walker import parse

Analysis = ShellAnalysis

__all__ = ["MAX_WRAPPERS", "PROBLEMS", "Analysis", "Redirect", "Segment", "ShellAnalysis", "parse"]
