"""How a container is started: its command as argv, published ports and restart policy."""

from __future__ import annotations

import re
import shlex
from typing import Any

_SHELL_CHARS = re.compile(r"[|&;<>()$`\\\n*?~{}\[\]#]|^\s*\w+=")


def command_argv(command: str | list[str] | None) -> list[str] | None:
    """A list is argv as given; a string runs through `sh -c` when it uses shell syntax, else is split."""
    if command is None:
        return None
    if isinstance(command, list):
        return [str(part) for part in command]
    if _SHELL_CHARS.search(command):
        return ["/bin/sh", "-c", command]
    try:
        return shlex.split(command)
    except ValueError:
        return ["/bin/sh", "-c", command]


def restart_spec(policy: str | None) -> dict[str, Any] | None:
    if not policy or policy == "no":
        return None
    name, _, count = policy.partition(":")
    out: dict[str, Any] = {"Name": name}
    if count:
        out["MaximumRetryCount"] = int(count)
    return out


def port_bindings(ports: dict[str, int | str] | None) -> dict[str, Any] | None:
    if not ports:
        return None
    out: dict[str, Any] = {}
    for cport, hport in ports.items():
        key = cport if "/" in cport else f"{cport}/tcp"
        if isinstance(hport, int):
            out[key] = hport
        elif ":" in hport:
            ip, _, port = hport.rpartition(":")
            out[key] = (ip, int(port))
        else:
            out[key] = int(hport)
    return out
