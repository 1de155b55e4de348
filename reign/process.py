"""Run a program with a timeout and bounded memory: output goes to files, read back head and tail.

Inside a tool call the program runs in the OS sandbox (reign/sandbox.py) the executor set for the call.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import subprocess
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from reign import sandbox
from reign.truncate import cut_lines
from reign.withheld import REIGN_KEYS as _WITHHELD_ENV  # Reign's own keys never reach programs the model runs


@dataclass
class Completed:
    exit_code: int | None
    stdout: str
    stderr: str
    timed_out: bool = False

    def as_dict(self) -> dict[str, object]:
        out: dict[str, object] = {"exit_code": self.exit_code, "stdout": self.stdout, "stderr": self.stderr}
        if self.timed_out:
            out["timed_out"] = True
        return out


def child_env(extra: dict[str, str] | None = None) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in _WITHHELD_ENV}
    env.update(extra or {})
    return env


def _read_capped(path: Path, cap: int) -> str:
    """Line by line, so notable lines deep inside a huge output survive and memory stays bounded
    (cut_lines redacts each line before it cuts)."""
    with path.open("r", encoding="utf-8", errors="replace", newline="") as fh:
        return cut_lines(fh, cap)


def run_argv(argv: list[str], *, timeout: float, cap: int, cwd: Path | None = None,
             env: dict[str, str] | None = None, stdin: str | None = None,
             writable: Sequence[Path] = ()) -> Completed:
    """No shell: argv is run as it is. The whole process group is killed on timeout or Ctrl-C.

    Inside a tool call it runs sandboxed; `writable` are folders the calling manager itself chose (a
    scratch folder, a clone) that the program may write besides the workspace."""
    env = env if env is not None else child_env()
    if sandbox.current() is not None and "/" not in argv[0] and shutil.which(argv[0], path=env.get("PATH")) is None:
        raise FileNotFoundError(2, "No such file or directory", argv[0])  # as Popen says it unsandboxed
    argv = sandbox.wrap(argv, cwd=cwd, extra_writable=writable)
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        proc = subprocess.Popen(
            argv, cwd=cwd, env=env,
            stdin=subprocess.PIPE if stdin is not None else subprocess.DEVNULL,
            stdout=out, stderr=err, start_new_session=True,
        )
        timed_out = False
        try:
            proc.communicate(input=stdin.encode() if stdin is not None else None, timeout=timeout)
        except subprocess.TimeoutExpired:
            timed_out = True
            _kill_group(proc)
        except BaseException:
            _kill_group(proc)
            raise
        results = []
        for fh in (out, err):
            fh.flush()
            path = Path(f"/proc/self/fd/{fh.fileno()}")
            results.append(_read_capped(path, cap))
    return Completed(None if timed_out else proc.returncode, results[0], results[1], timed_out)


def _kill_group(proc: subprocess.Popen[bytes]) -> None:
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(proc.pid, signal.SIGKILL)
    proc.wait()
