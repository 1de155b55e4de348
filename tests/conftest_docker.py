"""Session fixtures for tests against a real Docker engine (marker `docker`).

Import from tests/conftest.py:  `from conftest_docker import busybox_image, docker_engine  # noqa: F401`.
`docker_engine` reuses an engine that answers, else starts one with scripts/docker-engine.sh (installing
docker.io when missing) and stops it at the end of the session; it skips only when no engine can exist here.
Set REIGN_KEEP_DOCKER=1 to leave an engine the session started running.
"""

from __future__ import annotations

import importlib.util
import os
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType

import pytest


def _engine_helper() -> ModuleType:
    # Loaded by path so this works whether or not tests/ is a package.
    name = "reign_tests_docker_engine"
    if name in sys.modules:
        return sys.modules[name]
    path = Path(__file__).parent / "engines" / "docker_engine.py"
    spec = importlib.util.spec_from_file_location(name, path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="session")
def docker_engine() -> Iterator[str]:
    """DOCKER_HOST url of a running engine; os.environ["DOCKER_HOST"] points at it for the session."""
    helper = _engine_helper()
    url = helper.find_engine()
    started = False
    if url is None:
        reason = helper.cannot_start()
        if reason:
            pytest.skip(reason)
        t0 = time.monotonic()
        url = helper.start()
        started = True
        sys.stderr.write(f"\n[docker] started dockerd at {url} in {time.monotonic() - t0:.1f}s\n")
    previous = os.environ.get("DOCKER_HOST")
    os.environ["DOCKER_HOST"] = url
    try:
        yield url
    finally:
        if previous is None:
            os.environ.pop("DOCKER_HOST", None)
        else:
            os.environ["DOCKER_HOST"] = previous
        if started and os.environ.get("REIGN_KEEP_DOCKER") != "1":
            helper.stop()


@pytest.fixture(scope="session")
def busybox_image(docker_engine: str) -> str:
    """`reign-test/busybox:latest`, built from busybox-static with `docker import` (no registry)."""
    tag: str = _engine_helper().ensure_image(docker_engine)
    return tag
