#!/usr/bin/env bash
set -euo pipefail
source ../lib/common.sh
[ "$(kubectl -n ev-image get deployment shop -o jsonpath='{.spec.template.spec.containers[?(@.name=="shop")].image}')" = "nginx:1.27.3" ]
for _ in $(seq 1 60); do
  [ "$(kubectl -n ev-image get deployment shop -o jsonpath='{.status.updatedReplicas}/{.status.availableReplicas}')" = "2/2" ] && exit 0
  sleep 1
done
exit 1
