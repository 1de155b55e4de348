"""Facts about GitHub calls that a plain argument predicate cannot express.

Facts:
  protected_branch    the call's `branch` (github_delete_branch, github_create_branch, github_propose_change's
                      head branch) matches a pattern of the gate context's protected_branches
                      (main, master, release/* by default); `refs/heads/` is ignored
  edits_workflows     a github_propose_change edit touches .github/workflows/ or .github/actions/ (a pushed
                      branch can run its own workflows with the repository's secrets)
  unsafe_edit_path    a github_propose_change edit path is absolute, leaves the repository (`..`), or is in .git
The default branch is not known to the gate (it would take an API call): github_delete_branch checks it
against the API itself and refuses.
"""

from __future__ import annotations

import fnmatch
import posixpath
import re
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from reign.policy.gate import GateContext

_BRANCH_TOOLS = ("github_delete_branch", "github_create_branch", "github_propose_change")
_WORKFLOW_DIRS = (".github/workflows/", ".github/actions/")


def _protected(name: str, patterns: tuple[str, ...]) -> bool:
    name = name.removeprefix("refs/heads/")
    return any(fnmatch.fnmatchcase(name, p) for p in patterns)


def _normal(path: str) -> str | None:
    """The repository-relative path, or None when it is absolute, escapes the repository, or is in .git."""
    raw = path.replace("\\", "/")
    if not raw.strip() or raw.startswith(("/", "~")) or re.match(r"^[A-Za-z]:/", raw) or "\x00" in raw:
        return None
    norm = posixpath.normpath(raw)
    if norm in (".", "..") or norm.startswith("../") or norm == ".git" or norm.startswith(".git/") \
            or "/.git/" in f"/{norm}/":
        return None
    return norm


def facts(tool: str, args: dict[str, Any], ctx: GateContext) -> set[str]:
    found: set[str] = set()
    branch = args.get("branch")
    if tool in _BRANCH_TOOLS and isinstance(branch, str) and _protected(branch, ctx.protected_branches):
        found.add("protected_branch")
    if tool == "github_propose_change":
        for edit in args.get("edits") or []:
            path = edit.get("path") if isinstance(edit, dict) else None
            if not isinstance(path, str):
                continue
            norm = _normal(path)
            if norm is None:
                found.add("unsafe_edit_path")
            elif norm.startswith(_WORKFLOW_DIRS) or norm in (".github/workflows", ".github/actions"):
                found.add("edits_workflows")
    return found
