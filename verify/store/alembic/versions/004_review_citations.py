"""Reviewer citations (issue 11): sentences a reviewer cites as supporting or refuting a claim, and
withdrawals of them; append-only like review_events. `source` is the SourceMeta JSON at citing."""

import sqlalchemy as sa
from alembic import op

revision = "004_review_citations"
down_revision = "003_llm_calls_served_model"

TEXT, INT = sa.Text(), sa.Integer()


def upgrade() -> None:
    op.create_table(
        "review_citations",
        sa.Column("id", INT, sa.Identity(), primary_key=True),
        sa.Column("run_id", TEXT, sa.ForeignKey("runs.id"), nullable=False),
        sa.Column("claim_id", TEXT, sa.ForeignKey("claims.id"), nullable=False),
        sa.Column("reviewer", TEXT, nullable=False), sa.Column("action", TEXT, nullable=False), sa.Column("stance", TEXT),
        sa.Column("chunk_id", TEXT, nullable=False, server_default=""),
        sa.Column("source_id", TEXT, nullable=False, server_default=""),
        sa.Column("sentence_index", INT, nullable=False, server_default="0"),
        sa.Column("text", TEXT, nullable=False, server_default=""),
        sa.Column("start_char", INT, nullable=False, server_default="0"),
        sa.Column("end_char", INT, nullable=False, server_default="0"),
        sa.Column("origin", TEXT, nullable=False, server_default=""),
        sa.Column("source", TEXT, nullable=False, server_default="null"),
        sa.Column("note", TEXT, nullable=False, server_default=""),
        sa.Column("withdraws", INT, sa.ForeignKey("review_citations.id")),
        sa.Column("created_at", TEXT, nullable=False),
        sqlite_autoincrement=True)
    op.create_index("review_citations_claim", "review_citations", ["claim_id", "id"])
    op.create_index("review_citations_run", "review_citations", ["run_id", "id"])
