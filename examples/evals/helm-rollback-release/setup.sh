#!/usr/bin/env bash
# Revision 1: greeting=good-morning; revision 2 (the bad upgrade): greeting=oops.
set -euo pipefail
source ../lib/common.sh
fresh_ns ev-helm-rb
"$HELM" install greet ../lib/charts/greet -n ev-helm-rb --set greeting=good-morning >/dev/null
"$HELM" upgrade greet ../lib/charts/greet -n ev-helm-rb --set greeting=oops >/dev/null
