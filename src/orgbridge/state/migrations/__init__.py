"""Alembic migrations of the state store, run programmatically when it opens."""
