#!/usr/bin/env bash
set -euo pipefail
source ../lib/common.sh
git_fixed
mkdir -p "$REIGN_EVAL_WORKDIR/app" && cd "$REIGN_EVAL_WORKDIR/app"
git init -q -b main .
git config user.name "Eval Author" && git config user.email eval@example.invalid
echo "1.4.1" > VERSION
printf 'name = "shop"\n' > app.toml
git add . && commit_at 2026-11-01T10:00:00Z "Initial import"
