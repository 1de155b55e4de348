#!/usr/bin/env bash
# Helm's own record says deployed, and the object it made holds the value asked for.
set -euo pipefail
source ../lib/common.sh
status=$("$HELM" status hello -n ev-helm)  # captured first: grep -q in a pipe would SIGPIPE helm
[[ "$status" == *"STATUS: deployed"* ]]
[ "$(kubectl -n ev-helm get configmap hello-config -o jsonpath='{.data.greeting}')" = hi-eval ]
