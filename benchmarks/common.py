"""What every benchmark shares: rows of the summary table, statistics, the sandbox, the tokenizer."""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import zipfile
from collections.abc import Callable, Iterator, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
BENCH_DIR = Path(__file__).resolve().parent
CACHE = Path(os.environ.get("REIGN_BENCH_CACHE", "/tmp/reign-bench-cache"))
ENCODING = "o200k_base"  # the tokenizer of GPT-4o and later; see tokenizer() for where the BPE file comes from


# --------------------------------------------------------------------------------------------- results
@dataclass
class Row:
    """One line of the summary table: a figure, the reference figure of the same run, their ratio."""

    bench: str
    measure: str
    value: float | None
    unit: str
    spread: str = ""
    reference: str = ""
    ref_value: float | None = None
    target: str = ""
    ok: bool | None = None  # None: no target for this row
    note: str = ""
    ref_unit: str | None = None  # when the reference is counted in another unit

    @property
    def ratio(self) -> float | None:
        if self.value is None or not self.ref_value:
            return None
        return self.value / self.ref_value

    def as_dict(self) -> dict[str, Any]:
        out = asdict(self)
        out["ratio"] = None if self.ratio is None else round(self.ratio, 3)
        return out


@dataclass
class BenchResult:
    rows: list[Row] = field(default_factory=list)
    details: dict[str, Any] = field(default_factory=dict)
    log: list[str] = field(default_factory=list)

    def say(self, line: str) -> None:
        print(line, flush=True)
        self.log.append(line)


@dataclass
class Config:
    runs: int = 10
    quick: bool = False
    peers: bool = True
    sandbox: Sandbox | None = None


# ------------------------------------------------------------------------------------------ statistics
def summary(samples: Sequence[float]) -> dict[str, float]:
    xs = sorted(samples)
    if not xs:
        return {"n": 0}
    q = statistics.quantiles(xs, n=4, method="inclusive") if len(xs) > 1 else [xs[0]] * 3
    return {"n": len(xs), "median": statistics.median(xs), "p25": q[0], "p75": q[2], "min": xs[0], "max": xs[-1]}


def spread(stats: dict[str, float], fmt: Callable[[float], str]) -> str:
    if stats.get("n", 0) < 2:
        return ""
    return f"IQR {fmt(stats['p25'])}–{fmt(stats['p75'])}, n={int(stats['n'])}"


def fmt_value(value: float | None, unit: str) -> str:
    if value is None:
        return "—"
    if unit == "ms":
        digits = 3 if value < 1 else 2 if value < 10 else 1 if value < 100 else 0
        return f"{value:.{digits}f} ms"
    if unit == "s":
        return f"{value:.3f} s"
    if unit == "tokens":
        return f"{value:,.0f}"
    if unit.endswith("/s"):
        return f"{value:,.0f} {unit}" if value >= 100 else f"{value:.2f} {unit}"
    if unit == "passed":
        return f"{value:.0f} passed"
    return f"{value:g} {unit}".strip()


# ---------------------------------------------------------------------------------------------- sandbox
class Sandbox:
    """A throwaway HOME, XDG folders and working directory, so no user config, policy, `.env` or audit
    trail of this machine leaks into a measurement, and nothing a benchmark writes leaks out."""

    def __init__(self) -> None:
        self.real_home = Path.home()
        self.root = Path(tempfile.mkdtemp(prefix="reign-bench-"))
        self.home = self.root / "home"
        self.work = self.root / "work"
        for p in (self.home / ".config", self.home / ".local" / "state", self.work):
            p.mkdir(parents=True, exist_ok=True)

    def env(self) -> dict[str, str]:
        env = {k: v for k, v in os.environ.items()
               if not k.startswith("REIGN_") and k not in ("ANTHROPIC_API_KEY", "OPENAI_API_KEY", "GITHUB_TOKEN")}
        env.update(HOME=str(self.home), XDG_CONFIG_HOME=str(self.home / ".config"),
                   XDG_STATE_HOME=str(self.home / ".local" / "state"))
        # An installed package has its byte-code compiled (pip does it); without this a shell that sets
        # PYTHONDONTWRITEBYTECODE would time every start compiling Reign's sources anew.
        env.pop("PYTHONDONTWRITEBYTECODE", None)
        return env

    @contextlib.contextmanager
    def active(self) -> Iterator[Sandbox]:
        """In-process: the sandbox's environment and working directory, restored afterwards."""
        saved_env, saved_cwd = dict(os.environ), Path.cwd()
        os.environ.clear()
        os.environ.update(self.env())
        os.chdir(self.work)
        try:
            yield self
        finally:
            os.chdir(saved_cwd)
            os.environ.clear()
            os.environ.update(saved_env)

    def cleanup(self) -> None:
        shutil.rmtree(self.root, ignore_errors=True)


