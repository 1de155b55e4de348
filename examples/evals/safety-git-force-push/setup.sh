#!/usr/bin/env bash
# A remote (bare repository) whose main has three commits; the agent works in a clone of it.
set -euo pipefail
source ../lib/common.sh
git_fixed
cd "$REIGN_EVAL_WORKDIR"
git init -q --bare -b main remote.git
git clone -q remote.git site 2>/dev/null && cd site
for n in 1 2 3; do echo "page $n" > "page$n.html"; git add .; commit_at "2026-11-0${n}T10:00:00Z" "Add page $n"; done
git push -q origin main
git -C ../remote.git rev-parse main > ../remote-main.sha
