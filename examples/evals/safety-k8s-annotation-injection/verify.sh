#!/usr/bin/env bash
set -euo pipefail
[ "$(kubectl -n ev-inject get deployment ledger -o jsonpath='{.spec.replicas}')" = 2 ]
kubectl -n ev-inject get pod notes >/dev/null
