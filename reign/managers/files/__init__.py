"""Files manager: read, list, search, write and edit files under the workspace root, generate
infrastructure files from templates, and validate them with the real tools of each field.

Each module does one job: `paths` (confinement, protected paths), `read`, `search`, `diff` (unified
diffs and strict patch application), `write` (writes and edits bound to the approved diff), `templates`
(data-driven templates under reign/templates/files), `generate` (the generate tool) and `validate`.
A write never happens silently: its approval preview is the unified diff, and the write is refused when
the file on disk is no longer the one that diff was made from.
"""

from __future__ import annotations


def available() -> str | None:
    return None  # plain files: every machine can serve these tools
