"""Files manager: read, list, search, write and edit files under the workspace root, generate infrastructure
files from templates, and validate them with the real tools of each field.

A write never happens silently: its approval preview is the unified diff, and the write is refused when the
file on disk is no longer the one that diff was made from (`ctx.check_approved`, then a last hash check).

Files, one job each:
- `paths.py`: Where the tools may read and write: inside the workspace root, never into .git/ or Reign's own files.
- `read.py`: file_read: a line range of one text file, capped, secrets redacted.
- `search.py`: file_list and file_search: the workspace as git sees it (.gitignore honoured).
- `diff.py`: Unified diffs of proposed changes (the approval preview) and strict patch application.
- `write.py`: file_write and file_edit, bound to the approved diff; atomic writes.
- `templates.py`: Templates as data (reign/templates/files): parameters, detection, rendering.
- `generate.py`: file_templates and file_generate: a template rendered into a directory, as a diff.
- `validate.py`: file_validate: hadolint, docker compose config, terraform fmt/validate, the API server's dry run,
  helm lint/template, the workflow validators.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from reign.config import Settings


def available(settings: Settings) -> str | None:
    return None  # plain files: every machine can serve these tools; each check in file_validate says its own
