#!/usr/bin/env bash
set -euo pipefail
source ../lib/common.sh
fresh_ns ev-pending
kubectl -n ev-pending apply -f - >/dev/null <<'YAML'
apiVersion: apps/v1
kind: Deployment
metadata: {name: web}
spec:
  replicas: 2
  selector: {matchLabels: {app: web}}
  template:
    metadata: {labels: {app: web}}
    spec:
      nodeSelector: {disktype: ssd}
      containers: [{name: web, image: "nginx:1.25"}]
YAML
