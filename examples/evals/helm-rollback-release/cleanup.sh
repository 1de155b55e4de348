#!/usr/bin/env bash
source ../lib/common.sh
"$HELM" uninstall greet -n ev-helm-rb >/dev/null 2>&1 || true
drop_ns ev-helm-rb
