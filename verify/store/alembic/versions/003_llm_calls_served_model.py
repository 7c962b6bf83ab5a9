"""The model a server said answered each call: a cached reply is served only to the same model."""

import sqlalchemy as sa
from alembic import op

revision = "003_llm_calls_served_model"
down_revision = "002_review_events"


def upgrade() -> None:
    op.add_column("llm_calls", sa.Column("served_model", sa.Text(), nullable=False, server_default=""))
