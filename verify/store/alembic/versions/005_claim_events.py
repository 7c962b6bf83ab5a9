"""Claim edits (added by hand, reworded, not check-worthy, merged, re-judged): an append-only log;
before/after are JSON. A claim row is never changed: the effective claim is replayed from these."""

import sqlalchemy as sa
from alembic import op

revision = "005_claim_events"
down_revision = "004_review_citations"

TEXT = sa.Text()


def upgrade() -> None:
    op.create_table(
        "claim_events",
        sa.Column("id", sa.Integer(), sa.Identity(), primary_key=True),
        sa.Column("run_id", TEXT, sa.ForeignKey("runs.id"), nullable=False),
        sa.Column("claim_id", TEXT, sa.ForeignKey("claims.id"), nullable=False),
        sa.Column("actor", TEXT, nullable=False), sa.Column("action", TEXT, nullable=False),
        sa.Column("before", TEXT, nullable=False, server_default="null"),
        sa.Column("after", TEXT, nullable=False, server_default="null"),
        sa.Column("note", TEXT, nullable=False, server_default=""), sa.Column("created_at", TEXT, nullable=False),
        sqlite_autoincrement=True)
    op.create_index("claim_events_run", "claim_events", ["run_id", "id"])
