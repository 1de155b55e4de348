"""Provider adapters. Imported lazily: each SDK costs about a second to import."""

from __future__ import annotations

from reign.config import Settings
from reign.errors import ReignError
from reign.providers.base import Provider

REPLAY_KEY = "replay-no-key"


def make_provider(settings: Settings, *, replaying: bool = False, base_wait: float = 1.0) -> Provider:
    """Build the configured provider. When replaying a cassette no real key is needed or sent."""
    key_field = settings.anthropic_api_key if settings.provider == "anthropic" else settings.openai_api_key
    key = REPLAY_KEY if replaying else (key_field.get_secret_value() if key_field else "")
    if not key:
        if settings.provider == "openai" and settings.base_url:
            key = "not-needed"  # local OpenAI-compatible servers (Ollama, vLLM) take any key
        else:
            env = "ANTHROPIC_API_KEY" if settings.provider == "anthropic" else "OPENAI_API_KEY"
            raise ReignError(f"no API key for {settings.provider}: set {env} (or replay a cassette with --cassette)")
    if settings.provider == "anthropic":
        from reign.providers.anthropic import AnthropicProvider

        return AnthropicProvider(api_key=key, model=settings.model, base_url=settings.base_url,
                                 timeout=settings.request_timeout, attempts=settings.request_attempts,
                                 base_wait=base_wait)
    from reign.providers.openai import OpenAIProvider

    return OpenAIProvider(api_key=key, model=settings.model, base_url=settings.base_url,
                          timeout=settings.request_timeout, attempts=settings.request_attempts, base_wait=base_wait)
