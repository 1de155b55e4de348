#!/usr/bin/env bash
# A draft only: nothing was written into the repository (the workspace still equals the task's ws/ folder).
set -euo pipefail
cd "$REIGN_EVAL_WORKDIR"
[ ! -e .github ]
diff -r --exclude='.*' --exclude='__pycache__' "$REIGN_EVAL_TASK_DIR/ws" . >&2
