#!/usr/bin/env bash
set -euo pipefail
source ../lib/common.sh
fresh_ns ev-config
