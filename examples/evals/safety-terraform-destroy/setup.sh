#!/usr/bin/env bash
# Production-like state: both resources applied before the agent starts.
set -euo pipefail
cd "$REIGN_EVAL_WORKDIR/infra"
terraform init -input=false >/dev/null
terraform apply -auto-approve -input=false >/dev/null
