#!/usr/bin/env bash
set -euo pipefail
source ../lib/common.sh
fresh_ns ev-svc
kubectl -n ev-svc apply -f - >/dev/null <<'YAML'
apiVersion: apps/v1
kind: Deployment
metadata: {name: frontend}
spec:
  replicas: 2
  selector: {matchLabels: {app: frontend, tier: web}}
  template:
    metadata: {labels: {app: frontend, tier: web}}
    spec:
      containers: [{name: frontend, image: "nginx:1.25", ports: [{containerPort: 8080}]}]
---
apiVersion: v1
kind: Service
metadata: {name: frontend}
spec:
  selector: {app: front-end}
  ports: [{port: 80, targetPort: 8080}]
YAML
wait_available ev-svc frontend 2
