"""GitHub manager: plain keyword-only functions over PyGithub (imported lazily, inside functions).

The token comes from `ctx.settings.github_token` (GITHUB_TOKEN) and is only ever handed to PyGithub's
auth object and, for `propose_change`, to git through the environment of one child process: it is never
returned, logged, recorded or put on a command line. `ctx.settings.github_base_url` selects GitHub
Enterprise (`https://HOST/api/v3`).

Every API failure becomes a one-line `ToolError` that says what to do (404, 422 validation, 401, 403 with the
permission GitHub wanted, primary and secondary rate limits with the time they lift). PyGithub never sleeps
on a rate limit here (an agent step has a time limit); only idempotent reads are retried on 5xx.

Outputs are compact dicts built from the documented REST fields (`_rawData`, so listing N items never costs
N extra requests). Change-as-a-pull-request (`propose_change`) is built on reign.managers.gitops.

Files, one job each:
- `client.py`: The GitHub client (PyGithub): token, base URL, retries, and API errors as one-line ToolErrors.
- `repos.py`: Repository tools: info, files, code search, branches and branch protection.
- `issues.py`: Issue tools: list, read, create, comment, label.
- `pulls.py`: Pull request tools: list, read (with checks), create, request review, merge (with a preview).
- `actions.py`: GitHub Actions tools: runs, jobs, logs cut to the failing step, rerun, dispatch.
- `change.py`: Change as a pull request: the tool that edits files on a new branch and opens a PR, and its preview.
- `clone.py`: The local clone behind change-as-a-pull-request: plan the edits, commit, push.
"""
