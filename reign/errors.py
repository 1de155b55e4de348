"""Errors that carry a one-line message meant for a person or for the model."""


class ReignError(Exception):
    """A user-facing failure: configuration, authentication, a dead provider. Ends the run cleanly."""


class ToolError(Exception):
    """An expected failure inside a tool (engine down, not found): becomes an error result for the model."""


class PolicyError(ReignError):
    """A policy file that does not load: bad YAML, unknown fields, or failing examples."""
