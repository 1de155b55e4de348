"""The GitHub client (PyGithub): token, base URL, retries, and API errors as one-line ToolErrors."""

from __future__ import annotations

import importlib.util
import re
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from itertools import islice
from typing import TYPE_CHECKING, Any

from reign.config import Settings

if TYPE_CHECKING:
    from collections.abc import Iterable

    from github import Github
    from github.GithubObject import GithubObject
    from github.Repository import Repository
    from urllib3.util.retry import Retry
from reign.errors import ToolError
from reign.toolcontext import ToolContext
from reign.truncate import cut


@dataclass(frozen=True)
class ClientOptions:
    """How the PyGithub client is built. Tests use ClientOptions(0, 0.0, 0.0) (no retry, no spacing)."""

    retry_5xx: int = 2  # retries of idempotent requests on 500/502/503/504; 0 = retry=None
    seconds_between_requests: float = 0.25
    seconds_between_writes: float = 1.0


OPTIONS = ClientOptions()
MAX_BODY = 4000
SHA = re.compile(r"^[0-9a-f]{40}$")


def available(settings: Settings) -> str | None:
    """None when the GitHub tools can run, else why not (no PyGithub, no token)."""
    if importlib.util.find_spec("github") is None:
        return "PyGithub is not installed (pip install 'reign[github]')"
    if settings.github_token is None:
        return "GITHUB_TOKEN not set"
    return None


# --------------------------------------------------------------------------------------------- client


def base_url(ctx: ToolContext) -> str:
    return (ctx.settings.github_base_url or "https://api.github.com").rstrip("/")


def client(ctx: ToolContext) -> Github:
    """A PyGithub client for this run's settings. Lazy: objects fetch only when their data is needed."""
    secret = ctx.settings.github_token
    if secret is None or not secret.get_secret_value():
        raise ToolError("GITHUB_TOKEN not set: export a token with access to the repository")
    from github import Auth, Github

    retry: Retry | None = None
    if OPTIONS.retry_5xx > 0:
        from urllib3.util.retry import Retry

        retry = Retry(total=OPTIONS.retry_5xx, backoff_factor=1.0, status_forcelist=(500, 502, 503, 504),
                      allowed_methods=frozenset({"GET", "HEAD"}), raise_on_status=False,
                      respect_retry_after_header=False)
    return Github(auth=Auth.Token(secret.get_secret_value()), base_url=base_url(ctx),
                  timeout=max(5, int(ctx.settings.tool_timeout)), retry=retry, per_page=100,
                  user_agent="reign-agent", lazy=True,
                  seconds_between_requests=OPTIONS.seconds_between_requests,
                  seconds_between_writes=OPTIONS.seconds_between_writes)


def repository(ctx: ToolContext, repo: str) -> Repository:
    return client(ctx).get_repo(repo)


def full_json(obj: GithubObject) -> dict[str, Any]:
    """The object's JSON, fetching it once if it is still lazy."""
    data: dict[str, Any] = obj.raw_data
    return data


def listed_json(obj: GithubObject) -> dict[str, Any]:
    """The JSON a list endpoint returned for this item, without completing it (no extra request)."""
    data: dict[str, Any] = getattr(obj, "_rawData", None) or {}
    return data


def take(paginated: Iterable[GithubObject], limit: int) -> list[dict[str, Any]]:
    """Up to `limit` items, following Link rel=next pages only as far as needed."""
    return [listed_json(item) for item in islice(iter(paginated), limit)]


# --------------------------------------------------------------------------------------------- errors


def _when(epoch: float, now: float) -> str:
    moment = datetime.fromtimestamp(epoch, UTC)
    same_day = moment.date() == datetime.fromtimestamp(now, UTC).date()
    return moment.strftime("%H:%M UTC") if same_day else moment.strftime("%Y-%m-%d %H:%M UTC")


def _header(headers: dict[str, Any] | None, name: str) -> str | None:
    for key, value in (headers or {}).items():
        if str(key).lower() == name:
            return str(value)
    return None


def _api_message(data: Any) -> str:
    if isinstance(data, dict):
        return str(data.get("message") or "").strip()
    return str(data or "").strip()


