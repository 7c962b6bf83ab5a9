"""The store's Alembic migration history (versions/): one schema for SQLite and PostgreSQL.

Revision ids are the names the store used before Alembic (001_initial ...): an older SQLite store's
schema_migrations rows say where its history stands. Never edit a revision that has shipped: add one.
"""
