"""Per-manager classifiers: fixed rules (pure functions, no I/O) that derive facts the YAML can match.

A manager's module here exposes `facts(tool, args, ctx) -> set[str]`; reign/policy/facts/ registers it
(and fails closed when it cannot be imported). Rules then say `facts: [some_fact]`; decisions stay in the
policy, the recognising stays in code.
"""
