"""leads: checked stage moves with their history, won deals' revenue, assignment rules, claim SLA, recycling

Revision ID: 0014_sales
Revises: 0013_scoring_loop

Existing leads get a history as far as it is known: their creation, and a move to the stage they
stand at (when it is not mql), dated by the lead's own timestamps.
"""

import sqlalchemy as sa
from alembic import op

revision = "0014_sales"
down_revision = "0013_scoring_loop"
branch_labels = None
depends_on = None

CREDIT_ROLLUP_KEY = ["dimension", "model", "window_days", "span", "day", "flagged", "key", "has_key"]


def upgrade():
    with op.batch_alter_table("leads", schema=None) as batch_op:
        batch_op.add_column(sa.Column("qualified_at", sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column("closed_at", sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column("sla_breached_at", sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column("amount", sa.Numeric(precision=14, scale=2), nullable=True))
        batch_op.add_column(sa.Column("currency", sa.String(length=3), nullable=True))
    op.execute("UPDATE leads SET qualified_at = created_at")
    op.execute("UPDATE leads SET closed_at = updated_at WHERE stage IN ('won', 'lost', 'disqualified')")
    with op.batch_alter_table("lead_scores", schema=None) as batch_op:
        batch_op.add_column(sa.Column("recyclable_since", sa.DateTime(timezone=True), nullable=True))
    op.execute(
        "UPDATE lead_scores SET recyclable_since = (SELECT l.closed_at FROM leads AS l"
        " WHERE l.member_id = lead_scores.member_id AND l.stage IN ('lost', 'disqualified'))"
    )
    op.create_table(
        "lead_stage_changes",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("lead_id", sa.Integer(), nullable=False),
        sa.Column("from_stage", sa.String(length=16), nullable=True),
        sa.Column("to_stage", sa.String(length=16), nullable=False),
        sa.Column("by_id", sa.Integer(), nullable=True),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("reason", sa.String(length=500), nullable=True),
        sa.ForeignKeyConstraint(
            ["by_id"], ["members.id"], name=op.f("fk_lead_stage_changes_by_id_members"), ondelete="SET NULL"
        ),
        sa.ForeignKeyConstraint(
            ["lead_id"], ["leads.id"], name=op.f("fk_lead_stage_changes_lead_id_leads"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_lead_stage_changes")),
    )
    op.create_index("ix_lead_stage_changes_lead_id_id", "lead_stage_changes", ["lead_id", "id"], unique=False)
    op.execute(
        "INSERT INTO lead_stage_changes (lead_id, from_stage, to_stage, at, reason)"
        " SELECT id, NULL, 'mql', created_at, 'Crossed the MQL threshold' FROM leads ORDER BY id"
    )
    op.execute(
        "INSERT INTO lead_stage_changes (lead_id, from_stage, to_stage, at, reason)"
        " SELECT id, 'mql', stage, updated_at, 'Recorded before stage history was kept' FROM leads"
        " WHERE stage <> 'mql' ORDER BY id"
    )
    op.create_table(
        "lead_assignment_rules",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("mode", sa.String(length=16), nullable=False),
        sa.Column("seller_ids", sa.JSON(), nullable=False),
        sa.Column("same_owner_per_organization", sa.Boolean(), nullable=False),
        sa.Column("claim_within_hours", sa.Integer(), nullable=True),
        sa.Column("next_seller", sa.Integer(), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_by_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["updated_by_id"],
            ["members.id"],
            name=op.f("fk_lead_assignment_rules_updated_by_id_members"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_lead_assignment_rules")),
    )
    with op.batch_alter_table("referral_conversions", schema=None) as batch_op:
        batch_op.add_column(sa.Column("revenue_minor", sa.BigInteger(), nullable=True))
        batch_op.add_column(sa.Column("currency", sa.String(length=3), nullable=True))
    with op.batch_alter_table("referral_credit_rollups", schema=None) as batch_op:
        batch_op.add_column(sa.Column("revenue", sa.BigInteger(), server_default="0", nullable=False))
    credit_rollup_key(["signups", "leads", "customers", "revenue"])


def credit_rollup_key(included: list[str]) -> None:
    """On PostgreSQL the counts ride along in the key's index (index-only report reads): revenue too."""
    if op.get_bind().dialect.name != "postgresql":
        return
    op.drop_constraint("pk_referral_credit_rollups", "referral_credit_rollups", type_="primary")
    op.execute(
        f"ALTER TABLE referral_credit_rollups ADD CONSTRAINT pk_referral_credit_rollups"
        f" PRIMARY KEY ({', '.join(CREDIT_ROLLUP_KEY)}) INCLUDE ({', '.join(included)})"
    )


def downgrade():
    credit_rollup_key(["signups", "leads", "customers"])
    with op.batch_alter_table("referral_credit_rollups", schema=None) as batch_op:
        batch_op.drop_column("revenue")
    with op.batch_alter_table("referral_conversions", schema=None) as batch_op:
        batch_op.drop_column("currency")
        batch_op.drop_column("revenue_minor")
    op.drop_table("lead_assignment_rules")
    op.drop_index("ix_lead_stage_changes_lead_id_id", table_name="lead_stage_changes")
    op.drop_table("lead_stage_changes")
    with op.batch_alter_table("lead_scores", schema=None) as batch_op:
        batch_op.drop_column("recyclable_since")
    with op.batch_alter_table("leads", schema=None) as batch_op:
        batch_op.drop_column("currency")
        batch_op.drop_column("amount")
        batch_op.drop_column("sla_breached_at")
        batch_op.drop_column("closed_at")
        batch_op.drop_column("qualified_at")
