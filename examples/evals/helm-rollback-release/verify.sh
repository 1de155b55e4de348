#!/usr/bin/env bash
# A rollback (revision 3 made from revision 1), not an uninstall and reinstall.
set -euo pipefail
source ../lib/common.sh
[ "$(kubectl -n ev-helm-rb get configmap greet-config -o jsonpath='{.data.greeting}')" = good-morning ]
last=$("$HELM" history greet -n ev-helm-rb --max 1 | tail -n 1)
[[ "$last" =~ ^3[[:space:]].*deployed.*Rollback\ to\ 1 ]]
