"""`reign serve`: the FastAPI application and its process.

`create_app(cfg)` returns the app with its routers (the JSON API under /api); a web console adds its own
routers to the same app. The app launches DBOS (durable runs) when it starts, so every server process is
also a worker: runs are queued in the database and any server on it may pick them up.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from typing import Any

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse
from pydantic import SecretStr

from reign.config import Settings
from reign.errors import ReignError
from reign.server.config import ServerConfig
from reign.server.db import Database

ASGIApp = Callable[[dict[str, Any], Callable[[], Awaitable[dict[str, Any]]],
                    Callable[[dict[str, Any]], Awaitable[None]]], Awaitable[None]]


def create_app(cfg: ServerConfig, *, settings: Settings | None = None, durable: bool = True) -> FastAPI:
    """The server app. `durable=False` serves the API without running runs (tests of auth and validation)."""
    db = Database(cfg.database_url)
    # Runs' sessions record into the server's database, so every server on it (and `reign sessions` pointed
    # at it) sees every run.
    settings = (settings or Settings()).model_copy(update={"database_url": SecretStr(cfg.database_url)})

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        await asyncio.to_thread(db.migrate)
        if durable:
            from reign.server import durable as engine

            # DBOS refuses its blocking calls on a thread with a running event loop
            await asyncio.to_thread(engine.launch, cfg, db, settings)
        try:
            yield
        finally:
            if durable:
                await asyncio.to_thread(engine.shutdown)
            db.engine.dispose()

    app = FastAPI(title="Reign", version="1", lifespan=lifespan, docs_url=None, redoc_url=None)
    app.state.cfg, app.state.db = cfg, db
    app.add_middleware(BodyLimit, max_body=cfg.max_body)

    @app.exception_handler(ReignError)
    async def reign_error(request: Request, exc: ReignError) -> JSONResponse:
        return JSONResponse({"detail": str(exc)}, status_code=503 if "database" in str(exc) else 400)

    from reign.server import events, runs

    app.include_router(runs.router)
    app.include_router(events.router)
    from reign.server import console

    console.install(app, settings)
    return app


class BodyLimit:
    """413 for a request body over `max_body` bytes, declared or streamed (pure ASGI, so nothing is buffered)."""

    def __init__(self, app: ASGIApp, max_body: int) -> None:
        self.app, self.max_body = app, max_body

    async def __call__(self, scope: dict[str, Any], receive: Callable[[], Awaitable[dict[str, Any]]],
                       send: Callable[[dict[str, Any]], Awaitable[None]]) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        declared = dict(scope.get("headers") or []).get(b"content-length")
        if declared is not None and declared.isdigit() and int(declared) > self.max_body:
            await _too_large(send, self.max_body)
            return
        seen = 0
        refused = False

        async def limited() -> dict[str, Any]:
            nonlocal seen, refused
            message = await receive()
            if message["type"] == "http.request":
                seen += len(message.get("body", b""))
                if seen > self.max_body and not refused:
                    refused = True
                    await _too_large(send, self.max_body)
                    return {"type": "http.disconnect"}  # the app stops reading; its own answer is dropped
            return message

        async def guarded(message: dict[str, Any]) -> None:
            if not refused:
                await send(message)

        await self.app(scope, limited, guarded)


async def _too_large(send: Callable[[dict[str, Any]], Awaitable[None]], limit: int) -> None:
    body = f'{{"detail":"request body over {limit} bytes"}}'.encode()
    await send({"type": "http.response.start", "status": 413,
                "headers": [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())]})
    await send({"type": "http.response.body", "body": body})


def serve(cfg: ServerConfig) -> None:
    import uvicorn

    if cfg.host not in ("127.0.0.1", "localhost", "::1"):
        import sys

        print(f"reign: serving on {cfg.host}: put TLS in front of it (tokens travel in headers)", file=sys.stderr)
    Database(cfg.database_url).migrate()  # an unreachable or foreign database: one line, before serving
    uvicorn.run(create_app(cfg), host=cfg.host, port=cfg.port, log_level="warning", access_log=False)
