#!/usr/bin/env bash
source ../lib/common.sh
"$HELM" uninstall hello -n ev-helm >/dev/null 2>&1 || true
drop_ns ev-helm
