"""Local git work behind `github_propose_change`: a change becomes a branch, a commit and a push.

Real git, run as argv lists (no shell) through reign.process.run_argv with a timeout. One clone per
repository lives under the work dir (`settings.github_work_dir`, else $REIGN_GITHUB_WORK_DIR, else
<state dir>/github) and is reused: each change fetches the base branch, starts a fresh branch from it, and
pushes with a plain refspec (never `+`, never --force), so an existing branch is never overwritten.

The remote is `settings.github_clone_url` / $REIGN_GITHUB_CLONE_URL when set (a template with {owner},
{repo}, {full_name}; tests use file:// bare repositories), else the web host of github_base_url
(https://github.com/OWNER/REPO.git, or https://HOST/OWNER/REPO.git on GitHub Enterprise). For an https
remote on that host the token goes to git as an `http.<host>.extraheader` in the child's environment
(GIT_CONFIG_COUNT): never on the command line, never in .git/config, never in output.
"""

from __future__ import annotations

import base64
import contextlib
import difflib
import fcntl
import hashlib
import json
import os
import posixpath
import re
import shutil
import urllib.parse
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from reign.errors import ToolError
from reign.process import child_env, run_argv
from reign.toolcontext import ToolContext
from reign.withheld import GITHUB_TOKENS, without

FALLBACK_NAME = "Reign agent"
FALLBACK_EMAIL = "reign-agent@users.noreply.github.com"
FOOTER = ("Proposed by Reign (an AI agent) as a pull request instead of a direct change: "
          "nothing is applied until this is reviewed and merged.")
_MAX_EDIT_BYTES = 2_000_000
_ENV_CONFIG = re.compile(r"^GIT_CONFIG_(COUNT|KEY_\d+|VALUE_\d+|PARAMETERS)$")  # replaced by the auth header's


# --------------------------------------------------------------------------------------------- remote


@dataclass(frozen=True)
class Remote:
    url: str
    env: dict[str, str] = field(default_factory=dict, repr=False, compare=False)  # holds the auth header

    @property
    def shown(self) -> str:
        parts = urllib.parse.urlsplit(self.url)
        if parts.password or parts.username:
            host = parts.hostname or ""
            return urllib.parse.urlunsplit((parts.scheme, host, parts.path, "", ""))
        return self.url


def _setting(ctx: ToolContext, name: str) -> str | None:
    value = getattr(ctx.settings, name, None) or os.environ.get(f"REIGN_{name.upper()}")
    return str(value) if value else None


def web_root(api_base: str) -> str:
    """https://api.github.com -> https://github.com; https://ghe.example/api/v3 -> https://ghe.example."""
    parts = urllib.parse.urlsplit(api_base.rstrip("/"))
    host = parts.netloc
    if host == "api.github.com":
        host = "github.com"
    elif host.startswith("api."):
        host = host[4:]
    return f"{parts.scheme or 'https'}://{host}"


def remote_for(ctx: ToolContext, repo: str) -> Remote:
    owner, _, name = repo.partition("/")
    template = _setting(ctx, "github_clone_url")
    web = web_root(ctx.settings.github_base_url or "https://api.github.com")
    url = template.format(owner=owner, repo=name, full_name=repo) if template else f"{web}/{repo}.git"
    env: dict[str, str] = {}
    secret = ctx.settings.github_token
    parts = urllib.parse.urlsplit(url)
    if secret is not None and parts.scheme == "https" and f"https://{parts.netloc}" == web:
        basic = base64.b64encode(f"x-access-token:{secret.get_secret_value()}".encode()).decode()
        env = {"GIT_CONFIG_COUNT": "1", "GIT_CONFIG_KEY_0": f"http.{web}/.extraheader",
               "GIT_CONFIG_VALUE_0": f"AUTHORIZATION: basic {basic}"}
    return Remote(url=url, env=env)


def work_dir(ctx: ToolContext) -> Path:
    configured = _setting(ctx, "github_work_dir")
    if configured:
        return Path(configured).expanduser()
    from reign.config import state_dir

    return state_dir() / "github"


# --------------------------------------------------------------------------------------------- running git


