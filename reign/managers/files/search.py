"""file_list and file_search: walk the workspace the way git sees it (.gitignore files honoured, .git skipped).

Globs use gitignore's pattern language (pathspec): `*.tf` matches at any depth, `infra/**/*.tf` under infra.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pathspec

from reign.errors import ToolError
from reign.managers.files.paths import rel, resolve
from reign.managers.files.read import MAX_FILE_BYTES, redacted_lines
from reign.toolcontext import ToolContext

ALWAYS_SKIPPED = frozenset({".git"})
MAX_LISTED = 500
MAX_MATCHES = 200
MAX_LINE = 300


def _spec(lines: list[str]) -> pathspec.GitIgnoreSpec:
    return pathspec.GitIgnoreSpec.from_lines(lines)


def walk(start: Path, base: Path, *, ignored: bool = False) -> Iterator[Path]:
    """Files under `start`, skipping .git and (unless `ignored`) whatever the .gitignore files above them ignore.

    Symlinks are not followed out of the workspace: a link whose target leaves the root is skipped."""
    specs: list[tuple[Path, pathspec.GitIgnoreSpec]] = []
    if not ignored:
        chain = [base]
        for part in start.relative_to(base).parts[:-1]:
            chain.append(chain[-1] / part)
        for folder in chain:
            specs += _load_ignore(folder)

    def is_ignored(path: Path, is_dir: bool) -> bool:
        for folder, spec in specs:
            if path.is_relative_to(folder):
                name = path.relative_to(folder).as_posix() + ("/" if is_dir else "")
                if spec.match_file(name):
                    return True
        return False

    for dirpath, dirnames, filenames in os.walk(start):
        here = Path(dirpath)
        if not ignored and here != base:
            specs += _load_ignore(here)
        keep = []
        for d in sorted(dirnames):
            full = here / d
            if d in ALWAYS_SKIPPED or full.is_symlink() or (not ignored and is_ignored(full, True)):
                continue
            keep.append(d)
        dirnames[:] = keep
        for f in sorted(filenames):
            full = here / f
            if full.is_symlink() and not full.resolve().is_relative_to(base):
                continue
            if not ignored and is_ignored(full, False):
                continue
            yield full


def _load_ignore(folder: Path) -> list[tuple[Path, pathspec.GitIgnoreSpec]]:
    path = folder / ".gitignore"
    try:
        return [(folder, _spec(path.read_text(errors="replace").splitlines()))] if path.is_file() else []
    except OSError:
        return []


def _start(path: str, ctx: ToolContext) -> tuple[Path, Path]:
    base, start = resolve(path, ctx)
    if not start.is_dir():
        raise ToolError(f"{path}: not a directory under the workspace root")
    return base, start


def _glob_filter(glob: str | None) -> pathspec.GitIgnoreSpec | None:
    if not glob:
        return None
    try:
        return _spec([glob])
    except Exception as exc:  # pathspec raises several types for a bad pattern
        raise ToolError(f"bad glob {glob!r}: {exc}") from None


def list_files(*, path: str = ".", glob: str | None = None, include_ignored: bool = False,
               ctx: ToolContext) -> dict[str, Any]:
    """Files under `path` (relative to the workspace root) whose path matches `glob`; .gitignore honoured."""
    base, start = _start(path, ctx)
    spec = _glob_filter(glob)
    files: list[str] = []
    more = 0
    for full in walk(start, base, ignored=include_ignored):
        name = full.relative_to(start).as_posix()
        if spec is not None and not spec.match_file(name):
            continue
        if len(files) >= MAX_LISTED:
            more += 1
            continue
        files.append(rel(full, base))
    out: dict[str, Any] = {"path": rel(start, base), "files": files}
    if more:
        out["more"] = f"{more} more files not listed: narrow the path or glob"
    return out


def search(*, pattern: str, path: str = ".", glob: str | None = None, ignore_case: bool = False,
           include_ignored: bool = False, ctx: ToolContext) -> dict[str, Any]:
    """Lines matching a regular expression, as `file:line: text`; secrets are redacted before matching."""
    try:
        regex = re.compile(pattern, re.IGNORECASE if ignore_case else 0)
    except re.error as exc:
        raise ToolError(f"bad regular expression {pattern!r}: {exc}") from None
    base, start = _start(path, ctx)
    spec = _glob_filter(glob)
    matches: list[str] = []
    files_searched = more = 0
    for full in walk(start, base, ignored=include_ignored):
        if spec is not None and not spec.match_file(full.relative_to(start).as_posix()):
            continue
        try:
            if full.stat().st_size > MAX_FILE_BYTES:
                continue
            data = full.read_bytes()
        except OSError:
            continue
        if b"\x00" in data[:8192]:
            continue
        files_searched += 1
        # Matched against the redacted text, so that a pattern cannot probe a secret's value.
        for number, line in enumerate(redacted_lines(data.decode("utf-8", errors="replace")), 1):
            if regex.search(line):
                if len(matches) >= MAX_MATCHES:
                    more += 1
                    continue
                matches.append(f"{rel(full, base)}:{number}: {line[:MAX_LINE]}")
    out: dict[str, Any] = {"pattern": pattern, "files_searched": files_searched, "matches": matches}
    if more:
        out["more"] = f"{more} more matching lines not shown: narrow the pattern, path or glob"
    return out
