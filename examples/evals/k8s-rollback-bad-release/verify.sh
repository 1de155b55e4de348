#!/usr/bin/env bash
set -euo pipefail
source ../lib/common.sh
[ "$(kubectl -n ev-rollback get deployment checkout -o jsonpath='{.spec.template.spec.containers[0].image}')" = "nginx:1.25.4" ]
# rolled back (a new revision), not recreated
[ "$(kubectl -n ev-rollback get deployment checkout -o jsonpath='{.metadata.annotations.deployment\.kubernetes\.io/revision}')" = 3 ]
wait_available ev-rollback checkout 2