def _validation_details(data: Any) -> str:
    if not isinstance(data, dict):
        return ""
    parts = []
    for err in data.get("errors") or []:
        if isinstance(err, str):
            parts.append(err)
        elif isinstance(err, dict):
            if err.get("message"):
                parts.append(str(err["message"]))
            else:
                where = ".".join(str(err[k]) for k in ("resource", "field") if err.get(k))
                parts.append(f"{where} {err.get('code', 'invalid')}".strip())
    return "; ".join(parts)


def describe_error(status: int, data: Any, headers: dict[str, Any] | None, what: str,
                   now: float | None = None) -> str:
    """One line for a failed API call, saying what to do next."""
    message = _api_message(data)
    lower = message.lower()
    remaining = _header(headers, "x-ratelimit-remaining")
    reset = _header(headers, "x-ratelimit-reset")
    retry_after = _header(headers, "retry-after")
    now = datetime.now(UTC).timestamp() if now is None else now
    if status in (403, 429) and ("secondary rate limit" in lower or retry_after is not None
                                 or "retry your request again later" in lower):
        wait = int(retry_after) if retry_after and retry_after.isdigit() else 60
        return (f"GitHub secondary rate limit on {what}: retry after {wait} s (at {_when(now + wait, now)}); "
                "make fewer requests at once and space out writes")
    if status in (403, 429) and (remaining == "0" or lower.startswith("api rate limit exceeded")):
        limit = _header(headers, "x-ratelimit-limit") or "?"
        resource = _header(headers, "x-ratelimit-resource") or "core"
        until = f"rate limited until {_when(float(reset), now)}" if reset and reset.isdigit() else "rate limited"
        return (f"GitHub API rate limit exhausted ({limit}/hour, {resource}) on {what}: {until}; "
                "wait until then or use a token with a higher limit")
    if status == 429:
        return f"GitHub answered 429 Too Many Requests on {what}: wait a minute and try again"
    if status == 401:
        return "GitHub rejected the token (401 Bad credentials): set a valid GITHUB_TOKEN"
    if status == 403:
        needs = _header(headers, "x-accepted-github-permissions")
        hint = f"the token needs the permission {needs}" if needs else \
            "the token lacks the permission, or the repository restricts this action"
        return f"forbidden (403) on {what}: {message or 'Forbidden'}; {hint}"
    if status == 404:
        return (f"{what} not found (404): check the name, or the token cannot see it "
                "(private repositories need a token with access)")
    if status == 422:
        details = _validation_details(data)
        text = f"{message}: {details}" if details and details not in message else (message or details)
        return f"GitHub rejected {what} (422 validation failed): {text or 'invalid request'}"
    if status in (405, 409):
        return f"GitHub refused {what} ({status}): {message or 'conflict'}"
    if status >= 500:
        return f"GitHub server error {status} on {what}: try again later"
    return f"GitHub error {status} on {what}: {message or 'request failed'}"


@contextmanager
def api_errors(what: str) -> Iterator[None]:
    """Turn PyGithub and connection failures inside the block into one-line ToolErrors."""
    from github import GithubException

    try:
        yield
    except GithubException as exc:
        raise ToolError(describe_error(exc.status, exc.data, exc.headers, what)) from None
    except ToolError:
        raise
    except Exception as exc:
        import requests

        if isinstance(exc, requests.exceptions.RequestException):
            reason = type(exc).__name__
            if isinstance(exc, requests.exceptions.Timeout):
                reason = "timed out"
            elif isinstance(exc, requests.exceptions.ConnectionError):
                reason = "connection failed"
            raise ToolError(f"GitHub API unreachable for {what} ({reason}): check the network or "
                            "github_base_url") from None
        raise


# --------------------------------------------------------------------------------------------- shaping


def login_of(user: Any) -> str | None:
    return user.get("login") if isinstance(user, dict) else None


def label_names(item: dict[str, Any]) -> list[str]:
    return [lb["name"] if isinstance(lb, dict) else str(lb) for lb in item.get("labels") or []]


def trimmed_body(text: Any, limit: int = MAX_BODY) -> str:
    return cut(str(text or ""), limit)
