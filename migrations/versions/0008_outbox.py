"""outbox: deferred tasks written in the request's transaction, sent after commit

Revision ID: 0008
Revises: 0004
"""

import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "outbox_tasks",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("task_name", sa.String(length=120), nullable=False),
        sa.Column("args", sa.JSON(), nullable=False),
        sa.Column("kwargs", sa.JSON(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("available_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("sent_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("last_error", sa.String(length=300), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_outbox_tasks")),
    )
    with op.batch_alter_table("outbox_tasks", schema=None) as batch_op:
        batch_op.create_index("ix_outbox_tasks_pending", ["sent_at", "available_at"], unique=False)


def downgrade():
    with op.batch_alter_table("outbox_tasks", schema=None) as batch_op:
        batch_op.drop_index("ix_outbox_tasks_pending")
    op.drop_table("outbox_tasks")
