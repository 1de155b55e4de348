"""`gh`, `git push` and HTTP clients against the GitHub API read as the `github_*` calls they amount to.

`gh api -X DELETE repos/o/r`, `curl -X DELETE https://api.github.com/repos/o/r` and the tool
`github_delete_repo` are one call; the GitHub rules and facts decide all three the same way.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any

from reign.policy.facts.cli_options import split

if TYPE_CHECKING:
    from reign.policy.gate import GateCall

_REPO = r"/?repos/(?P<repo>[^/]+/[^/?#]+)"
# (method pattern, path pattern, tool, effect); first match wins; paths are relative to the API root.
_API: tuple[tuple[str, str, str, str], ...] = (
    ("GET|HEAD", r".*", "github_api_read", "read"),
    ("DELETE", _REPO + r"/?$", "github_delete_repo", "destructive"),
    ("PATCH", _REPO + r"/?$", "github_update_repo", "write"),
    (".*", _REPO + r"/branches/(?P<branch>.+?)/protection.*", "github_update_branch_protection", "write"),
    (".*", _REPO + r"/rulesets.*", "github_update_ruleset", "write"),
    ("DELETE", _REPO + r"/git/refs/heads/(?P<branch>.+)", "github_delete_branch", "destructive"),
    ("PATCH|POST", _REPO + r"/git/refs(/heads/(?P<branch>.+))?", "github_update_ref", "write"),
    ("PUT", _REPO + r"/pulls/(?P<number>\d+)/merge", "github_merge_pr", "write"),
    ("POST", _REPO + r"/actions/workflows/(?P<workflow>[^/]+)/dispatches", "github_dispatch_workflow", "write"),
    ("POST", _REPO + r"/actions/runs/(?P<run_id>\d+)/rerun.*", "github_rerun_run", "write"),
    ("PUT|POST|PATCH", _REPO + r"/(actions/)?(secrets|variables).*", "github_set_secret", "write"),
    ("PUT", _REPO + r"/contents/(?P<path>.+)", "github_write_contents", "write"),
    ("DELETE", r".*", "github_api_delete", "destructive"),
    (".*", r".*", "github_api_write", "write"),
)


_GRAPHQL_DESTROY = re.compile(r"\b(delete|remove|archive|transfer|unarchive|updateBranchProtection|"
                              r"updateRepository)\w*\s*\(", re.I)


def _graphql_call(query: str) -> GateCall:
    """A GraphQL call is read or not by its text, not its POST: a `query` reads, a `mutation` can do anything
    (deleteRepository too), and a query the gate cannot read (`-F query=@file`) is unknown."""
    from reign.policy.gate import GateCall

    text = query.strip()
    if text and not text.startswith("@") and not re.search(r"\bmutation\b", text):
        return GateCall(tool="github_graphql_query", args={}, effect="read", manager="github")
    effect = "destructive" if _GRAPHQL_DESTROY.search(text) else "unknown"
    return GateCall(tool="github_graphql_mutation", args={}, effect=effect, manager="github")


def api_call(method: str, path: str, fields: dict[str, Any]) -> GateCall:
    from reign.policy.gate import GateCall

    path = re.sub(r"^https?://[^/]+(/api/v3)?", "", path).split("?", 1)[0]
    method = method.upper()
    if path.strip("/") == "graphql":
        return _graphql_call(str(fields.get("query", "")))
    for methods, pattern, tool, effect in _API:
        found = re.fullmatch(pattern, path) if re.fullmatch(methods, method) else None
        if found:
            args = {k: v for k, v in found.groupdict().items() if v is not None}
            if tool == "github_update_ref" and str(fields.get("force", "")).lower() == "true":
                args["force"] = True
            if tool == "github_dispatch_workflow":
                args["inputs"] = {k.removeprefix("inputs[").rstrip("]"): v for k, v in fields.items()
                                  if k.startswith("inputs")}
            return GateCall(tool=tool, args=args, effect=effect, manager="github")
    raise AssertionError("the last pattern matches everything")  # pragma: no cover


def gh_calls(argv: tuple[str, ...]) -> list[GateCall]:
    from reign.policy.gate import GateCall

    line = split(argv, "gh")
    words = line.words
    if words[:1] == ["api"]:
        fields = {}
        for raw in line.values("-f", "--raw-field", "-F", "--field"):
            key, _, value = raw.partition("=")
            fields[key] = value
        method = line.value("-X", "--method") or ("POST" if fields or line.has("--input") else "GET")
        return [api_call(method, words[1] if len(words) > 1 else "", fields)]
    repo = line.value("-R", "--repo") or ""
    group, verb = [*words, "", ""][:2]
    table: dict[tuple[str, str], tuple[str, str]] = {
        ("repo", "delete"): ("github_delete_repo", "destructive"),
        ("repo", "archive"): ("github_update_repo", "write"), ("repo", "edit"): ("github_update_repo", "write"),
        ("repo", "rename"): ("github_update_repo", "write"), ("repo", "clone"): ("github_clone", "write"),
        ("pr", "merge"): ("github_merge_pr", "write"), ("pr", "create"): ("github_create_pr", "write"),
        ("pr", "close"): ("github_close_pr", "write"), ("pr", "comment"): ("github_comment", "write"),
        ("pr", "review"): ("github_review_pr", "write"), ("pr", "checkout"): ("github_checkout", "write"),
        ("issue", "create"): ("github_create_issue", "write"), ("issue", "comment"): ("github_comment", "write"),
        ("issue", "close"): ("github_close_issue", "write"), ("issue", "delete"): ("github_delete_issue",
                                                                                   "destructive"),
        ("issue", "edit"): ("github_label_issue", "write"), ("run", "rerun"): ("github_rerun_run", "write"),
        ("run", "cancel"): ("github_cancel_run", "write"), ("run", "delete"): ("github_delete_run", "destructive"),
        ("workflow", "run"): ("github_dispatch_workflow", "write"),
        ("workflow", "enable"): ("github_update_workflow", "write"),
        ("workflow", "disable"): ("github_update_workflow", "write"),
        ("release", "create"): ("github_create_release", "write"),
        ("release", "delete"): ("github_delete_release", "destructive"),
        ("secret", "set"): ("github_set_secret", "write"), ("secret", "delete"): ("github_delete_secret",
                                                                                  "destructive"),
        ("variable", "set"): ("github_set_secret", "write"),
        ("auth", "token"): ("github_auth_token", "unknown"), ("auth", "login"): ("github_auth_login", "write"),
        ("auth", "logout"): ("github_auth_logout", "write"), ("auth", "refresh"): ("github_auth_login", "write"),
        ("extension", "install"): ("github_extension_install", "unknown"),
        ("cache", "delete"): ("github_delete_cache", "destructive"), ("gist", "delete"): ("github_delete_gist",
                                                                                          "destructive"),
        ("ruleset", "delete"): ("github_update_ruleset", "destructive"), ("label", "delete"): ("github_delete_label",
                                                                                         "destructive"),
    }
    reads = {"view", "list", "status", "diff", "checks", "watch", "download", "search", "browse", "ls", "check"}
    tool, effect = table.get((group, verb), ("", ""))
    if not tool:
        if group in ("config", "alias", "extension") and verb not in ("list", "get"):
            tool, effect = f"github_{group}", "write"
        elif verb in reads or group in ("search", "status", "browse", "help", "version", "completion", "") or \
                (group == "auth" and verb == "status"):
            tool, effect = f"github_{group or 'help'}_read", "read"
        else:
            tool, effect = f"github_{group}_{verb}".rstrip("_"), "unknown"
    args: dict[str, Any] = {"repo": repo} if repo else {}
    if tool == "github_dispatch_workflow":
        args["workflow"] = words[2] if len(words) > 2 else ""
        args["inputs"] = dict(v.partition("=")[::2] for v in line.values("-f", "--raw-field", "-F", "--field"))
    if tool == "github_merge_pr" and line.flag("--admin"):
        args["admin"] = True
    return [GateCall(tool=tool, args=args, effect=effect, manager="github")]


def git_push_calls(argv: tuple[str, ...]) -> list[GateCall]:
    """Branch deletions by push (`git push origin :main`, `--delete main`) are github_delete_branch."""
    from reign.policy.gate import GateCall

    line = split(argv, "git")
    words = line.words
    if words[:1] != ["push"]:
        return []
    refs = words[2:]
    deleted = [r[1:] for r in refs if r.startswith(":")]
    if line.flag("-d", "--delete"):
        deleted += [r for r in refs if not r.startswith(":")]
    return [GateCall(tool="github_delete_branch", args={"branch": b.removeprefix("refs/heads/")},
                     effect="destructive", manager="github") for b in deleted if b]


_HTTP_CLIENTS = frozenset({"curl", "wget", "http", "https", "xh"})


def http_calls(program: str, argv: tuple[str, ...], api_hosts: tuple[str, ...]) -> list[GateCall]:
    """curl/wget/httpie against the GitHub API (api.github.com or the configured base URL)."""
    urls = [w for w in argv if re.match(r"^(https?://)?[^/\s]+", w) and any(
        re.match(rf"^(https?://)?{re.escape(h)}(/|$)", w) for h in api_hosts)]
    if not urls:
        return []
    method = "GET"
    fields: dict[str, Any] = {}
    for i, word in enumerate(argv):
        nxt = argv[i + 1] if i + 1 < len(argv) else ""
        if word in ("-X", "--request", "--method"):
            method = nxt
        elif word.startswith(("-X", "--request=", "--method=")) and len(word) > 2:
            method = word.split("=", 1)[-1] if "=" in word else word[2:]
        elif word in ("-d", "--data", "--data-raw", "--data-binary", "--json", "--post-data", "--body-data"):
            if method == "GET":
                method = "POST"
            if '"force": true' in nxt.replace("'", '"') or '"force":true' in nxt:
                fields["force"] = "true"
    if program in ("http", "https", "xh") and argv and argv[0].upper() in ("DELETE", "PUT", "PATCH", "POST"):
        method = argv[0]
    return [api_call(method, u if u.startswith("http") else "https://" + u, fields) for u in urls[:4]]
