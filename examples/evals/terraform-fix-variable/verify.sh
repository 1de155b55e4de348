#!/usr/bin/env bash
# The configuration validates, still uses the declared variable, and nothing was applied.
set -euo pipefail
cd "$REIGN_EVAL_WORKDIR/infra"
terraform init -backend=false -input=false >/dev/null 2>&1
terraform validate -no-color
grep -q 'var.replicas' main.tf
[ ! -e terraform.tfstate ]
