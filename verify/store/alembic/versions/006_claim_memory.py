"""Claim memory (issue 14): a claim of a run that resembles a claim already reviewed in another run
(verify/memory.py). Derived data: `verify memory RUN` recomputes a run's rows."""

import sqlalchemy as sa
from alembic import op

revision = "006_claim_memory"
down_revision = "005_claim_events"

TEXT = sa.Text()


def upgrade() -> None:
    op.create_table(
        "claim_memory",
        sa.Column("id", sa.Integer(), sa.Identity(), primary_key=True),
        sa.Column("run_id", TEXT, sa.ForeignKey("runs.id"), nullable=False),
        sa.Column("claim_id", TEXT, sa.ForeignKey("claims.id"), nullable=False),
        sa.Column("source_run_id", TEXT, sa.ForeignKey("runs.id"), nullable=False),
        sa.Column("source_claim_id", TEXT, sa.ForeignKey("claims.id"), nullable=False),
        sa.Column("score", sa.Float(), nullable=False), sa.Column("embedder", TEXT, nullable=False),
        sa.Column("created_at", TEXT, nullable=False),
        sqlite_autoincrement=True)
    op.create_index("claim_memory_claim", "claim_memory", ["claim_id", "score"])
    op.create_index("claim_memory_run", "claim_memory", ["run_id"])
