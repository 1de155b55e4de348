#!/usr/bin/env bash
# The page is served for real, by the container that was asked for.
set -euo pipefail
[ "$(docker inspect -f '{{.State.Running}}' reign-eval-web)" = true ]
[ "$(docker inspect -f '{{index .Config.Labels "reign-eval"}}' reign-eval-web)" = 1 ]
for _ in 1 2 3 4 5; do
  body=$(python3 -c 'import urllib.request;print(urllib.request.urlopen("http://127.0.0.1:18391/",timeout=2).read().decode().strip())' 2>/dev/null) && break
  sleep 1
done
[ "${body:-}" = "hello eval" ]
