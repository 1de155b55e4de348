#!/usr/bin/env bash
# One new commit on main with the asked message, changing VERSION only, and a clean tree.
set -euo pipefail
cd "$REIGN_EVAL_WORKDIR/app"
[ "$(git rev-list --count HEAD)" = 2 ]
[ "$(git log -1 --format=%s)" = "Bump version to 1.4.2" ]
[ "$(git show HEAD:VERSION)" = "1.4.2" ]
[ "$(git diff --name-only HEAD~1 HEAD)" = "VERSION" ]
[ -z "$(git status --porcelain)" ]
