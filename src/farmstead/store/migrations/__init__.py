"""Alembic migrations: one dialect-neutral version tree, run on server start."""
