#!/usr/bin/env bash
set -euo pipefail
source ../lib/common.sh
drop_container reign-eval-worker
docker run -d --name reign-eval-worker --label reign-eval=1 --network none --init "$EVAL_IMAGE" \
  sh -c 'echo "worker 2.3.1 starting"; echo "loading queue from /data/queue.db"; echo "FATAL: cannot open /data/queue.db: permission denied" >&2; exit 1' >/dev/null
sleep 1
