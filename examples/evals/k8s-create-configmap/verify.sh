#!/usr/bin/env bash
set -euo pipefail
[ "$(kubectl -n ev-config get configmap app-settings -o go-template='{{index .data "LOG_LEVEL"}}/{{index .data "FEATURE_CHECKOUT"}}')" = "debug/on" ]
