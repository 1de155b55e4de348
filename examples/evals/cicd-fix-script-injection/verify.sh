#!/usr/bin/env bash
# actionlint passes, the untrusted title no longer reaches the script text, and the step still prints it.
set -euo pipefail
cd "$REIGN_EVAL_WORKDIR"
actionlint .github/workflows/pr.yml
python3 - <<'PY'
import yaml
wf = yaml.safe_load(open(".github/workflows/pr.yml"))
step = wf["jobs"]["check"]["steps"][0]
assert "github.event.pull_request.title" not in step["run"], step["run"]
assert any("github.event.pull_request.title" in str(v) for v in (step.get("env") or {}).values()), step
PY
