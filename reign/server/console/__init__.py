"""The web console of `reign serve`: server-rendered pages (Jinja2, autoescaped) and a little local JavaScript."""

from __future__ import annotations

from pathlib import Path
from urllib.parse import urlencode

from fastapi import FastAPI, Request
from fastapi.responses import RedirectResponse
from fastapi.staticfiles import StaticFiles

from reign.config import Settings
from reign.server.console.security import NeedsSignIn, SecurityHeaders


def install(app: FastAPI, settings: Settings | None = None) -> None:
    """Add the console's pages, static files and security headers to the server app."""
    from reign.server.console.views import router

    app.state.settings = settings
    app.add_middleware(SecurityHeaders)

    @app.exception_handler(NeedsSignIn)
    async def sign_in(request: Request, exc: NeedsSignIn) -> RedirectResponse:
        target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
        return RedirectResponse(f"/login?{urlencode({'next': target})}", status_code=303)

    app.mount("/static", StaticFiles(directory=str(Path(__file__).parent / "static")), name="console-static")
    app.include_router(router)
