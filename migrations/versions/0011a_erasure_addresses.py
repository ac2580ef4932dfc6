"""accounts: the address an erasure still has to scrub, out of the task's arguments

Revision ID: 0011a
Revises: 0011
"""

import sqlalchemy as sa
from alembic import op

revision = "0011a"
down_revision = "0011"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "erasure_addresses",
        sa.Column("member_id", sa.Integer(), nullable=False),
        sa.Column("email", sa.String(length=254), nullable=False),
        sa.ForeignKeyConstraint(
            ["member_id"], ["members.id"], name=op.f("fk_erasure_addresses_member_id_members"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("member_id", name=op.f("pk_erasure_addresses")),
    )


def downgrade():
    op.drop_table("erasure_addresses")
