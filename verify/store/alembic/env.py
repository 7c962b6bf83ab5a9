"""Run by Alembic inside verify's own write transaction (verify/store/schema.py passes the connection):
users never need an alembic.ini."""

from alembic import context

connection = context.config.attributes["connection"]
context.configure(connection=connection, transaction_per_migration=False)
with context.begin_transaction():
    context.run_migrations()
