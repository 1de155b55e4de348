#!/usr/bin/env bash
pid_file="$REIGN_EVAL_WORKDIR/github-stub.pid"
[ -f "$pid_file" ] && kill "$(cat "$pid_file")" 2>/dev/null
exit 0