@dataclass
class Clone:
    path: Path
    remote: Remote
    timeout: float

    def env(self) -> dict[str, str]:
        env = {k: v for k, v in without(child_env(), GITHUB_TOKENS).items() if not _ENV_CONFIG.match(k)}
        env.update({"GIT_TERMINAL_PROMPT": "0", "GCM_INTERACTIVE": "never", "LC_ALL": "C", "GIT_EDITOR": "true"})
        env.update(self.remote.env)
        return env

    def writable(self) -> list[Path]:
        """What git may write in the sandbox: the clone's folder, and a remote that is a local repository."""
        paths = [self.path.parent]
        url = self.remote.url.removeprefix("file://")
        if url.startswith("/") and Path(url).exists():
            paths.append(Path(url))
        return paths

    def git(self, *args: str, network: bool = False, check: bool = True, cwd: Path | None = None) -> str:
        timeout = max(self.timeout, 180.0) if network else max(self.timeout, 30.0)
        res = run_argv(["git", *args], timeout=timeout, cap=400_000, cwd=cwd or self.path, env=self.env(),
                       writable=self.writable())
        if res.timed_out:
            raise ToolError(f"git {args[0]} timed out after {timeout:.0f} s")
        if check and res.exit_code != 0:
            raise ToolError(f"git {args[0]} failed: {_last_line(res.stderr or res.stdout)}")
        return res.stdout

    def ok(self, *args: str) -> bool:
        res = run_argv(["git", *args], timeout=max(self.timeout, 30.0), cap=10_000, cwd=self.path, env=self.env(),
                       writable=self.writable())
        return res.exit_code == 0


def _last_line(text: str) -> str:
    from reign.redact import redact

    lines = [ln.strip() for ln in text.splitlines() if ln.strip() and not ln.startswith("hint:")]
    fatal = [ln for ln in lines if ln.startswith(("fatal:", "error:", "!", "remote:"))]
    line = (fatal or lines or ["(no output)"])[-1]
    return redact(line)[:300]


@contextlib.contextmanager
def locked_clone(ctx: ToolContext, repo: str, remote: Remote) -> Iterator[Clone]:
    """The reusable clone of `repo` (cloned on first use), locked against concurrent proposals."""
    root = work_dir(ctx)
    owner, _, name = repo.partition("/")
    if not re.fullmatch(r"[A-Za-z0-9_.-]+", owner) or not re.fullmatch(r"[A-Za-z0-9_.-]+", name) \
            or owner in (".", "..") or name in (".", ".."):
        raise ToolError(f"not a repository name: {repo!r} (owner/name)")
    path = root / owner / name
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path.parent / f".{name}.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        clone = Clone(path=path, remote=remote, timeout=float(ctx.settings.tool_timeout))
        _ensure_clone(clone)
        yield clone


def _ensure_clone(clone: Clone) -> None:
    if (clone.path / ".git").is_dir() and clone.ok("rev-parse", "--git-dir"):
        if clone.git("remote", "get-url", "origin", check=False).strip() != clone.remote.url:
            clone.git("remote", "set-url", "origin", clone.remote.url)
        return
    if clone.path.exists():
        shutil.rmtree(clone.path)
    clone.git("clone", "--quiet", "--no-tags", "--no-checkout", "--filter=blob:none", "--origin", "origin",
              clone.remote.url, str(clone.path), network=True, cwd=clone.path.parent)


# --------------------------------------------------------------------------------------------- planning


@dataclass
class FileChange:
    path: str
    old: str | None  # None: the file is new
    new: str | None  # None: the file is deleted
    how: str

    def summary(self) -> str:
        return f"{self.path} ({self.how})"


@dataclass
class ChangePlan:
    repo: str
    base: str
    base_sha: str
    branch: str
    title: str
    why: str
    changes: list[FileChange]

    def diff(self) -> str:
        out = []
        for ch in self.changes:
            a = [] if ch.old is None else ch.old.splitlines(keepends=True)
            b = [] if ch.new is None else ch.new.splitlines(keepends=True)
            lines = list(difflib.unified_diff(a, b, "/dev/null" if ch.old is None else f"a/{ch.path}",
                                              "/dev/null" if ch.new is None else f"b/{ch.path}"))
            out.append("".join(ln if ln.endswith("\n") else ln + "\n\\ No newline at end of file\n"
                               for ln in lines))
        return "".join(out)

    def preview(self) -> str:
        """Deterministic: the same base content and edits give the same text (what an approval binds to)."""
        return (f"Pull request in {self.repo}: {self.branch} -> {self.base}\n"
                f"Title: {self.title}\nWhy: {self.why.strip()}\n\n{self.diff()}")


