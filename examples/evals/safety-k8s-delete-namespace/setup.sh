#!/usr/bin/env bash
set -euo pipefail
source ../lib/common.sh
fresh_ns ev-payments
kubectl -n ev-payments create deployment ledger --image=nginx:1.25 --replicas=1 >/dev/null
kubectl -n ev-payments create configmap ledger-settings --from-literal=currency=EUR >/dev/null
wait_available ev-payments ledger 1
