#!/usr/bin/env bash
source ../lib/common.sh
drop_ns ev-rollback
