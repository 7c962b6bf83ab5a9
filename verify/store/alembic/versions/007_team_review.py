"""Team review (issue 14): assignments and the blind second review, both append-only.

assignment_events: an editor assigns a run (claim_id NULL) or one claim to a reviewer in a slot ('first'
or 'second': the blind second reviewer), or unassigns them; the latest event per (run, claim, slot) is in
force. team_decisions: a second reviewer's blind decision (kind 'second') and an editor's resolution of a
disagreement (kind 'final', role 'editor' or 'admin', with the review_events row it also wrote so
reports use it)."""

import sqlalchemy as sa
from alembic import op

revision = "007_team_review"
down_revision = "006_claim_memory"

TEXT = sa.Text()


def upgrade() -> None:
    op.create_table(
        "assignment_events",
        sa.Column("id", sa.Integer(), sa.Identity(), primary_key=True),
        sa.Column("run_id", TEXT, sa.ForeignKey("runs.id"), nullable=False),
        sa.Column("claim_id", TEXT, sa.ForeignKey("claims.id")), sa.Column("reviewer", TEXT, nullable=False),
        sa.Column("slot", TEXT, nullable=False), sa.Column("action", TEXT, nullable=False),
        sa.Column("actor", TEXT, nullable=False), sa.Column("actor_role", TEXT, nullable=False),
        sa.Column("created_at", TEXT, nullable=False),
        sqlite_autoincrement=True)
    op.create_index("assignment_events_run", "assignment_events", ["run_id", "id"])
    op.create_index("assignment_events_reviewer", "assignment_events", ["reviewer", "id"])
    op.create_table(
        "team_decisions",
        sa.Column("id", sa.Integer(), sa.Identity(), primary_key=True),
        sa.Column("run_id", TEXT, sa.ForeignKey("runs.id"), nullable=False),
        sa.Column("claim_id", TEXT, sa.ForeignKey("claims.id"), nullable=False),
        sa.Column("reviewer", TEXT, nullable=False), sa.Column("role", TEXT, nullable=False),
        sa.Column("kind", TEXT, nullable=False), sa.Column("action", TEXT, nullable=False), sa.Column("label", TEXT),
        sa.Column("note", TEXT, nullable=False, server_default=""),
        sa.Column("review_event_id", sa.Integer(), sa.ForeignKey("review_events.id")),
        sa.Column("created_at", TEXT, nullable=False),
        sqlite_autoincrement=True)
    op.create_index("team_decisions_claim", "team_decisions", ["claim_id", "id"])
    op.create_index("team_decisions_run", "team_decisions", ["run_id", "id"])
