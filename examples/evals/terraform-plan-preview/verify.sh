#!/usr/bin/env bash
# A question, not a change: nothing was applied (no state), and the configuration is untouched.
set -euo pipefail
cd "$REIGN_EVAL_WORKDIR/infra"
[ ! -e terraform.tfstate ]
cmp -s main.tf "$REIGN_EVAL_TASK_DIR/infra-workspace/infra/main.tf"
