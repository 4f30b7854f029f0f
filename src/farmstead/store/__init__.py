"""The store: the only package that writes SQL (SQLAlchemy 2 Core), for SQLite and PostgreSQL alike."""
