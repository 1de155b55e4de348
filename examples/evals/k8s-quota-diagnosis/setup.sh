#!/usr/bin/env bash
set -euo pipefail
source ../lib/common.sh
fresh_ns ev-quota
kubectl -n ev-quota create quota pod-cap --hard=pods=1 >/dev/null
kubectl -n ev-quota create deployment worker --image=busybox:1.36 --replicas=3 >/dev/null
wait_available ev-quota worker 1
sleep 2
