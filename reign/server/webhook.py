"""Chat-ops: a pending approval posted to a webhook in Slack's incoming-webhook JSON, with a link to approve.

The text of the call comes from the model and from tools, so it is shown as code and never as markup.
"""

from __future__ import annotations

import json
from typing import Any

from reign.server.config import ServerConfig


def slack_message(cfg: ServerConfig, run_id: str, pending: dict[str, Any]) -> dict[str, Any]:
    link = f"{cfg.public_url.rstrip('/')}/runs/{run_id}?approve={pending['digest']}"
    args = json.dumps(pending.get("args", {}), ensure_ascii=False)[:1500].replace("```", "'''")
    summary = f"Reign run {run_id} asks to run {pending['tool']} ({pending['effect']}, rule {pending['rule']})"
    return {
        "text": f"{summary}: {link}",
        "blocks": [
            {"type": "section", "text": {"type": "mrkdwn", "text": _escape(summary)}},
            {"type": "section", "text": {"type": "mrkdwn", "text": f"```{_escape(args)}```"}},
            {"type": "actions", "elements": [{"type": "button", "text": {"type": "plain_text", "text": "Review"},
                                              "url": link, "style": "primary"}]},
        ],
    }


def post_pending(cfg: ServerConfig, run_id: str, pending: dict[str, Any]) -> bool:
    """Best effort: a webhook that is down must not stop the run (the approval waits all the same)."""
    import httpx

    if not cfg.webhook_url:
        return False
    try:
        response = httpx.post(cfg.webhook_url, json=slack_message(cfg, run_id, pending), timeout=10)
    except httpx.HTTPError:
        return False
    return response.is_success


def _escape(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
