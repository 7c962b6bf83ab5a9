"""Review events: the append-only log of reviewers' decisions."""

import sqlalchemy as sa
from alembic import op

revision = "002_review_events"
down_revision = "001_initial"

TEXT = sa.Text()


def upgrade() -> None:
    op.create_table(
        "review_events",
        sa.Column("id", sa.Integer(), sa.Identity(), primary_key=True),
        sa.Column("run_id", TEXT, sa.ForeignKey("runs.id"), nullable=False),
        sa.Column("claim_id", TEXT, sa.ForeignKey("claims.id"), nullable=False),
        sa.Column("reviewer", TEXT, nullable=False), sa.Column("action", TEXT, nullable=False),
        sa.Column("label_before", TEXT), sa.Column("label_after", TEXT),
        sa.Column("note", TEXT, nullable=False, server_default=""), sa.Column("created_at", TEXT, nullable=False),
        sa.Column("previous_event_id", sa.Integer()),
        sqlite_autoincrement=True)
    op.create_index("review_events_claim", "review_events", ["claim_id", "id"])
