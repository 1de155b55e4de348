"""The working directory along a command string: `cd`, `pushd`, `popd`, and relative words resolved
against it, so that `cd /etc && rm -rf ./*` is seen touching `/etc/*`.

A directory is START_DIR (where the string starts: the tool's working directory), a path (absolute,
`~`-rooted, or relative to START_DIR) or None (unknown: `cd "$dir"`, `cd -` with no previous one,
a `cd` that may or may not have run). Pure string work, no filesystem.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field, replace

from reign.policy.bash.segment import START_DIR
from reign.policy.bash.words import Word

CHDIR_PROGRAMS = frozenset({"cd", "pushd", "popd"})
_HOME_WORD = re.compile(r"^(\$HOME|\$\{HOME\})(?=/|$)")
_NOT_PATH = re.compile(r"^[a-z][a-z0-9+.-]*://|^[\w.-]+@[\w.-]+:|^[\w-]+:(?!/)")  # URLs, user@host:, host:path


@dataclass(frozen=True, slots=True)
class Dirs:
    cwd: str | None = START_DIR
    oldpwd: str | None = None  # the caller's OLDPWD is not known
    stack: tuple[str | None, ...] = field(default=())  # pushd's directory stack, top first (without cwd)


def join(base: str | None, word: str) -> str | None:
    """`word` as a path seen from `base`; None when that cannot be known."""
    home = _HOME_WORD.sub("~", word)
    if home.startswith(("/", "~")):
        return _collapse(home)
    if base is None:
        return None
    if base == START_DIR:
        return _collapse(home) if home not in ("", ".") else START_DIR
    return _collapse(f"{base}/{home}")


def _collapse(path: str) -> str:
    """`a/./b//../c` -> `a/c`; keeps a leading `/` or `~user`, and `..` that climb above a relative
    or `~` start (the home path is not known here)."""
    if path.startswith("/"):
        root, parts = "/", path[1:].split("/")
    elif path.startswith("~"):
        first, _, rest = path.partition("/")
        root, parts = first + "/", rest.split("/")
    else:
        root, parts = "", path.split("/")
    out: list[str] = []
    for p in parts:
        if p in ("", "."):
            continue
        if p == ".." and out and out[-1] != "..":
            out.pop()
        elif p == ".." and root == "/":
            continue  # `/..` is `/`
        else:
            out.append(p)
    if root == "/":
        return "/" + "/".join(out)
    if root:
        return root + "/".join(out) if out else root[:-1]
    return "/".join(out) or START_DIR


def chdir(dirs: Dirs, program: str, args: list[Word]) -> Dirs:
    """The directories after `cd` / `pushd` / `popd` with these arguments (assumed to succeed)."""
    operands = [w for w in args if w.dynamic or not w.value.startswith("-") or w.value == "-"]
    if args and not args[0].dynamic and args[0].value == "--":
        operands = args[1:]
    if program == "popd":
        if operands or not dirs.stack:
            return Dirs(None, dirs.cwd, ())  # `popd +N` or an empty stack: not followed
        return Dirs(dirs.stack[0], dirs.cwd, dirs.stack[1:])
    if program == "pushd" and not operands:  # swap the top two
        if not dirs.stack:
            return dirs
        return Dirs(dirs.stack[0], dirs.cwd, (dirs.cwd, *dirs.stack[1:]))
    if len(operands) > 1:
        return replace(dirs, cwd=None, oldpwd=dirs.cwd)
    target = _target(dirs, operands[0] if operands else None)
    if program == "pushd":
        if operands and operands[0].value.startswith(("+", "-")) and operands[0].value[1:].isdigit():
            return Dirs(None, dirs.cwd, ())  # rotating the stack: not followed
        return Dirs(target, dirs.cwd, (dirs.cwd, *dirs.stack))
    return replace(dirs, cwd=target, oldpwd=dirs.cwd)


def _target(dirs: Dirs, word: Word | None) -> str | None:
    if word is None:
        return "~"
    if word.dynamic:
        value = _HOME_WORD.sub("~", word.raw.strip('"'))
        return join(dirs.cwd, value) if "$" not in value and "`" not in value else None
    if word.value == "-":
        return dirs.oldpwd
    value = word.value
    if value == "~" or value.startswith("~/"):
        return join(dirs.cwd, value)
    if value.startswith("~"):
        user, _, rest = value[1:].partition("/")
        if not re.fullmatch(r"[a-z_][a-z0-9_.-]*", user):
            return None
        return join(None, ("/root" if user == "root" else f"/home/{user}") + (f"/{rest}" if rest else ""))
    return join(dirs.cwd, value)


def resolve_words(cwd: str | None, words: list[Word]) -> tuple[str, ...]:
    """argv with each relative operand resolved against cwd; () when cwd is START_DIR (nothing moved).

    An operand is a literal word that is not an option, a URL or `host:path`; `name=value` operands
    (dd's `of=`) have their value resolved. With an unknown cwd, relative operands are marked `?/word`.
    """
    if cwd == START_DIR or not words:
        return ()
    out = [words[0].argv]
    for w in words[1:]:
        out.append(w.argv if w.dynamic else _resolve(cwd, w.value))
    return tuple(out)


def _resolve(cwd: str | None, value: str) -> str:
    if not value or value.startswith(("-", "/", "~", "$")) or _NOT_PATH.match(value):
        return value
    name, eq, rest = value.partition("=")
    if eq:
        if re.fullmatch(r"[a-z]+", name) and rest and not rest.startswith(("/", "~", "$")):
            return f"{name}={_resolve(cwd, rest)}"
        return value
    joined = join(cwd, value)
    return joined if joined is not None else f"?/{value}"


def resolve_target(cwd: str | None, target: str, dynamic: bool) -> str | None:
    """A redirection target resolved against cwd (None when it needs no resolving)."""
    if cwd == START_DIR or dynamic or target.startswith(("/", "~", "&")) or target.isdigit() or target == "-":
        return None
    joined = join(cwd, target)
    return joined if joined is not None else f"?/{target}"
