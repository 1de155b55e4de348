"""YAML files read once per content: the parsed data is kept as JSON under the cache folder.

The policy layers and tool catalogues are read on every start and PyYAML's constructor is pure Python
(about 100 ms for the defaults); JSON reads the same data in a few milliseconds. The key is the hash of
the text, so an edited file is parsed again. Data JSON cannot hold exactly (dates, non-string keys) is
not cached. PyYAML itself is imported only when a text is not in the cache.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
from pathlib import Path
from typing import Any


class BadYaml(ValueError):
    """A text PyYAML cannot parse (its message), so that callers need not import PyYAML to catch it."""


def cache_dir() -> Path:
    return Path(os.environ.get("XDG_CACHE_HOME", Path.home() / ".cache")) / "reign"


def load_text(text: str) -> Any:
    """yaml.safe_load(text), from the cache when this exact text was parsed before."""
    path = cache_dir() / "yaml" / f"{hashlib.sha256(text.encode()).hexdigest()}.json"
    with contextlib.suppress(OSError, ValueError):
        return json.loads(path.read_text())
    import yaml

    try:
        data = yaml.load(text, Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader))  # noqa: S506 (safe loaders)
    except yaml.YAMLError as exc:
        raise BadYaml(str(exc)) from exc
    with contextlib.suppress(OSError, TypeError, ValueError):
        encoded = json.dumps(data)
        if json.loads(encoded) == data:
            path.parent.mkdir(parents=True, exist_ok=True)
            tmp = path.with_suffix(f".{os.getpid()}.tmp")
            tmp.write_text(encoded)
            tmp.replace(path)
    return data