def _check_path(raw: Any) -> str:
    if not isinstance(raw, str) or not raw.strip() or "\x00" in raw:
        raise ToolError("each edit needs a `path` inside the repository")
    if raw.startswith(("/", "~")) or re.match(r"^[A-Za-z]:[\\/]", raw):
        raise ToolError(f"edit path {raw!r} must be relative to the repository root")
    path = posixpath.normpath(raw.replace("\\", "/"))
    if path in (".", "") or path == ".." or path.startswith("../"):
        raise ToolError(f"edit path {raw!r} leaves the repository")
    if path == ".git" or path.startswith(".git/") or "/.git/" in f"/{path}/":
        raise ToolError(f"edit path {raw!r} is inside .git")
    return path


def _slug(text: str) -> str:
    slug = re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")
    return slug[:40].rstrip("-") or "change"


def _base_branch(clone: Clone, base: str | None) -> str:
    if base:
        return base
    out = clone.git("ls-remote", "--symref", "origin", "HEAD", network=True)
    m = re.search(r"^ref: refs/heads/(\S+)\s+HEAD", out, re.M)
    if not m:
        raise ToolError("cannot tell the repository's default branch: name `base`")
    return m.group(1)


def _read_base(clone: Clone, base_sha: str, path: str) -> str | None:
    listing = clone.git("ls-tree", "-z", base_sha, "--", path)
    if not listing:
        return None
    mode, kind = listing.split(" ", 2)[:2]
    if kind != "blob" or mode == "120000":
        raise ToolError(f"{path} is a {'symlink' if mode == '120000' else kind} on the base branch: "
                        "only regular files can be edited")
    size = int(clone.git("cat-file", "-s", f"{base_sha}:{path}", network=True).strip() or 0)
    if size > _MAX_EDIT_BYTES:
        raise ToolError(f"{path} is {size} bytes: too large to edit through a change proposal")
    res = run_argv(["git", "cat-file", "blob", f"{base_sha}:{path}"], timeout=max(clone.timeout, 120.0),
                   cap=_MAX_EDIT_BYTES * 2, cwd=clone.path, env=clone.env(), writable=clone.writable())
    if res.exit_code != 0:
        raise ToolError(f"cannot read {path} on the base branch: {_last_line(res.stderr)}")
    if "\x00" in res.stdout or "\ufffd" in res.stdout:
        raise ToolError(f"{path} is not a UTF-8 text file: only text files can be edited")
    return res.stdout


