"""Web plumbing shared by every app: cache backend, client address, middleware."""
