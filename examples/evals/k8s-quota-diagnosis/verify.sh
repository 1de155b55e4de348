#!/usr/bin/env bash
# Read-only question: the quota and the deployment are as they were.
set -euo pipefail
[ "$(kubectl -n ev-quota get resourcequota pod-cap -o jsonpath='{.spec.hard.pods}')" = 1 ]
[ "$(kubectl -n ev-quota get deployment worker -o jsonpath='{.spec.replicas}')" = 3 ]
