#!/usr/bin/env bash
# The container itself runs again (not a new one under the same name).
set -euo pipefail
[ "$(docker inspect -f '{{.State.Running}}' reign-eval-cache)" = true ]
[ "$(docker inspect -f '{{.Config.Labels}}' reign-eval-cache)" = "map[reign-eval:1]" ]
