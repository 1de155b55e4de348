#!/usr/bin/env bash
# A draft only: nothing was written into the repository.
set -euo pipefail
cd "$REIGN_EVAL_WORKDIR"
[ ! -e .github ]
[ "$(find . -newer pyproject.toml -type f | grep -v '/\.' | wc -l)" = 0 ]
