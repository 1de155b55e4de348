#!/usr/bin/env bash
source ../lib/common.sh
drop_container reign-eval-worker
