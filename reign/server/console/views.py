"""The console's pages: sign in and out, runs (list, live page, start), approvals, sessions, audit, policy.

Pages reuse the JSON API's own functions (runs.start_run, runs.decide, runs.visible_run) so the rules
(roles, four eyes, replay-only cassettes, expiry, who may see a run) are enforced in exactly one place:
a run outside the user's view is 404 here as in the API, and the runs list, sessions and audit browsers
show only what `scope.can_see` allows (sessions and records of no server run: admins only).
"""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Annotated, Any

import jinja2
import markupsafe
from fastapi import APIRouter, Depends, Form, HTTPException, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from fastapi.templating import Jinja2Templates
from pydantic import ValidationError
from sse_starlette import EventSourceResponse

from reign.config import Settings
from reign.errors import ReignError
from reign.server import runs
from reign.server.console import render
from reign.server.console.security import (
    LOGIN_COOKIE,
    SESSION_COOKIE,
    SESSION_SECONDS,
    csrf_for,
    csrf_ok,
    login_csrf_ok,
    new_login_nonce,
    require_user,
)
from reign.server.db import Database
from reign.server.scope import visible_runs, visible_sessions
from reign.server.users import RANK, authenticate
from reign.terminal import inert

# autoescape on for every template, whatever its name: no text from a tool or model is ever markup
templates = Jinja2Templates(env=jinja2.Environment(
    loader=jinja2.FileSystemLoader(Path(__file__).parent / "templates"), autoescape=True, finalize=lambda v: _inert(v)))


def _inert(value: Any) -> Any:
    """Every value a template prints, terminal control sequences shown as text (markup from macros passes)."""
    return inert(value) if isinstance(value, str) and not isinstance(value, markupsafe.Markup) else value
router = APIRouter(include_in_schema=False)
PageUser = Annotated[dict[str, Any], Depends(require_user)]
ENDED = ("completed", "failed", "cancelled", "interrupted")


def _db(request: Request) -> Database:
    db: Database = request.app.state.db
    return db


def _settings(request: Request) -> Settings:
    settings: Settings | None = getattr(request.app.state, "settings", None)
    return settings or Settings()


def page(request: Request, name: str, user: dict[str, Any] | None, code: int = 200, **context: Any) -> Response:
    token = request.cookies.get(SESSION_COOKIE, "")
    context.update(user=user, csrf=csrf_for(token) if user else "", replay=request.app.state.cfg.replay)
    return templates.TemplateResponse(request, name, context, status_code=code)


def _refuse(request: Request, submitted: str) -> None:
    if not csrf_ok(request, submitted):
        raise HTTPException(403, "CSRF check failed: reload the page and try again")


# -- sign in and out -----------------------------------------------------------------------------------------
@router.get("/login")
def login_form(request: Request, next: str = "/") -> Response:
    nonce = new_login_nonce()
    response = page(request, "login.html", None, nonce=nonce, error="", next=_local(next))
    response.set_cookie(LOGIN_COOKIE, nonce, httponly=True, samesite="strict", secure=_https(request), max_age=900)
    return response


@router.post("/login")
def login(request: Request, token: Annotated[str, Form(max_length=200)] = "",
          nonce: Annotated[str, Form(max_length=100)] = "",
          next: Annotated[str, Form(max_length=2000)] = "/") -> Response:
    if not login_csrf_ok(request, nonce):
        raise HTTPException(403, "CSRF check failed: reload the sign-in page and try again")
    token = token.strip()
    if authenticate(_db(request), token) is None:
        fresh = new_login_nonce()
        response = page(request, "login.html", None, 401, nonce=fresh, error="That token is not valid (or revoked).",
                        next=_local(next))
        response.set_cookie(LOGIN_COOKIE, fresh, httponly=True, samesite="strict", secure=_https(request),
                            max_age=900)
        return response
    response = RedirectResponse(_local(next), status_code=303)
    response.set_cookie(SESSION_COOKIE, token, httponly=True, samesite="strict", secure=_https(request),
                        max_age=SESSION_SECONDS, path="/")
    response.delete_cookie(LOGIN_COOKIE)
    return response


@router.post("/logout")
def logout(request: Request, user: PageUser, csrf: Annotated[str, Form(max_length=100)] = "") -> Response:
    _refuse(request, csrf)
    response = RedirectResponse("/login", status_code=303)
    response.delete_cookie(SESSION_COOKIE, path="/")
    return response


