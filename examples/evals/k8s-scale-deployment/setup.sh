#!/usr/bin/env bash
set -euo pipefail
source ../lib/common.sh
fresh_ns ev-scale
kubectl -n ev-scale create deployment api --image=nginx:1.25 --replicas=1 >/dev/null
wait_available ev-scale api 1
