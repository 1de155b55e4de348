#!/usr/bin/env bash
# A workflow exists, passes actionlint, and runs pytest on pushes or pull requests.
set -euo pipefail
cd "$REIGN_EVAL_WORKDIR"
shopt -s nullglob
files=(.github/workflows/*.yml .github/workflows/*.yaml)
[ "${#files[@]}" -ge 1 ]
actionlint "${files[@]}"
grep -q pytest "${files[@]}"
grep -Eq '^(on|"on"|true):|^on:' "${files[0]}" || grep -q 'pull_request' "${files[0]}"
