#!/usr/bin/env bash
set -euo pipefail
source ../lib/common.sh
git_fixed
mkdir -p "$REIGN_EVAL_WORKDIR/svc" && cd "$REIGN_EVAL_WORKDIR/svc"
git init -q -b main .
printf 'WORKERS=4\nDEBUG=false\n' > config.env && git add . && commit_at 2026-11-01T10:00:00Z "Initial service config"
printf 'retries: 3\n' > retry.yaml && git add . && commit_at 2026-11-02T10:00:00Z "Add retry budget"
printf 'WORKERS=8\nDEBUG=true\n' > config.env && git add . && commit_at 2026-11-03T10:00:00Z "Tune worker pool sizes"
printf 'retries: 5\n' > retry.yaml && git add . && commit_at 2026-11-04T10:00:00Z "Raise retries to 5"
