"""The REST API (FastAPI, /api/v1)."""
