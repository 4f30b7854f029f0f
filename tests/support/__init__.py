"""Test support: starting real servers, making real clients, reaching PostgreSQL."""
