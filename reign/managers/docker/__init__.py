"""Docker manager: plain keyword-only functions over the Docker SDK.

The SDK is imported lazily inside functions. One client is cached per (DOCKER_HOST, timeout); the host is
`ctx.settings.docker_host` when set, else `$DOCKER_HOST`, else the local socket. Every engine, API or
connection failure becomes a one-line `ToolError`. Outputs are compact (short ids, trimmed fields): the
model's context is a budget.

Files, one job each:
- `client.py`: The Docker engine client: which host, one cached client per (host, timeout), engine errors as one-line
  ToolErrors.
- `format.py`: Compact output: short ids, sizes, times and labels, so the model's context stays small.
- `mounts.py`: Host paths in volume specs: confined to the workspace, and never the Docker socket or the host's root.
- `specs.py`: How a container is started: its command as argv, published ports and restart policy.
- `containers.py`: Container tools: list, inspect, logs, run, start/stop/restart/remove, exec, stats.
- `images.py`: Image tools: list, pull, build, tag, remove.
- `resources.py`: Network and volume tools, and prune.
- `compose.py`: A small compose: bring a project's services up and down, labelled so they can be found again.
"""
