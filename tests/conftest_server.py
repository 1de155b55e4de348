"""Fixtures for `reign serve` tests: real server processes on loopback ports, a real PostgreSQL 15 cluster
(scripts/postgres.sh, or the one .ci/run started: REIGN_TEST_DATABASE_URL), real HTTP with httpx.
The model is a synthesized cassette (no LLM API is reachable here); tools run for real."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "scripts"))
import synth_cassettes  # noqa: E402


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture(scope="session")
def pg_admin_url() -> Iterator[str]:
    """A PostgreSQL server: the CI's (REIGN_TEST_DATABASE_URL) or a throwaway cluster started here."""
    given = os.environ.get("REIGN_TEST_DATABASE_URL")
    if given:
        yield given
        return
    if not Path("/usr/lib/postgresql").is_dir():
        pytest.skip("PostgreSQL is not installed (apt-get install -y postgresql)")
    port = str(free_port())
    env = {**os.environ, "PG_PORT": port}
    url = subprocess.run(["bash", str(ROOT / "scripts" / "postgres.sh"), "start"], env=env, check=True,
                         capture_output=True, text=True).stdout.strip()
    try:
        yield url
    finally:
        subprocess.run(["bash", str(ROOT / "scripts" / "postgres.sh"), "stop"], env=env, check=False)


def new_pg_database(admin_url: str) -> str:
    import psycopg

    name = f"reign_{uuid.uuid4().hex[:10]}"
    with psycopg.connect(admin_url.replace("postgresql+psycopg://", "postgresql://"), autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    return admin_url.rsplit("/", 1)[0] + "/" + name


def cassette(path: Path, turns: list[dict[str, Any]], description: str = "server test") -> Path:
    synth_cassettes.write(path, "anthropic", description, turns)
    return path


def bash(command: str) -> dict[str, Any]:
    return synth_cassettes.call("bash", {"command": command})


class Server:
    """One `reign serve` process (the real CLI entry point) with its own worker id."""

    def __init__(self, home: Path, workspace: Path, database_url: str, *, replay: bool = True,
                 worker_id: str = "", extra: list[str] | None = None, env: dict[str, str] | None = None) -> None:
        self.home, self.workspace, self.database_url = home, workspace, database_url
        self.port = free_port()
        self.worker_id = worker_id or f"w{self.port}"
        self.replay, self.extra, self.extra_env = replay, extra or [], env or {}
        self.proc: subprocess.Popen[bytes] | None = None
        self.log = home / f"server-{self.port}.log"

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def env(self) -> dict[str, str]:
        env = {k: v for k, v in os.environ.items() if not k.startswith(("ANTHROPIC", "OPENAI", "REIGN_"))}
        env.update(HOME=str(self.home), XDG_STATE_HOME=str(self.home / "state"),
                   XDG_CONFIG_HOME=str(self.home / "config"), PYTHONPATH=str(ROOT),
                   REIGN_DATABASE_URL=self.database_url, **self.extra_env)  # `reign sessions` reads runs there
        return env

    def start(self) -> Server:
        args = [sys.executable, "-c", "from reign.cli import entry; entry()", "serve", "--port", str(self.port),
                "--database-url", self.database_url, "--worker-id", self.worker_id, *self.extra]
        if self.replay:
            args.append("--replay")
        with self.log.open("ab") as log:
            self.proc = subprocess.Popen(args, cwd=self.workspace, env=self.env(), stdout=log, stderr=log)
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise AssertionError(f"server exited: {self.log.read_text()[-3000:]}")
            try:
                if httpx.get(self.url + "/api/runs", timeout=1).status_code == 401:
                    return self
            except httpx.HTTPError:
                pass
            time.sleep(0.2)
        raise AssertionError(f"server did not start: {self.log.read_text()[-3000:]}")

    def kill9(self) -> None:
        assert self.proc is not None
        os.kill(self.proc.pid, signal.SIGKILL)
        self.proc.wait(10)

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(15)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(5)

    def cli(self, *args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run([sys.executable, "-c", "from reign.cli import entry; entry()", *args],
                              cwd=self.workspace, env=self.env(), capture_output=True, text=True, timeout=120)

    def add_user(self, name: str, role: str, *extra: str) -> str:
        done = self.cli("users", "add", name, "--role", role, "--database-url", self.database_url, *extra)
        assert done.returncode == 0, done.stderr
        return done.stdout.strip()

    # -- HTTP ----------------------------------------------------------------------------------------------
    def request(self, method: str, path: str, token: str | None, **kwargs: Any) -> httpx.Response:
        headers = dict(kwargs.pop("headers", {}))
        if token:
            headers["Authorization"] = f"Bearer {token}"
        return httpx.request(method, self.url + path, headers=headers, timeout=30, **kwargs)

    def start_run(self, token: str, goal: str, cassette_path: Path, **extra: Any) -> str:
        response = self.request("POST", "/api/runs", token, json={"goal": goal, "cassette": str(cassette_path),
                                                                  **extra})
        assert response.status_code == 201, response.text
        return str(response.json()["id"])

    def run(self, token: str, run_id: str) -> dict[str, Any]:
        response = self.request("GET", f"/api/runs/{run_id}", token)
        assert response.status_code == 200, response.text
        data: dict[str, Any] = response.json()
        return data

    def wait(self, token: str, run_id: str, *statuses: str, timeout: float = 60) -> dict[str, Any]:
        deadline = time.monotonic() + timeout
        while True:
            data = self.run(token, run_id)
            if data["status"] in statuses:
                return data
            if time.monotonic() > deadline:
                raise AssertionError(f"run {run_id} is {data['status']}, not {statuses}: {data}\n"
                                     f"{self.log.read_text()[-3000:]}")
            time.sleep(0.1)


def wait_for(predicate: Any, timeout: float = 30, what: str = "condition") -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.05)


@pytest.fixture
def server_home(tmp_path: Path) -> tuple[Path, Path]:
    home, workspace = tmp_path / "home", tmp_path / "ws"
    home.mkdir()
    workspace.mkdir()
    return home, workspace


@pytest.fixture
def servers() -> Iterator[list[Server]]:
    """Every server a test starts is stopped afterwards, however the test ended."""
    started: list[Server] = []
    yield started
    for server in started:
        server.stop()
