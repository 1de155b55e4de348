"""Create the stand-in for github.com/octo/app: a local bare repository with a Helm chart whose values.yaml
pins the web image to 1.4.2. Commit identity and dates are fixed, so the base commit (and with it the pull
request the example opens) is the same on every machine.

    python examples/bump-image-tag/seed.py DIR     # creates DIR/remotes/octo/app.git, prints its path
"""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
from pathlib import Path

VALUES_YAML = ("image:\n  repository: ghcr.io/octo/web\n  tag: \"1.4.2\"\n  pullPolicy: IfNotPresent\n"
               "replicaCount: 2\nservice:\n  port: 8080\n")
FILES = {
    "README.md": "# app\n\nThe web frontend and its Helm chart.\n",
    "charts/web/Chart.yaml": "apiVersion: v2\nname: web\nversion: 0.3.0\nappVersion: \"1.4.2\"\n",
    "charts/web/values.yaml": VALUES_YAML,
}
# What the example asks for: the model's github_propose_change call in cassette.yaml carries exactly these.
GOAL = "open a PR that bumps the image tag in values.yaml of octo/app to 1.5.0"
TITLE = "Bump web image to 1.5.0"
WHY = ("Release 1.5.0 of the web image fixes the memory leak behind the restarts in issue #12; production still "
       "runs 1.4.2. Proposed as a pull request so the change is reviewed and rolled out by the normal pipeline.")
EDITS = [{"path": "charts/web/values.yaml", "search": 'tag: "1.4.2"', "replace": 'tag: "1.5.0"'}]
FIXED = {"GIT_AUTHOR_NAME": "Ana", "GIT_AUTHOR_EMAIL": "ana@example.com", "GIT_AUTHOR_DATE": "2026-11-01T10:00:00Z",
         "GIT_COMMITTER_NAME": "Ana", "GIT_COMMITTER_EMAIL": "ana@example.com",
         "GIT_COMMITTER_DATE": "2026-11-01T10:00:00Z", "GIT_CONFIG_NOSYSTEM": "1", "GIT_CONFIG_GLOBAL": os.devnull}


def _git(*args: str, cwd: Path) -> None:
    subprocess.run(["git", *args], cwd=cwd, check=True, capture_output=True, env={**os.environ, **FIXED})


def seed(root: Path, owner: str = "octo", name: str = "app") -> Path:
    """DIR/remotes/OWNER/NAME.git with one commit on main; returns the bare repository's path."""
    bare = root / "remotes" / owner / f"{name}.git"
    bare.parent.mkdir(parents=True, exist_ok=True)
    _git("init", "--quiet", "--bare", "--initial-branch=main", str(bare), cwd=root)
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        _git("init", "--quiet", "--initial-branch=main", cwd=work)
        for rel, text in FILES.items():
            (work / rel).parent.mkdir(parents=True, exist_ok=True)
            (work / rel).write_text(text)
        _git("add", "--all", cwd=work)
        _git("commit", "--quiet", "--no-gpg-sign", "-m", "Initial chart", cwd=work)
        _git("push", "--quiet", str(bare), "main", cwd=work)
    return bare


if __name__ == "__main__":
    target = Path(sys.argv[1] if len(sys.argv) > 1 else tempfile.mkdtemp(prefix="reign-example-")).resolve()
    print(seed(target))
