"""People who may use the server: a role, an optional scope, and a bearer token shown once and stored hashed.

Tokens are 256 random bits, so a plain SHA-256 is enough to store them (no password stretching needed);
lookups go by that hash, so a token is never compared in the clear.
"""

from __future__ import annotations

import hashlib
import re
import secrets
from typing import Any

from pydantic import BaseModel, Field, model_validator

from reign.errors import ReignError
from reign.server.config import ROLES
from reign.server.db import Database

_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.@-]{0,63}$")
RANK = {role: i for i, role in enumerate(ROLES)}


class UserScope(BaseModel):
    """What a user's runs may touch. Empty lists mean no limit beyond the server's own settings."""

    namespaces: list[str] = Field(default_factory=list)
    kube_contexts: list[str] = Field(default_factory=list)
    workspaces: list[str] = Field(default_factory=list)
    impersonate_user: str | None = None  # Kubernetes Impersonate-User: the cluster's RBAC applies per person
    impersonate_groups: list[str] = Field(default_factory=list)  # one Impersonate-Group header each

    @model_validator(mode="before")
    @classmethod
    def _one_group_before(cls, data: Any) -> Any:
        """Scopes stored before several groups were allowed hold one `impersonate_group` string."""
        if isinstance(data, dict) and "impersonate_group" in data:
            data = dict(data)
            single = data.pop("impersonate_group")
            if single and not data.get("impersonate_groups"):
                data["impersonate_groups"] = [single]
        return data


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def add(db: Database, name: str, role: str, scope: UserScope | None = None) -> str:
    """Create the user and return its token (the only time it is shown)."""
    if not _NAME.match(name):
        raise ReignError(f"bad user name {name!r}: letters, digits and _.@- only, up to 64 characters")
    if role not in ROLES:
        raise ReignError(f"bad role {role!r}: one of {', '.join(ROLES)}")
    token = "rgn_" + secrets.token_urlsafe(32)
    db.add_user(name, role, token_hash(token), (scope or UserScope()).model_dump())
    return token


def authenticate(db: Database, token: str) -> dict[str, Any] | None:
    return db.user_by_hash(token_hash(token)) if token else None


def revoke(db: Database, name: str) -> None:
    if not db.revoke_user(name):
        raise ReignError(f"no active user {name!r}")


def list_text(rows: list[dict[str, Any]]) -> str:
    if not rows:
        return "no users yet (`reign users add NAME --role operator`)"
    lines = [f"{'name':<20}  {'role':<9}  {'created':<20}  {'status':<8}  scope"]
    for r in rows:
        stored = UserScope.model_validate(r["scope"] or {}).model_dump()  # an old one-group scope as a list
        scope = ", ".join(f"{k}={','.join(v) if isinstance(v, list) else v}" for k, v in stored.items() if v)
        lines.append(f"{r['name']:<20}  {r['role']:<9}  {r['created'][:19]:<20}  "
                     f"{'revoked' if r['revoked'] else 'active':<8}  {scope or '-'}")
    return "\n".join(lines)
