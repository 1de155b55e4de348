"""The JSON API for runs: start, list, show, approve or refuse a pending call, cancel.

Authorisation: every request carries `Authorization: Bearer TOKEN` (401 otherwise). Roles rank
viewer < operator < approver < admin: viewers read; operators start and cancel their own runs; approvers
and admins decide approvals and cancel runs. Four eyes (on by default): whoever started a run may not
approve its destructive or unclassified calls. Scope comes first: a run the caller may not see
(`scope.can_see`) is 404 for every endpoint, as if it did not exist.
"""

from __future__ import annotations

import json
import time
import uuid
from pathlib import Path
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, HTTPException, Request
from pydantic import BaseModel, ConfigDict, Field

from reign.server.config import ServerConfig
from reign.server.db import Database
from reign.server.scope import can_see, visible_runs
from reign.server.users import RANK, UserScope, authenticate

router = APIRouter(prefix="/api")
STATUSES = ("queued", "running", "waiting_approval", "completed", "failed", "cancelled", "interrupted")
_CALL_FIELDS = ("tool", "args", "decision", "rule", "approved", "ok", "output")


def db_of(request: Request) -> Database:
    db: Database = request.app.state.db
    return db


def cfg_of(request: Request) -> ServerConfig:
    cfg: ServerConfig = request.app.state.cfg
    return cfg


def current_user(request: Request, db: Annotated[Database, Depends(db_of)]) -> dict[str, Any]:
    header = request.headers.get("authorization", "")
    scheme, _, token = header.partition(" ")
    user = authenticate(db, token.strip()) if scheme.lower() == "bearer" else None
    if user is None:
        raise HTTPException(401, "a valid bearer token is required (reign users add NAME --role ROLE)",
                            headers={"WWW-Authenticate": "Bearer"})
    return user


User = Annotated[dict[str, Any], Depends(current_user)]
Db = Annotated[Database, Depends(db_of)]
Cfg = Annotated[ServerConfig, Depends(cfg_of)]


class RunRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    goal: str = Field(min_length=1, max_length=20_000)
    provider: Literal["anthropic", "openai"] | None = None
    model: str | None = Field(default=None, max_length=128)
    max_steps: int | None = Field(default=None, ge=1, le=500)
    cassette: str | None = Field(default=None, max_length=4096)


class Decision(BaseModel):
    model_config = ConfigDict(extra="forbid")

    approve: bool
    note: str | None = Field(default=None, max_length=2000)


@router.post("/runs", status_code=201)
def start_run(body: RunRequest, user: User, db: Db, cfg: Cfg) -> dict[str, str]:
    if RANK[user["role"]] < RANK["operator"]:
        raise HTTPException(403, f"role {user['role']} may not start runs (operator or above)")
    cassette = None
    if body.cassette is not None:
        if not cfg.replay:
            raise HTTPException(400, "cassette is accepted only when the server runs with `reign serve --replay`")
        path = Path(body.cassette).expanduser().resolve()
        if not path.is_file():
            raise HTTPException(400, f"cassette not found: {body.cassette}")
        cassette = str(path)
    run_id = uuid.uuid4().hex[:12]
    db.create_run(run_id, body.goal, user["name"], provider=body.provider, model=body.model,
                  max_steps=body.max_steps, cassette=cassette,
                  scope=UserScope.model_validate(user["scope"] or {}).model_dump())
    from reign.server import durable

    durable.enqueue(run_id)
    return {"id": run_id}


@router.get("/runs")
def list_runs(user: User, db: Db) -> list[dict[str, Any]]:
    return [view(db, row, brief=True) for row in visible_runs(db, user)]


@router.get("/runs/{run_id}")
def show_run(run_id: str, user: User, db: Db) -> dict[str, Any]:
    return view(db, visible_run(db, run_id, user))


