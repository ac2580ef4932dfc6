"""community: recommendations can be flagged and hidden like posts

Revision ID: 0013_scoring_loop
Revises: 0012

A flag names a post or a recommendation (exactly one); recommendations gain `hidden`. The downgrade
drops the flags on recommendations (the old table cannot hold them).
"""

import sqlalchemy as sa
from alembic import op

revision = "0013_scoring_loop"
down_revision = "0012"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("recommendations", schema=None) as batch_op:
        batch_op.add_column(sa.Column("hidden", sa.Boolean(), server_default=sa.false(), nullable=False))

    with op.batch_alter_table("post_flags", schema=None) as batch_op:
        batch_op.add_column(sa.Column("recommendation_id", sa.Integer(), nullable=True))
        batch_op.alter_column("post_id", existing_type=sa.Integer(), nullable=True)
        batch_op.create_foreign_key(
            batch_op.f("fk_post_flags_recommendation_id_recommendations"),
            "recommendations",
            ["recommendation_id"],
            ["id"],
            ondelete="CASCADE",
        )
        batch_op.create_unique_constraint("uq_post_flags_recommendation_reporter", ["recommendation_id", "reporter_id"])
        batch_op.create_check_constraint(
            batch_op.f("ck_post_flags_one_subject"), "(post_id IS NULL) <> (recommendation_id IS NULL)"
        )


def downgrade():
    op.execute("DELETE FROM post_flags WHERE recommendation_id IS NOT NULL")
    with op.batch_alter_table("post_flags", schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f("ck_post_flags_one_subject"), type_="check")
        batch_op.drop_constraint("uq_post_flags_recommendation_reporter", type_="unique")
        batch_op.drop_constraint(batch_op.f("fk_post_flags_recommendation_id_recommendations"), type_="foreignkey")
        batch_op.alter_column("post_id", existing_type=sa.Integer(), nullable=False)
        batch_op.drop_column("recommendation_id")

    with op.batch_alter_table("recommendations", schema=None) as batch_op:
        batch_op.drop_column("hidden")