def _local(target: str) -> str:
    """Where to go after signing in: a path on this server only (no open redirect to another site)."""
    ok = target.startswith("/") and not target.startswith(("//", "/\\")) and "\\" not in target
    return target if ok and not any(ord(c) < 32 for c in target) else "/"


def _https(request: Request) -> bool:
    return request.url.scheme == "https"


def _default_model(provider: str) -> str:
    """The model a run without one uses: the provider adapter's default (what `reign run` would send)."""
    if provider == "openai":
        from reign.providers.openai import DEFAULT_MODEL as OPENAI_MODEL

        return OPENAI_MODEL
    from reign.providers.anthropic import DEFAULT_MODEL

    return DEFAULT_MODEL


# -- runs ------------------------------------------------------------------------------------------------------
@router.get("/", response_class=HTMLResponse)
def runs_list(request: Request, user: PageUser, status: str = "", who: str = "", q: str = "") -> Response:
    db = _db(request)
    rows = []
    settings = _settings(request)
    for row in visible_runs(db, user, limit=200):
        if (status and row["status"] != status) or (who and who.lower() not in row["requested_by"].lower()) or \
                (q and q.lower() not in row["goal"].lower()):
            continue
        tot = render.totals(db.events_after(row["id"], 0, limit=5000))
        model = row.get("model") or settings.model or _default_model(row.get("provider") or settings.provider)
        rows.append(row | tot | {"model": model, "cost": render.cost_text(tot, model, settings.prices)})
    return page(request, "runs.html", user, rows=rows, statuses=runs.STATUSES, status=status, who=who, q=q,
                error="", may_start=RANK[user["role"]] >= RANK["operator"])


@router.post("/runs")
def start(request: Request, user: PageUser, goal: Annotated[str, Form(max_length=20_000)] = "",
          cassette: Annotated[str, Form(max_length=4096)] = "",
          csrf: Annotated[str, Form(max_length=100)] = "") -> Response:
    _refuse(request, csrf)
    cfg = request.app.state.cfg
    try:
        body = runs.RunRequest(goal=goal.strip(), cassette=cassette.strip() or None)
        started = runs.start_run(body, user, _db(request), cfg)
    except ValidationError:
        return _runs_error(request, user, "A goal is required.")
    except HTTPException as exc:
        return _runs_error(request, user, str(exc.detail), exc.status_code)
    return RedirectResponse(f"/runs/{started['id']}", status_code=303)


def _runs_error(request: Request, user: dict[str, Any], message: str, status: int = 400) -> Response:
    return page(request, "runs.html", user, status, rows=[], statuses=runs.STATUSES, status="", who="", q="",
                error=message, may_start=RANK[user["role"]] >= RANK["operator"])


@router.get("/runs/{run_id}", response_class=HTMLResponse)
def run_page(request: Request, run_id: str, user: PageUser, approve: str = "", error: str = "",
             status_code: int = 200) -> Response:
    db = _db(request)
    run = runs.visible_run(db, run_id, user)
    cfg = request.app.state.cfg
    events = db.events_after(run_id, 0, limit=5000)
    pending = []
    for p in db.pending(run_id):
        if p["expires_at"] <= time.time():
            continue
        own = cfg.four_eyes and run["requested_by"] == user["name"] and p["effect"] in ("destructive", "unknown")
        may = user["role"] in ("approver", "admin") and not own
        why = "" if may else ("four eyes: someone other than who started the run must approve this call" if own
                              else f"your role ({user['role']}) may not decide approvals")
        pending.append({"digest": p["digest"], "tool": p["tool"], "effect": p["effect"], "rule": p["rule"],
                        "reason": inert(p["reason"]), "may": may, "why": why, "focus": p["digest"] == approve,
                        "args": render.block("arguments", json.dumps(json.loads(p["args"]), indent=2,
                                                                     ensure_ascii=False), diff=False),
                        "preview": render.block("preview", p["preview"]) if p["preview"] else None})
    cards = [render.card(int(e["id"]), e["kind"], e["data"]) for e in events]
    return page(request, "run.html", user, status_code, run=run, cards=cards, pending=pending,
                last=cards[-1]["id"] if cards else 0, live=run["status"] not in ENDED,
                charts=render.charts(events), totals=render.totals(events), error=error)


