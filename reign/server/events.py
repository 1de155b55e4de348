"""GET /api/runs/{id}/events: the run's events as Server-Sent Events, resumable with Last-Event-ID.

Events are read from the database (any server process may be running the run), so a client that
reconnects to another server with the last id it saw gets exactly the events after it. The stream
ends after the `end` event.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from typing import Any

from fastapi import APIRouter, HTTPException, Request
from sse_starlette import EventSourceResponse

from reign.server.runs import Db, User, visible_run

router = APIRouter(prefix="/api")
POLL_SECONDS = 0.2


@router.get("/runs/{run_id}/events")
async def run_events(run_id: str, request: Request, user: User, db: Db) -> EventSourceResponse:
    await asyncio.to_thread(visible_run, db, run_id, user)
    raw = request.headers.get("last-event-id") or request.query_params.get("last_event_id") or "0"
    if not raw.isdigit():
        raise HTTPException(422, "Last-Event-ID must be the numeric id of an event")
    return EventSourceResponse(_stream(request, db, run_id, int(raw)), ping=15)


async def _stream(request: Request, db: Any, run_id: str, after: int) -> AsyncIterator[dict[str, str]]:
    while True:
        batch = await asyncio.to_thread(db.events_after, run_id, after)
        for event in batch:
            after = int(event["id"])
            yield {"id": str(after), "event": event["kind"], "data": json.dumps(event["data"], ensure_ascii=False)}
            if event["kind"] == "end":
                return
        if not batch:
            if await request.is_disconnected():
                return
            await asyncio.sleep(POLL_SECONDS)
