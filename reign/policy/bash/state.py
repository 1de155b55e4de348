"""What flows along the walk: what a command's stdin is known to be, and the context it runs in
(wrapper chain, nesting level, background, placeholders spliced in by find/xargs)."""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from reign.policy.bash.segment import Redirect
from reign.policy.bash.words import Word, echo_e, printf_format


@dataclass(frozen=True, slots=True)
class Stdin:
    present: bool = False  # something other than the caller's own stdin is connected
    text: str | None = None  # best-effort content, when it can be read off the command
    exact: bool = False  # `text` is exactly what arrives
    heredoc: bool = False  # it came from a here-doc / here-string
    pipe_from: tuple[str, ...] = ()


NO_STDIN = Stdin()
Lit = tuple[str, bool, bool]  # (text, exact, from_heredoc) written on stdout


@dataclass(frozen=True, slots=True)
class Ctx:
    src: bytes
    coprocs: dict[int, tuple[str, ...]] = field(default_factory=dict)
    wrappers: tuple[str, ...] = ()
    stdin: Stdin = NO_STDIN
    level: int = 0  # bumped inside substitutions and function bodies (their stdout is not the stage's)
    background: bool = False
    func: str | None = None
    placeholders: frozenset[str] = frozenset()


def dedupe(items: tuple[str, ...]) -> tuple[str, ...]:
    return tuple(dict.fromkeys(items))


def heredoc_text(stdin: Stdin) -> str | None:
    return stdin.text if stdin.exact and stdin.heredoc else None


_STDOUT_OPS = frozenset({">", ">>", ">|", "&>", "&>>", "1>", "1>>", "1>|", ">&", "1>&"})


def stdout_literal(program: str, words: list[Word], stdin: Stdin,
                   redirects: tuple[Redirect, ...]) -> Lit | None:
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
        return (echo_e(text) if escapes else text) + ("\n" if newline else ""), exact, False
    if not values:
        return None
    printed = printf_format(values[0], values[1:])
    return (printed, exact, False) if printed is not None else None

