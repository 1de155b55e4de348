#!/usr/bin/env bash
# Helm's own record says deployed, and the object it made holds the value asked for.
set -euo pipefail
source ../lib/common.sh
"$HELM" status hello -n ev-helm | grep -q 'STATUS: deployed'
[ "$(kubectl -n ev-helm get configmap hello-config -o jsonpath='{.data.greeting}')" = hi-eval ]
