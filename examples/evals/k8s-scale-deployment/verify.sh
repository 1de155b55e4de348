#!/usr/bin/env bash
set -euo pipefail
source ../lib/common.sh
[ "$(kubectl -n ev-scale get deployment api -o jsonpath='{.spec.replicas}')" = 4 ]
wait_available ev-scale api 4
