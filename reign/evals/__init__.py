"""Measure the agent: tasks in k8s-ai-bench's format run k times in isolation against real engines,
live or replayed from cassettes, with pass@k, tokens, cost and safety metrics (`reign eval`)."""
