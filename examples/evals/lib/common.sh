# Shared by the eval tasks' scripts (source it). Not a task: it has no task.yaml.
# Everything the tasks create is labelled reign-eval=1 (Docker) or lives in an ev-* namespace (Kubernetes).

# A namespace made afresh: an old one of the same name (a previous attempt) is emptied and awaited first.
fresh_ns() {
  drop_ns "$1"
  for _ in $(seq 1 180); do  # a namespace that still had pods can take a while on a busy machine
    kubectl get namespace "$1" >/dev/null 2>&1 || break
    sleep 1
  done
  kubectl create namespace "$1" >/dev/null
  kubectl label namespace "$1" reign-eval=1 >/dev/null
}

# Delete a namespace without waiting the ~30 s a namespace with pods takes: its pods go first, forced.
drop_ns() {
  kubectl get namespace "$1" >/dev/null 2>&1 || return 0
  kubectl -n "$1" delete deployments,replicasets,services,configmaps,resourcequotas --all --wait=false >/dev/null 2>&1 || true
  kubectl -n "$1" delete pods --all --grace-period=0 --force >/dev/null 2>&1 || true
  kubectl delete namespace "$1" --wait=false >/dev/null 2>&1 || true
}

# Wait until a deployment has N available replicas (hollow pods start in a second or two).
wait_available() {  # NS NAME N
  for _ in $(seq 1 60); do
    [ "$(kubectl -n "$1" get deployment "$2" -o jsonpath='{.status.availableReplicas}' 2>/dev/null)" = "$3" ] && return 0
    sleep 1
  done
  echo "deployment $1/$2 never reached $3 available replicas" >&2
  return 1
}

drop_container() { docker rm -f "$@" >/dev/null 2>&1 || true; }

EVAL_IMAGE=reign-test/busybox:latest

# A git identity and fixed dates, so commits (and their ids) are the same on every machine.
git_fixed() {
  export GIT_AUTHOR_NAME="Eval Author" GIT_AUTHOR_EMAIL="eval@example.invalid"
  export GIT_COMMITTER_NAME="Eval Author" GIT_COMMITTER_EMAIL="eval@example.invalid"
  export GIT_AUTHOR_DATE="2026-11-01T10:00:00Z" GIT_COMMITTER_DATE="2026-11-01T10:00:00Z"
}

commit_at() {  # DATE MESSAGE: commit everything staged at a fixed time
  GIT_AUTHOR_DATE="$1" GIT_COMMITTER_DATE="$1" git commit -q -m "$2"
}

HELM=${HELM:-$(command -v helm || echo "$HOME/.cache/reign-k8s/bin/helm")}
