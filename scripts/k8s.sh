#!/usr/bin/env bash
# CI wrapper around k8s-offline.sh (a real, offline Kubernetes v1.20 control plane + helm on 127.0.0.1).
#
#   scripts/k8s.sh start    # install (cached after the first ~8 min build: 0.02 s) and start; prints the kubeconfig path
#   scripts/k8s.sh stop     # stop what start started and wipe its state (stop --wipe)
#   scripts/k8s.sh status   # prints the kubeconfig path and exits 0 when the API server answers, else exits 1
#
# Finds the script at $REIGN_K8S_OFFLINE, ../shared/k8s/k8s-offline.sh (beside the repository), or
# scripts/k8s-offline.sh. Env passed through: K8S_HOME, K8S_RUN, API_PORT, ETCD_PORT, KUBELET_PORT, HELM_MAJOR.
# Use: export KUBECONFIG="$(scripts/k8s.sh start)"; python -m pytest -m "kubernetes or helm"; scripts/k8s.sh stop
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
script=""
for candidate in "${REIGN_K8S_OFFLINE:-}" "$here/../../shared/k8s/k8s-offline.sh" "$here/k8s-offline.sh"; do
  if [ -n "$candidate" ] && [ -f "$candidate" ]; then script=$candidate; break; fi
done
[ -n "$script" ] || { echo "k8s.sh: k8s-offline.sh not found (set REIGN_K8S_OFFLINE)" >&2; exit 2; }
run_dir=${K8S_RUN:-${K8S_HOME:-$HOME/.cache/reign-k8s}/run}

case "${1:-}" in
  start)
    bash "$script" install >&2
    bash "$script" start ;;
  stop)
    bash "$script" stop --wipe ;;
  status)
    kc="$run_dir/kubeconfig"
    [ -f "$kc" ] || exit 1
    token=$(awk '/token:/{gsub(/[{}]/,""); print $NF; exit}' "$kc")
    server=$(awk -F'"' '/server:/{print $2; exit}' "$kc")
    curl -skf -H "Authorization: Bearer $token" "$server/readyz" >/dev/null || exit 1
    echo "$kc" ;;
  *)
    echo "usage: $0 start|stop|status" >&2; exit 2 ;;
esac
