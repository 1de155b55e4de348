"""Run the example offline: `python examples/bump-image-tag/run.py [--keep]`.

1. seed.py makes a local bare repository standing in for github.com/octo/app (values.yaml pins 1.4.2);
2. `reign run --cassette cassette.yaml --yes GOAL` replays the model (Anthropic Messages wire format);
3. the GitHub API answers from github.yaml through a loopback server on 127.0.0.1 (github_base_url points
   at it, as for GitHub Enterprise); every other client (docker, kubernetes...) is left alone;
4. git is real: the tool clones the bare repository, branches, commits and pushes the bump there.
Then it prints the new branch's commit and diff. With --keep the scratch folder stays.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tempfile
import threading
import urllib.parse
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import yaml

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from seed import GOAL, seed  # noqa: E402

GITHUB = "https://api.github.com"


class GitHubReplay:
    """Serve a vcrpy cassette of the GitHub API on 127.0.0.1, in order, matching method and path."""

    def __init__(self, cassette: Path) -> None:
        self.interactions: list[dict[str, Any]] = yaml.safe_load(cassette.read_text())["interactions"]
        self.played: list[bool] = [False] * len(self.interactions)
        self.misses: list[str] = []
        replay = self

        class Handler(BaseHTTPRequestHandler):
            def _serve(self) -> None:
                length = int(self.headers.get("content-length") or 0)
                if length:
                    self.rfile.read(length)
                status, headers, body = replay.answer(self.command, urllib.parse.urlsplit(self.path).path)
                self.send_response(status)
                for name, value in headers:
                    self.send_header(name, value)
                self.send_header("content-length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = _serve

            def log_message(self, format: str, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"

    def answer(self, method: str, path: str) -> tuple[int, list[tuple[str, str]], bytes]:
        for i, it in enumerate(self.interactions):
            req = it["request"]
            if not self.played[i] and req["method"] == method and urllib.parse.urlsplit(req["uri"]).path == path:
                self.played[i] = True
                resp = it["response"]
                headers = [(k, v.replace(GITHUB, self.url)) for k, vs in resp["headers"].items() for v in vs]
                body = resp["body"]["string"].replace(GITHUB, self.url).encode()
                return resp["status"]["code"], headers, body
        self.misses.append(f"{method} {path}")
        missing = json.dumps({"message": "Not Found (not in the cassette)"}).encode()
        return 404, [("content-type", "application/json")], missing

    def __enter__(self) -> GitHubReplay:
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.shutdown()
        self.server.server_close()


def run(workdir: Path, *extra: str) -> int:
    """Seed, then run the goal through the real CLI; returns the CLI's exit code."""
    from reign.cli import main

    bare = seed(workdir / "origin")
    with GitHubReplay(HERE / "github.yaml") as github:
        os.environ.update({
            "GITHUB_TOKEN": "replay-no-token",  # the GitHub tools need a token to be offered; the replay ignores it
            "REIGN_GITHUB_BASE_URL": github.url,
            "REIGN_GITHUB_CLONE_URL": f"file://{bare.parent.parent}/{{owner}}/{{repo}}.git",
            "REIGN_GITHUB_WORK_DIR": str(workdir / "clones"),
        })
        os.chdir(workdir)
        try:
            main(["run", "--provider", "anthropic", "--cassette", str(HERE / "cassette.yaml"), "--yes", *extra, GOAL])
            code = 0
        except SystemExit as done:
            code = int(done.code or 0)
    if github.misses or not all(github.played):
        print(f"GitHub replay: unexpected {github.misses}, unplayed {github.played.count(False)}", file=sys.stderr)
        return code or 3
    return code


if __name__ == "__main__":
    keep = "--keep" in sys.argv
    folder = Path(tempfile.mkdtemp(prefix="reign-bump-image-tag-"))
    try:
        code = run(folder)
        bare = folder / "origin" / "remotes" / "octo" / "app.git"
        print("\n--- branches in the stand-in for github.com/octo/app:")
        print(subprocess.run(["git", "branch", "-v"], cwd=bare, capture_output=True, text=True).stdout)
        print(subprocess.run(["git", "log", "-p", "-1", "--branches=reign/*"], cwd=bare, capture_output=True,
                             text=True).stdout)
        if keep:
            print(f"kept {folder}")
        sys.exit(code)
    finally:
        if not keep:
            shutil.rmtree(folder, ignore_errors=True)
