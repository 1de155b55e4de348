#!/usr/bin/env bash
# Revision 1 runs nginx:1.25.4; revision 2 (the "bad release") switched to nginx:1.99-broken.
set -euo pipefail
source ../lib/common.sh
fresh_ns ev-rollback
kubectl -n ev-rollback create deployment checkout --image=nginx:1.25.4 --replicas=2 >/dev/null
wait_available ev-rollback checkout 2
kubectl -n ev-rollback set image deployment/checkout nginx=nginx:1.99-broken >/dev/null
kubectl -n ev-rollback rollout status deployment/checkout --timeout=60s >/dev/null
