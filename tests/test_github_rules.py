"""Gate decisions for the GitHub and CI/CD tools (and the git/gh commands of bash that do the same things),
as one table, through the real default policy, catalogue and classifiers."""

from __future__ import annotations

from typing import Any

import pytest

from reign.catalogue import Catalogue
from reign.policy import load_checked_policy
from reign.policy.gate import GateCall, GateContext, decide

pytestmark = pytest.mark.github

R = {"repo": "octo/app"}
EDIT = [{"path": "charts/web/values.yaml", "search": 'tag: "1.4.2"', "replace": 'tag: "1.5.0"'}]
PROPOSE = {**R, "title": "Bump", "why": "release", "edits": EDIT}

# tool, args, effect (None: from the catalogue), expected action, expected rule (None: any rule)
TABLE: list[tuple[str, dict[str, Any], str | None, str, str | None]] = [
    ("github_repo_info", R, None, "allow", "fallback-read"),
    ("github_read_file", {**R, "path": "charts/web/values.yaml"}, None, "allow", "fallback-read"),
    ("github_search_code", {"query": "image:"}, None, "allow", "fallback-read"),
    ("github_read_pr", {**R, "number": 7}, None, "allow", "fallback-read"),
    ("github_branch_protection", {**R, "branch": "main"}, None, "allow", "fallback-read"),
    ("github_run_logs", {**R, "run_id": 1}, None, "allow", "fallback-read"),
    ("github_create_issue", {**R, "title": "x"}, None, "ask", "fallback-write"),
    ("github_comment", {**R, "number": 1, "body": "x"}, None, "ask", "fallback-write"),
    ("github_label_issue", {**R, "number": 1, "add": ["bug"]}, None, "ask", "fallback-write"),
    ("github_create_pr", {**R, "title": "x", "head": "feature"}, None, "ask", "fallback-write"),
    ("github_request_review", {**R, "number": 1, "reviewers": ["bo"]}, None, "ask", "fallback-write"),
    ("github_create_branch", {**R, "branch": "feature/x"}, None, "ask", "fallback-write"),
    ("github_merge_pr", {**R, "number": 7}, None, "ask", "github-merge-asks"),
    ("github_merge_pr", {**R, "number": 7, "method": "squash"}, None, "ask", "github-merge-asks"),
    ("github_rerun_run", {**R, "run_id": 1}, None, "ask", "github-rerun-asks"),
    ("github_dispatch_workflow", {**R, "workflow": "deploy.yml"}, None, "ask", "github-dispatch-asks"),
    ("github_propose_change", PROPOSE, None, "ask", "github-propose-change"),
    ("github_propose_change", {**PROPOSE, "edits": [{"path": ".github/workflows/ci.yml", "content": "x"}]}, None,
     "ask", None),
    ("github_propose_change", {**PROPOSE, "branch": "main"}, None, "deny", "github-propose-to-protected-branch"),
    ("github_propose_change", {**PROPOSE, "branch": "release/2.0"}, None, "deny",
     "github-propose-to-protected-branch"),
    ("github_propose_change", {**PROPOSE, "edits": [{"path": "../../.ssh/authorized_keys", "content": "x"}]}, None,
     "deny", "github-edit-path-outside-repo"),
    ("github_propose_change", {**PROPOSE, "edits": [{"path": ".git/hooks/post-checkout", "content": "x"}]}, None,
     "deny", "github-edit-path-outside-repo"),
    ("github_delete_branch", {**R, "branch": "main"}, None, "deny", "github-delete-protected-branch"),
    ("github_delete_branch", {**R, "branch": "master"}, None, "deny", "github-delete-protected-branch"),
    ("github_delete_branch", {**R, "branch": "release/1.4"}, None, "deny", "github-delete-protected-branch"),
    ("github_delete_branch", {**R, "branch": "reign/bump-web-image-e8be8043"}, None, "ask", "destructive-asks"),
    # tools Reign does not ship, as a user catalogue or an MCP server might add them
    ("github_delete_repo", R, "destructive", "deny", "github-delete-repository"),
    ("github_delete_repository", R, "destructive", "deny", "github-delete-repository"),
    ("github_update_branch_protection", {**R, "branch": "main"}, "write", "deny", "github-change-branch-protection"),
    ("github_delete_branch_protection", {**R, "branch": "main"}, "destructive", "deny",
     "github-change-branch-protection"),
    ("github_update_ref", {**R, "ref": "heads/main", "sha": "abc", "force": True}, "write", "deny",
     "github-force-update"),
    # the same things through the bash tool
    ("bash", {"command": "git push --force origin feature/x"}, "write", "deny", "github-force-push"),
    ("bash", {"command": "git push --force-with-lease"}, "write", "deny", None),
    ("bash", {"command": "git push origin +main"}, "write", "deny", None),
    ("bash", {"command": "gh repo delete octo/app --yes"}, "write", "deny", "github-delete-repository"),
    ("bash", {"command": "gh api -X DELETE repos/octo/app"}, "write", "deny", "github-delete-repository"),
    ("bash", {"command": "gh api -X PUT repos/octo/app/branches/main/protection --input p.json"}, "write", "deny",
     "github-change-branch-protection"),
    ("bash", {"command": "git push origin reign/bump"}, "write", "ask", None),
    # CI/CD
    ("cicd_detect", {"path": "."}, None, "allow", "fallback-read"),
    ("cicd_generate", {"path": "."}, None, "allow", "fallback-read"),
    ("cicd_validate", {"content": "name: x"}, None, "allow", "fallback-read"),
    ("cicd_write_workflows", {"path": "."}, None, "ask", "cicd-write-workflows-asks"),
    ("cicd_run_local", {"workflow": ".github/workflows/ci.yml"}, None, "ask", "cicd-run-local-asks"),
    ("cicd_detect", {"path": "../elsewhere"}, None, "deny", "cicd-path-parent-deny"),
    ("cicd_run_local", {"workflow": "../../evil.yml"}, None, "deny", "cicd-workflow-parent-deny"),
]


