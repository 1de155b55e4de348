"""The console's guards: a session cookie holding the bearer token, CSRF tokens, and security headers.

The cookie is HttpOnly and SameSite=Strict, so page scripts cannot read it and other sites' requests do not
carry it. Every state-changing form also carries a CSRF token derived from the session (HMAC keyed by the
token) and must come from this origin (Origin or Referer). The JSON API under /api never reads the cookie:
it stays bearer-only, so the cookie opens no door to it.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from collections.abc import Awaitable, Callable
from typing import Any
from urllib.parse import urlsplit

from fastapi import Request

from reign.server.db import Database
from reign.server.users import authenticate

SESSION_COOKIE = "reign_session"
LOGIN_COOKIE = "reign_login_csrf"
SESSION_SECONDS = 12 * 3600
CSP = ("default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; "
       "object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'")
# same-origin, not no-referrer: under no-referrer browsers send `Origin: null` on form posts, failing the check
HEADERS = [(b"content-security-policy", CSP.encode()), (b"x-content-type-options", b"nosniff"),
           (b"referrer-policy", b"same-origin"), (b"x-frame-options", b"DENY")]


class NeedsSignIn(Exception):
    """Raised by a page whose visitor has no valid session: answered with a redirect to /login."""


def session_user(request: Request) -> dict[str, Any] | None:
    db: Database = request.app.state.db
    token = request.cookies.get(SESSION_COOKIE, "")
    return authenticate(db, token) if token.startswith("rgn_") else None


def require_user(request: Request) -> dict[str, Any]:
    user = session_user(request)
    if user is None:
        raise NeedsSignIn()
    return user


def csrf_for(token: str) -> str:
    """The session's CSRF token: unguessable without the (HttpOnly) session token, stable across restarts."""
    return hmac.new(token.encode(), b"reign-console-csrf", hashlib.sha256).hexdigest()


def new_login_nonce() -> str:
    return secrets.token_urlsafe(24)


def same_origin(request: Request) -> bool:
    """Fail closed: a state-changing request must name this very origin in Origin (or, lacking it, Referer)."""
    source = request.headers.get("origin") or request.headers.get("referer") or ""
    if not source or source == "null":
        return False
    parts = urlsplit(source)
    return f"{parts.scheme}://{parts.netloc}" == f"{request.url.scheme}://{request.url.netloc}"


def csrf_ok(request: Request, submitted: str) -> bool:
    token = request.cookies.get(SESSION_COOKIE, "")
    return bool(token and submitted) and same_origin(request) and hmac.compare_digest(csrf_for(token), submitted)


def login_csrf_ok(request: Request, submitted: str) -> bool:
    """Sign-in (no session yet): double submit of a nonce cookie, plus the Origin check."""
    nonce = request.cookies.get(LOGIN_COOKIE, "")
    return bool(nonce and submitted) and same_origin(request) and hmac.compare_digest(nonce, submitted)


Send = Callable[[dict[str, Any]], Awaitable[None]]
Receive = Callable[[], Awaitable[dict[str, Any]]]


class SecurityHeaders:
    """CSP, nosniff, no referrer and no framing on every HTTP response (pure ASGI: streams pass through)."""

    def __init__(self, app: Callable[[dict[str, Any], Receive, Send], Awaitable[None]]) -> None:
        self.app = app

    async def __call__(self, scope: dict[str, Any], receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def with_headers(message: dict[str, Any]) -> None:
            if message["type"] == "http.response.start":
                present = {k.lower() for k, _ in message.get("headers", [])}
                message["headers"] = list(message.get("headers", [])) + [h for h in HEADERS if h[0] not in present]
            await send(message)

        await self.app(scope, receive, with_headers)
