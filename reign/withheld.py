"""Environment variables withheld from the programs Reign starts: one list per kind of secret, one filter.

Every child process loses Reign's own keys (reign.process.child_env); programs that would otherwise find a
GitHub token and use it behind the policy's back (git pushing through Reign's clone, CI validators and act)
lose the GitHub tokens too.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

REIGN_KEYS = ("ANTHROPIC_API_KEY", "OPENAI_API_KEY", "REIGN_ANTHROPIC_API_KEY", "REIGN_OPENAI_API_KEY",
              "REIGN_AUDIT_KEY", "REIGN_DATABASE_URL", "DATABASE_URL")  # the database holds sessions, audit head
GITHUB_TOKENS = ("GITHUB_TOKEN", "GH_TOKEN", "GH_ENTERPRISE_TOKEN", "GITHUB_ENTERPRISE_TOKEN")
CI_TOKENS = (*GITHUB_TOKENS, "ZIZMOR_GITHUB_TOKEN", "ACTIONS_RUNTIME_TOKEN")


def without(env: Mapping[str, str], names: Iterable[str]) -> dict[str, str]:
    """`env` less the variables named."""
    drop = set(names)
    return {k: v for k, v in env.items() if k not in drop}