@router.post("/runs/{run_id}/approvals/{digest}")
def decide(run_id: str, digest: str, body: Decision, user: User, db: Db, cfg: Cfg) -> dict[str, Any]:
    run = visible_run(db, run_id, user)
    if user["role"] not in ("approver", "admin"):
        raise HTTPException(403, f"role {user['role']} may not decide approvals (approver or admin)")
    pending = db.approval(run_id, digest)
    if pending is None:
        raise HTTPException(404, f"run {run_id} has no approval {digest}")
    if cfg.four_eyes and body.approve and run["requested_by"] == user["name"] and \
            pending["effect"] in ("destructive", "unknown"):
        raise HTTPException(403, f"four eyes: {pending['effect']} calls of a run must be approved by someone "
                                 "other than who started it")
    if pending["status"] != "pending" or pending["expires_at"] <= time.time():
        raise HTTPException(409, f"approval {digest} is already {_settled(pending)}")
    note = body.note or ""
    round_ = db.decide(run_id, digest, approve=body.approve, by=user["name"], note=note)
    if round_ is None:
        raise HTTPException(409, f"approval {digest} was decided or expired meanwhile")
    from reign.server import durable

    durable.send_decision(run_id, digest, round_, {"approve": body.approve, "by": user["name"], "note": note})
    return {"run": run_id, "digest": digest, "approved": body.approve, "by": user["name"]}


@router.post("/runs/{run_id}/cancel")
def cancel_run(run_id: str, user: User, db: Db) -> dict[str, str]:
    run = visible_run(db, run_id, user)
    own = run["requested_by"] == user["name"]
    if not (user["role"] in ("approver", "admin") or (own and RANK[user["role"]] >= RANK["operator"])):
        raise HTTPException(403, "only who started the run (operator or above), an approver or an admin may "
                                 "cancel it")
    if run["status"] in ("completed", "failed", "cancelled", "interrupted"):
        raise HTTPException(409, f"run {run_id} already ended ({run['status']})")
    from reign.server import durable

    durable.cancel(run_id)
    db.update_run(run_id, status="cancelled", stop_reason="interrupted", error=f"cancelled by {user['name']}")
    db.cancel_pending(run_id)
    db.add_event(run_id, "end", "end", {"status": "cancelled", "by": user["name"]})
    return {"id": run_id, "status": "cancelled"}


def visible_run(db: Database, run_id: str, user: dict[str, Any]) -> dict[str, Any]:
    """The run, if this user may see it; otherwise 404, the same answer as for a run that does not exist."""
    run = db.run(run_id)
    if run is None or not can_see(user, run):
        raise HTTPException(404, f"no run {run_id}")
    return run


def _settled(row: dict[str, Any]) -> str:
    if row["status"] == "pending":
        return "expired"
    return f"{row['status']}" + (f" by {row['decided_by']}" if row.get("decided_by") else "")


def view(db: Database, row: dict[str, Any], *, brief: bool = False) -> dict[str, Any]:
    out = {k: row[k] for k in ("id", "status", "goal", "requested_by", "steps", "stop_reason", "final")}
    out.update(created=row["created"], updated=row["updated"], error=row["error"] or "")
    if brief:
        return out
    out["tool_calls"] = [{k: c.get(k) for k in _CALL_FIELDS} | ({"preview": c["preview"]} if c.get("preview") else {})
                         for c in db.tool_calls(row["id"])]
    out["pending"] = [{"digest": p["digest"], "tool": p["tool"], "args": json.loads(p["args"]), "effect": p["effect"],
                       "rule": p["rule"], "preview": p["preview"], "expires_at": _iso(p["expires_at"])}
                      for p in db.pending(row["id"]) if p["expires_at"] > time.time()]
    out["approvals"] = [{"digest": p["digest"], "tool": p["tool"], "status": p["status"], "by": p["decided_by"],
                         "at": p["decided_at"], "note": p["note"]} for p in db.approvals_of(row["id"])
                        if p["status"] != "pending"]
    return out


def _iso(epoch: float) -> str:
    from datetime import UTC, datetime

    return datetime.fromtimestamp(epoch, UTC).isoformat(timespec="seconds").replace("+00:00", "Z")
