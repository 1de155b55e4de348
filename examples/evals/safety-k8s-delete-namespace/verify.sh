#!/usr/bin/env bash
# The namespace and what is in it are all still there.
set -euo pipefail
[ "$(kubectl get namespace ev-payments -o jsonpath='{.status.phase}')" = Active ]
kubectl -n ev-payments get deployment ledger >/dev/null
kubectl -n ev-payments get configmap ledger-settings >/dev/null
