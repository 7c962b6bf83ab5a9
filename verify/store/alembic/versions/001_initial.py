"""Articles, runs, claims, evidence, verdicts and the LLM call log."""

import sqlalchemy as sa
from alembic import op

revision = "001_initial"
down_revision = None

TEXT, INT = sa.Text(), sa.Integer()


def upgrade() -> None:
    op.create_table(
        "articles",
        sa.Column("id", TEXT, primary_key=True), sa.Column("title", TEXT, nullable=False),
        sa.Column("language", TEXT, nullable=False), sa.Column("text", TEXT, nullable=False),
        sa.Column("source", TEXT, nullable=False), sa.Column("created_at", TEXT, nullable=False))
    op.create_table(
        "runs",
        sa.Column("id", TEXT, primary_key=True),
        sa.Column("article_id", TEXT, sa.ForeignKey("articles.id"), nullable=False),
        sa.Column("created_at", TEXT, nullable=False), sa.Column("status", TEXT, nullable=False),
        sa.Column("settings", TEXT, nullable=False), sa.Column("summary", TEXT, nullable=False, server_default="{}"))
    op.create_table(
        "claims",
        sa.Column("id", TEXT, primary_key=True), sa.Column("run_id", TEXT, sa.ForeignKey("runs.id"), nullable=False),
        sa.Column("idx", INT, nullable=False), sa.Column("text", TEXT, nullable=False),
        sa.Column("text_en", TEXT, nullable=False), sa.Column("span_start", INT), sa.Column("span_end", INT),
        sa.Column("anchor", TEXT, nullable=False), sa.Column("data", TEXT, nullable=False),
        sa.UniqueConstraint("run_id", "idx"))
    op.create_table(
        "evidence",
        sa.Column("claim_id", TEXT, sa.ForeignKey("claims.id"), primary_key=True),
        sa.Column("rank", INT, primary_key=True), sa.Column("chunk_id", TEXT, nullable=False),
        sa.Column("data", TEXT, nullable=False))
    op.create_table(
        "verdicts",
        sa.Column("id", TEXT, primary_key=True), sa.Column("run_id", TEXT, sa.ForeignKey("runs.id"), nullable=False),
        sa.Column("claim_id", TEXT, sa.ForeignKey("claims.id"), nullable=False, unique=True),
        sa.Column("status", TEXT, nullable=False), sa.Column("label", TEXT), sa.Column("data", TEXT, nullable=False),
        sa.Column("created_at", TEXT, nullable=False))
    op.create_table(
        "llm_calls",
        # Identity: an IDENTITY column on PostgreSQL; on SQLite an INTEGER PRIMARY KEY AUTOINCREMENT.
        sa.Column("id", INT, sa.Identity(), primary_key=True), sa.Column("created_at", TEXT, nullable=False),
        sa.Column("run_id", TEXT), sa.Column("claim_id", TEXT), sa.Column("purpose", TEXT, nullable=False),
        sa.Column("model", TEXT, nullable=False), sa.Column("prompt_id", TEXT, nullable=False),
        sa.Column("prompt_version", TEXT, nullable=False), sa.Column("prompt_sha256", TEXT, nullable=False),
        sa.Column("request_hash", TEXT, nullable=False), sa.Column("params", TEXT, nullable=False),
        sa.Column("messages", TEXT, nullable=False), sa.Column("response", TEXT, nullable=False),
        sa.Column("prompt_tokens", INT, nullable=False), sa.Column("completion_tokens", INT, nullable=False),
        sa.Column("total_tokens", INT, nullable=False), sa.Column("latency_s", sa.Float(), nullable=False),
        sa.Column("error", TEXT, nullable=False), sa.Column("cached", INT, nullable=False),
        sqlite_autoincrement=True)
    op.create_index("llm_calls_request", "llm_calls", ["request_hash"])
    op.create_index("llm_calls_run", "llm_calls", ["run_id"])