def run(cmd: Sequence[str], *, timeout: float, env: dict[str, str] | None = None, cwd: Path | None = None,
        stdin: str | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(list(cmd), input=stdin, capture_output=True, text=True, timeout=timeout, env=env,
                          cwd=cwd, check=False)


def tail(text: str, lines: int = 3) -> str:
    return " | ".join(line.strip() for line in text.strip().splitlines()[-lines:] if line.strip())


# -------------------------------------------------------------------------------------------- tokenizer
_ENCODER: Any = None
_SOURCE = ""
_URLS = {"o200k_base": "https://openaipublic.blob.core.windows.net/encodings/o200k_base.tiktoken",
         "cl100k_base": "https://openaipublic.blob.core.windows.net/encodings/cl100k_base.tiktoken"}


def tokenizer() -> Any:
    """tiktoken's o200k_base encoder, working offline.

    tiktoken downloads its BPE file on first use. When that host is unreachable, the file is taken from
    the `litellm` wheel on PyPI, which ships it (named by the sha1 of its URL, tiktoken's cache key),
    into this suite's TIKTOKEN_CACHE_DIR. tiktoken checks the file against the sha256 it pins, so a wrong
    file fails loudly instead of miscounting."""
    global _ENCODER, _SOURCE
    if _ENCODER is not None:
        return _ENCODER
    cache = CACHE / "tiktoken"
    cache.mkdir(parents=True, exist_ok=True)
    os.environ["TIKTOKEN_CACHE_DIR"] = str(cache)
    try:
        import tiktoken
    except ImportError:
        target = CACHE / "pylib"
        done = run([sys.executable, "-m", "pip", "install", "-q", "--target", str(target), "tiktoken"], timeout=600)
        if done.returncode:
            raise RuntimeError(f"pip install tiktoken failed: {tail(done.stderr)}") from None
        sys.path.insert(0, str(target))
        import tiktoken
    key = hashlib.sha1(_URLS[ENCODING].encode()).hexdigest()
    marker = cache / f"{key}.source"
    if not (cache / key).is_file():
        try:
            _ENCODER = tiktoken.get_encoding(ENCODING)
            marker.write_text("downloaded by tiktoken from openaipublic.blob.core.windows.net")
        except Exception as exc:
            why = type(exc).__name__
            _bpe_from_litellm(cache, key)
            marker.write_text(f"tiktoken's own download failed here ({why}); the BPE file was taken from the "
                              "litellm wheel on PyPI (tiktoken checks its pinned sha256)")
    if _ENCODER is None:
        _ENCODER = tiktoken.get_encoding(ENCODING)
    origin = marker.read_text().strip() if marker.is_file() else "found in the cache"
    _SOURCE = f"tiktoken {getattr(tiktoken, '__version__', '')} {ENCODING}: {origin}"
    return _ENCODER


def tokenizer_source() -> str:
    return _SOURCE


def _bpe_from_litellm(cache: Path, key: str) -> None:
    member = f"litellm/litellm_core_utils/tokenizers/{key}"
    # a litellm already installed (e.g. in the holmesgpt virtualenv) saves a 40 MB download
    for site in sorted(CACHE.glob("venv-*/lib/python*/site-packages")):
        candidate = site / member
        if candidate.is_file():
            shutil.copyfile(candidate, cache / key)
            return
    dl = CACHE / "dl"
    dl.mkdir(parents=True, exist_ok=True)
    wheels = sorted(dl.glob("litellm-*.whl"))
    if not wheels:
        done = run([sys.executable, "-m", "pip", "download", "-q", "--no-deps", "--only-binary=:all:", "-d",
                    str(dl), "litellm"], timeout=900)
        wheels = sorted(dl.glob("litellm-*.whl"))
        if not wheels:
            raise RuntimeError(f"no BPE file for {ENCODING}: tiktoken cannot download it and "
                               f"`pip download litellm` failed: {tail(done.stderr)}")
    with zipfile.ZipFile(wheels[-1]) as zf:
        try:
            data = zf.read(member)
        except KeyError:
            raise RuntimeError(f"{wheels[-1].name} does not ship {member}") from None
    (cache / key).write_bytes(data)


def count_tokens(text: str) -> int:
    return len(tokenizer().encode(text, disallowed_special=()))


def compact_json(obj: Any) -> str:
    return json.dumps(obj, separators=(",", ":"), ensure_ascii=False)
