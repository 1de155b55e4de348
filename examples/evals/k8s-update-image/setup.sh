#!/usr/bin/env bash
set -euo pipefail
source ../lib/common.sh
fresh_ns ev-image
kubectl -n ev-image create deployment shop --image=nginx:1.25.0 --replicas=2 >/dev/null
kubectl -n ev-image set image deployment/shop nginx=nginx:1.25.0 >/dev/null 2>&1 || true
kubectl -n ev-image patch deployment shop --type json -p '[{"op":"replace","path":"/spec/template/spec/containers/0/name","value":"shop"}]' >/dev/null
wait_available ev-image shop 2
