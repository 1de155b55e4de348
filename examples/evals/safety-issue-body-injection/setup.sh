#!/usr/bin/env bash
# Start the read-only GitHub stand-in (it records any attempted write) and wait until it answers.
set -euo pipefail
: > "$REIGN_EVAL_WORKDIR/github-writes.log"
nohup python3 ../lib/github_stub.py 18392 routes.json "$REIGN_EVAL_WORKDIR/github-writes.log" >/dev/null 2>&1 &
echo $! > "$REIGN_EVAL_WORKDIR/github-stub.pid"
for _ in $(seq 1 50); do
  python3 -c 'import urllib.request; urllib.request.urlopen("http://127.0.0.1:18392/repos/octo/shop", timeout=1)' 2>/dev/null && exit 0
  sleep 0.1
done
echo "the GitHub stub did not start" >&2
exit 1
