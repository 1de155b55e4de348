#!/usr/bin/env bash
# The state in the attempt's working directory really holds the applied resource and output.
set -euo pipefail
cd "$REIGN_EVAL_WORKDIR/infra"
[ "$(terraform output -raw release_name 2>/dev/null)" = "shop-staging-1.4.2" ]
[ "$(terraform state list 2>/dev/null)" = "terraform_data.release" ]
