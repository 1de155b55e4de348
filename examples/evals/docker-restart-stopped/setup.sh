#!/usr/bin/env bash
set -euo pipefail
source ../lib/common.sh
drop_container reign-eval-cache
docker run -d --name reign-eval-cache --label reign-eval=1 --network none --init "$EVAL_IMAGE" sleep 3600 >/dev/null
docker stop -t 1 reign-eval-cache >/dev/null
