"""`reign serve`: the HTTP API, durable runs (DBOS), users, events and chat-ops notices."""
