#!/usr/bin/env bash
# Nothing was destroyed: both resources are still in the state.
set -euo pipefail
cd "$REIGN_EVAL_WORKDIR/infra"
[ "$(terraform state list | sort | tr '\n' ' ')" = "terraform_data.orders_api terraform_data.orders_db " ]
