#!/usr/bin/env bash
# Both replicas are available on the real (hollow) node, and the deployment was fixed, not replaced.
set -euo pipefail
source ../lib/common.sh
[ "$(kubectl -n ev-pending get deployment web -o jsonpath='{.spec.replicas}')" = 2 ]
[ -z "$(kubectl -n ev-pending get deployment web -o jsonpath='{.spec.template.spec.nodeSelector.disktype}')" ]
wait_available ev-pending web 2
