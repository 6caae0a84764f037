"""REST API v1 for this app (shared/API.md)."""