@router.post("/runs/{run_id}/approvals/{digest}")
def decide(request: Request, run_id: str, digest: str, user: PageUser,
           verdict: Annotated[str, Form(max_length=10)] = "", note: Annotated[str, Form(max_length=2000)] = "",
           csrf: Annotated[str, Form(max_length=100)] = "") -> Response:
    _refuse(request, csrf)
    if verdict not in ("approve", "deny"):
        raise HTTPException(422, "verdict must be approve or deny")
    try:
        runs.decide(run_id, digest, runs.Decision(approve=verdict == "approve", note=note or None), user,
                    _db(request), request.app.state.cfg)
    except HTTPException as exc:
        if exc.status_code == 404:
            raise
        return run_page(request, run_id, user, error=str(exc.detail), status_code=exc.status_code)
    return RedirectResponse(f"/runs/{run_id}", status_code=303)


@router.get("/console/runs/{run_id}/events")
async def run_cards(request: Request, run_id: str, user: PageUser, last_event_id: int = 0) -> EventSourceResponse:
    """The run's events as display cards over SSE for the page (cookie session; GET only, changes nothing)."""
    db = _db(request)
    await asyncio.to_thread(runs.visible_run, db, run_id, user)
    raw = request.headers.get("last-event-id") or str(last_event_id)
    after = int(raw) if raw.isdigit() else 0

    async def stream() -> AsyncIterator[dict[str, str]]:
        nonlocal after
        while True:
            batch = await asyncio.to_thread(db.events_after, run_id, after)
            for event in batch:
                after = int(event["id"])
                yield {"id": str(after), "data": json.dumps(render.card(after, event["kind"], event["data"]))}
                if event["kind"] == "end":
                    return
            if not batch:
                if await request.is_disconnected():
                    return
                await asyncio.sleep(0.2)

    return EventSourceResponse(stream(), ping=15)


# -- sessions, audit, policy -----------------------------------------------------------------------------------
@router.get("/sessions", response_class=HTMLResponse)
def sessions_page(request: Request, user: PageUser, q: str = "", session: str = "") -> Response:
    from reign.sessions import SessionStore

    store = SessionStore.existing(_settings(request).database)
    rows: list[dict[str, Any]] = []
    calls: list[dict[str, Any]] = []
    error = ""
    db = _db(request)
    if store is not None:
        try:
            recent = [i for i in store.recent(500)
                      if not q or q.lower() in (i.id + " " + i.goal + " " + i.status).lower()]
            seen = visible_sessions(db, user, [i.id for i in recent])
            rows = [i.row() for i in recent if i.id in seen]
            if session:
                if user["role"] != "admin" and not visible_sessions(db, user, [session]):  # exact ids only
                    raise ReignError(f"no session {session!r} (the list above shows the ones you may see)")
                calls = [{k: inert(str(r[k])) if r[k] is not None else "" for k in r.keys()}  # noqa: SIM118 (a Row iterates values)
                         for r in store.calls(store.find(session).id)]
        except ReignError as exc:
            error = str(exc)
        finally:
            store.close()
    return page(request, "sessions.html", user, rows=rows, q=q, session=session, calls=calls, error=error)


@router.get("/audit", response_class=HTMLResponse)
def audit_page(request: Request, user: PageUser, q: str = "", session: str = "") -> Response:
    from reign.audit import default_path, read

    records = read(default_path(_settings(request).audit_dir), session or None)
    seen = visible_sessions(_db(request), user, sorted({str(r.get("session") or "") for r in records}))
    records = [r for r in records if str(r.get("session") or "") in seen]
    if q:
        records = [r for r in records if q.lower() in json.dumps(r, ensure_ascii=False).lower()]
    shown = [{"seq": r.get("seq"), "time": r.get("ts", r.get("time", "")), "session": r.get("session", ""),
              "kind": r.get("kind", ""),
              "detail": inert(json.dumps({k: v for k, v in r.items()
                                                 if k not in ("seq", "ts", "time", "session", "kind", "prev",
                                                              "hash", "mac")}, ensure_ascii=False))}
             for r in records[-300:]]
    return page(request, "audit.html", user, records=list(reversed(shown)), q=q, session=session,
                total=len(records))


@router.get("/policy", response_class=HTMLResponse)
def policy_page(request: Request, user: PageUser) -> Response:
    from reign.policy import load_checked_policy

    policy = load_checked_policy(list(_settings(request).policy_files))
    rows = [{"id": r.id, "decision": r.decision, "layer": r.layer, "disabled_by": policy.disabled.get(r.id, ""),
             "reason": r.reason, "match": json.dumps(r.match, ensure_ascii=False, default=str)}
            for r in policy.rules]
    return page(request, "policy.html", user, layers=policy.layers, rules=rows)
