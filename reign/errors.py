"""Errors that carry a one-line message meant for a person or for the model."""


class ReignError(Exception):
    """A user-facing failure: configuration, authentication, a dead provider. Ends the run cleanly."""


class ToolError(Exception):
    """An expected failure inside a tool (engine down, not found): becomes an error result for the model."""


class PolicyError(ReignError):
    """A policy file that does not load: bad YAML, unknown fields, or failing examples."""


def connection_reason(exc: BaseException) -> str:
    """The short cause of a failure to reach an engine (Docker socket, API server), wherever it sits
    in the exception's chain or args: what a one-line "unreachable" message needs."""
    import re

    seen: set[int] = set()
    todo: list[BaseException] = [exc]
    while todo:
        err = todo.pop(0)
        if id(err) in seen:
            continue
        seen.add(id(err))
        text = str(err)
        if isinstance(err, FileNotFoundError):
            return "no such socket"
        if isinstance(err, ConnectionRefusedError) or "Connection refused" in text:
            return "connection refused"
        if "CERTIFICATE_VERIFY_FAILED" in text or "certificate verify failed" in text:
            return "TLS certificate verify failed"
        if isinstance(err, PermissionError):
            return "permission denied"
        if isinstance(err, TimeoutError) or type(err).__name__ in (
                "ReadTimeout", "ConnectTimeout", "ReadTimeoutError", "ConnectTimeoutError"):
            return "timed out"
        if "Name or service not known" in text or "nodename nor servname" in text or "NameResolution" in text:
            return "unknown host"
        if isinstance(err, OSError) and err.strerror:
            return err.strerror.lower()
        nxt = [err.__cause__, err.__context__, getattr(err, "reason", None), *err.args]
        todo.extend(e for e in nxt if isinstance(e, BaseException))
    text = str(exc)
    for pattern, reason in (
        (r"No such file or directory", "no such socket"),
        (r"Permission denied", "permission denied"),
        (r"[Tt]imed? ?out", "timed out"),
    ):
        if re.search(pattern, text):
            return reason
    return " ".join(text.split())[:160]


def one_line(text: object, limit: int = 300) -> str:
    """Any text (an exception, an engine's message) as one line of at most `limit` characters."""
    line = " ".join(str(text).split())
    if not line and isinstance(text, BaseException):
        line = type(text).__name__
    return line if len(line) <= limit else line[: limit - 3] + "..."


def last_line(output: str, limit: int = 300, *, empty: str = "no output") -> str:
    """The last non-blank line of a command's output: where CLIs put the error that matters."""
    lines = [ln.strip() for ln in output.splitlines() if ln.strip()]
    return (lines[-1] if lines else empty)[:limit]
