"""leads: activities no longer store their points; a rescore writes per-member sums only

Revision ID: 0015_leads_sums
Revises: 0014_sales

A member's engagement sum (lead_scores.engagement_sum) holds what the activities' points added
up to; the explanation of a score computes each activity's points from the rules in force. So
the per-activity points, their decayed values and the rescore's per-activity shadow columns go.
On PostgreSQL lead_scores keeps room on each page (fillfactor 70): a rescore writes the sums
into engagement_next and fit_next, which no index covers, so the rows are updated in place (HOT)
without touching the table's four indexes. A downgrade brings the columns back as zeros: the sums are untouched, and the explanation of the
older code reads real values again after the next rescore (saving the scoring rules starts one).
"""

import sqlalchemy as sa
from alembic import op

revision = "0015_leads_sums"
down_revision = "0014_sales"
branch_labels = None
depends_on = None

DROPPED = ("points", "decayed", "points_next", "decayed_next")


def upgrade():
    with op.batch_alter_table("lead_activities", schema=None) as batch_op:
        for column in DROPPED:
            batch_op.drop_column(column)
    if op.get_bind().dialect.name == "postgresql":
        op.execute("ALTER TABLE lead_scores SET (fillfactor = 70)")
    with op.batch_alter_table("lead_activities", schema=None) as batch_op:
        batch_op.drop_index("ix_lead_activities_member_type")
        batch_op.create_index(
            "ix_lead_activities_member_scores",
            ["member_id", "activity_type", "day", "id"],
            unique=False,
            postgresql_include=["occurred_days"],
        )


def downgrade():
    with op.batch_alter_table("lead_activities", schema=None) as batch_op:
        batch_op.drop_index("ix_lead_activities_member_scores")
        batch_op.create_index("ix_lead_activities_member_type", ["member_id", "activity_type"], unique=False)
    if op.get_bind().dialect.name == "postgresql":
        op.execute("ALTER TABLE lead_scores RESET (fillfactor)")
    with op.batch_alter_table("lead_activities", schema=None) as batch_op:
        batch_op.add_column(sa.Column("points", sa.Float(), nullable=False, server_default="0"))
        batch_op.add_column(sa.Column("decayed", sa.Float(), nullable=False, server_default="0"))
        batch_op.add_column(sa.Column("points_next", sa.Float(), nullable=True))
        batch_op.add_column(sa.Column("decayed_next", sa.Float(), nullable=True))
    with op.batch_alter_table("lead_activities", schema=None) as batch_op:
        batch_op.alter_column("points", server_default=None)
        batch_op.alter_column("decayed", server_default=None)