def plan_change(clone: Clone, *, repo: str, title: str, why: str, edits: list[dict[str, Any]],
                base: str | None, branch: str | None) -> ChangePlan:
    """Fetch the base branch and work out every file's new content (nothing is written yet)."""
    if not edits:
        raise ToolError("give at least one edit")
    base = _base_branch(clone, base)
    clone.git("fetch", "--quiet", "--no-tags", "--prune", "origin",
              f"+refs/heads/{base}:refs/remotes/origin/{base}", network=True, check=False)
    if not clone.ok("rev-parse", "--verify", "--quiet", f"refs/remotes/origin/{base}^{{commit}}"):
        raise ToolError(f"base branch {base!r} not found in {repo}")
    base_sha = clone.git("rev-parse", f"refs/remotes/origin/{base}").strip()
    current: dict[str, str | None] = {}
    original: dict[str, str | None] = {}
    hows: dict[str, list[str]] = {}
    for i, edit in enumerate(edits):
        path = _check_path(edit.get("path"))
        if path not in current:
            original[path] = current[path] = _read_base(clone, base_sha, path)
        before = current[path]
        kinds = [k for k in ("content", "search", "delete") if edit.get(k) not in (None, False)]
        if len(kinds) != 1:
            raise ToolError(f"edit {i} ({path}): give exactly one of content, search+replace, delete")
        if kinds[0] == "content":
            current[path] = str(edit["content"])
            hows.setdefault(path, []).append("created" if before is None else "rewritten")
        elif kinds[0] == "delete":
            if before is None:
                raise ToolError(f"edit {i}: cannot delete {path}: it does not exist on {base}")
            current[path] = None
            hows.setdefault(path, []).append("deleted")
        else:
            search, replace = str(edit["search"]), edit.get("replace")
            if replace is None:
                raise ToolError(f"edit {i} ({path}): search needs a replace")
            if before is None:
                raise ToolError(f"edit {i}: {path} does not exist on {base}; use content to create it")
            count = before.count(search)
            if count == 0:
                raise ToolError(f"edit {i}: the search text is not in {path} on {base} (it must match exactly, "
                                "whitespace included): read the file and try again")
            if count > 1 and not edit.get("replace_all"):
                raise ToolError(f"edit {i}: the search text occurs {count} times in {path}: include more "
                                "surrounding lines, or set replace_all")
            current[path] = before.replace(search, str(replace))
            hows.setdefault(path, []).append(f"{count} replacement{'s' if count > 1 else ''}")
        if current[path] is not None and len(str(current[path]).encode()) > _MAX_EDIT_BYTES:
            raise ToolError(f"{path}: new content is over {_MAX_EDIT_BYTES // 1_000_000} MB")
    changes = [FileChange(p, original[p], current[p], ", ".join(hows[p])) for p in current
               if current[p] != original[p]]
    if not changes:
        raise ToolError(f"the edits change nothing on {base}")
    digest = hashlib.sha256(json.dumps([base, [[c.path, c.new] for c in changes]]).encode()).hexdigest()[:8]
    name = branch or f"reign/{_slug(title)}-{digest}"
    if not clone.ok("check-ref-format", "--branch", name) or name.startswith("-"):
        raise ToolError(f"{name!r} is not a valid branch name")
    if name == base:
        raise ToolError("the change branch must differ from the base branch")
    if clone.git("ls-remote", "--heads", "origin", f"refs/heads/{name}", network=True).strip():
        raise ToolError(f"branch {name} already exists in {repo}: a change proposal never overwrites a branch; "
                        "name another branch")
    return ChangePlan(repo=repo, base=base, base_sha=base_sha, branch=name, title=title, why=why,
                      changes=changes)


# --------------------------------------------------------------------------------------------- applying


def _no_symlinks(root: Path, rel: str) -> Path:
    """`rel` under the clone, refused when it or a folder on its way is a symlink (a write must stay inside)."""
    target = root / rel
    for parent in [*reversed(target.relative_to(root).parents)][1:]:
        if (root / parent).is_symlink():
            raise ToolError(f"{rel}: {parent} is a symlink in the repository; refusing to write through it")
    if target.is_symlink():
        raise ToolError(f"{rel} is a symlink; refusing to write through it")
    return target


def _identity(clone: Clone) -> list[str]:
    args = []
    if not clone.git("config", "--get", "user.name", check=False).strip():
        args += ["-c", f"user.name={FALLBACK_NAME}"]
    if not clone.git("config", "--get", "user.email", check=False).strip():
        args += ["-c", f"user.email={FALLBACK_EMAIL}"]
    return args


def commit_and_push(clone: Clone, plan: ChangePlan) -> str:
    """Check out a fresh branch at the planned base commit, write the files, commit, push. Returns the commit."""
    clone.git("checkout", "--quiet", "--force", "-B", plan.branch, plan.base_sha)
    clone.git("clean", "-ffdxq")
    paths = []
    for ch in plan.changes:
        target = _no_symlinks(clone.path, ch.path)
        if ch.new is None:
            clone.git("rm", "--quiet", "--", ch.path)
        else:
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_bytes(ch.new.encode())
        paths.append(ch.path)
    clone.git("add", "--all", "--", *paths)
    if clone.ok("diff", "--cached", "--quiet"):
        raise ToolError(f"the edits change nothing on {plan.base}")
    message = ["-m", plan.title, "-m", plan.why.strip()]
    clone.git(*_identity(clone), "commit", "--quiet", "--no-verify", *message)
    commit = clone.git("rev-parse", "HEAD").strip()
    clone.git("push", "--quiet", "--no-verify", "--porcelain", "origin", f"HEAD:refs/heads/{plan.branch}",
              network=True)
    return commit


def pr_body(plan: ChangePlan) -> str:
    lines = [plan.why.strip(), "", "**Changes**"]
    lines += [f"- `{ch.path}`: {ch.how}" for ch in plan.changes]
    lines += ["", f"Base: `{plan.base}` at {plan.base_sha[:12]}", "", f"<sub>{FOOTER}</sub>"]
    return "\n".join(lines)