@pytest.fixture(scope="module")
def policy() -> Any:
    return load_checked_policy()


@pytest.fixture(scope="module")
def catalogue() -> Catalogue:
    return Catalogue.load()


def _call(catalogue: Catalogue, tool: str, args: dict[str, Any], effect: str | None) -> GateCall:
    known = catalogue.get(tool)
    if known is not None:
        return GateCall(tool=tool, args=args, effect=effect or known.effect, manager=known.manager,
                        command=known.command)
    return GateCall(tool=tool, args=args, effect=effect or "write", manager=tool.split("_")[0])


@pytest.mark.parametrize(("tool", "args", "effect", "action", "rule"), TABLE,
                         ids=[f"{t[0]}-{t[3]}-{i}" for i, t in enumerate(TABLE)])
def test_gate_table(policy: Any, catalogue: Catalogue, tool: str, args: dict[str, Any], effect: str | None,
                    action: str, rule: str | None) -> None:
    decision = decide(_call(catalogue, tool, args, effect), policy, GateContext(allow_destructive=True))
    assert decision.action == action, decision
    if rule is not None:
        assert decision.rule == rule, decision


def test_every_github_and_cicd_tool_is_in_the_table(catalogue: Catalogue) -> None:
    shipped = {t.name for t in catalogue.tools.values() if t.manager in ("github", "cicd")}
    missing = shipped - {row[0] for row in TABLE} - {"github_list_files", "github_list_issues", "github_read_issue",
                                                     "github_list_prs", "github_list_branches", "github_list_runs",
                                                     "github_read_run"}
    assert missing == set()
    for name in shipped:  # every read is a read, and nothing else is
        reads = name.startswith(("github_list", "github_read", "github_search", "github_repo_info",
                                 "github_branch_protection", "github_run_logs", "cicd_detect", "cicd_generate",
                                 "cicd_validate"))
        assert (catalogue.get(name).effect == "read") is reads, name  # type: ignore[union-attr]


def test_read_only_mode_and_production(policy: Any, catalogue: Catalogue) -> None:
    ro = GateContext(read_only=True)
    assert decide(_call(catalogue, "github_merge_pr", {**R, "number": 7}, None), policy, ro).rule == "read-only"
    assert decide(_call(catalogue, "github_read_pr", {**R, "number": 7}, None), policy, ro).action == "allow"
    prod = GateContext(production=True, kube_context="prod-eu")
    assert decide(_call(catalogue, "github_propose_change", PROPOSE, None), policy, prod).action == "ask"
    assert decide(_call(catalogue, "github_repo_info", R, None), policy, prod).action == "allow"


def test_protected_branches_come_from_the_context(policy: Any, catalogue: Catalogue) -> None:
    ctx = GateContext(protected_branches=("trunk", "prod/*"), allow_destructive=True)
    assert decide(_call(catalogue, "github_delete_branch", {**R, "branch": "trunk"}, None), policy, ctx).action == "deny"
    assert decide(_call(catalogue, "github_delete_branch", {**R, "branch": "prod/eu"}, None), policy,
                  ctx).action == "deny"
    assert decide(_call(catalogue, "github_delete_branch", {**R, "branch": "main"}, None), policy, ctx).action == "ask"
