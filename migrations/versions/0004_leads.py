"""leads schema: activity ledger, scores, leads, scoring rules and jobs, webhooks

Revision ID: 0004
Revises: 0003
"""

import sqlalchemy as sa
from alembic import op

from core.database import refuse_destructive_downgrade

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('lead_scoring_jobs',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('config', sa.JSON(), nullable=False),
    sa.Column('total', sa.Integer(), nullable=False),
    sa.Column('done', sa.Integer(), nullable=False),
    sa.Column('error', sa.String(length=500), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('started_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('finished_at', sa.DateTime(timezone=True), nullable=True),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_lead_scoring_jobs'))
    )
    op.create_table('lead_activities',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('message_id', sa.String(length=120), nullable=False),
    sa.Column('member_id', sa.Integer(), nullable=True),
    sa.Column('anonymous_id', sa.String(length=120), nullable=True),
    sa.Column('user_id', sa.String(length=120), nullable=True),
    sa.Column('source', sa.String(length=20), nullable=False),
    sa.Column('activity_type', sa.String(length=80), nullable=False),
    sa.Column('occurred_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('occurred_days', sa.Float(), nullable=False),
    sa.Column('day', sa.Integer(), nullable=False),
    sa.Column('subject_type', sa.String(length=40), nullable=True),
    sa.Column('subject_id', sa.Integer(), nullable=True),
    sa.Column('properties', sa.JSON(), nullable=False),
    sa.Column('points', sa.Float(), nullable=False),
    sa.Column('decayed', sa.Float(), nullable=False),
    sa.Column('scored', sa.Boolean(), nullable=False),
    sa.Column('points_next', sa.Float(), nullable=True),
    sa.Column('decayed_next', sa.Float(), nullable=True),
    sa.Column('received_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['member_id'], ['members.id'], name=op.f('fk_lead_activities_member_id_members'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_lead_activities')),
    sa.UniqueConstraint('message_id', name=op.f('uq_lead_activities_message_id'))
    )
    with op.batch_alter_table('lead_activities', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_lead_activities_anonymous_id'), ['anonymous_id'], unique=False)
        batch_op.create_index('ix_lead_activities_member_occurred', ['member_id', 'occurred_at'], unique=False)
        batch_op.create_index('ix_lead_activities_member_type', ['member_id', 'activity_type'], unique=False)
        batch_op.create_index('ix_lead_activities_subject', ['subject_type', 'subject_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_lead_activities_user_id'), ['user_id'], unique=False)

    op.create_table('lead_daily_counts',
    sa.Column('member_id', sa.Integer(), nullable=False),
    sa.Column('activity_type', sa.String(length=80), nullable=False),
    sa.Column('day', sa.Integer(), nullable=False),
    sa.Column('count', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['member_id'], ['members.id'], name=op.f('fk_lead_daily_counts_member_id_members'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('member_id', 'activity_type', 'day', name=op.f('pk_lead_daily_counts'))
    )
    op.create_table('lead_identities',
    sa.Column('kind', sa.String(length=12), nullable=False),
    sa.Column('external_id', sa.String(length=120), nullable=False),
    sa.Column('member_id', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['member_id'], ['members.id'], name=op.f('fk_lead_identities_member_id_members'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('kind', 'external_id', name=op.f('pk_lead_identities'))
    )
    with op.batch_alter_table('lead_identities', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_lead_identities_member_id'), ['member_id'], unique=False)

    op.create_table('lead_scores',
    sa.Column('member_id', sa.Integer(), nullable=False),
    sa.Column('engagement_sum', sa.Float(), nullable=False),
    sa.Column('fit', sa.Float(), nullable=False),
    sa.Column('stage', sa.String(length=16), nullable=False),
    sa.Column('organization', sa.String(length=120), nullable=True),
    sa.Column('company_size', sa.Integer(), nullable=True),
    sa.Column('last_activity_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('engagement_next', sa.Float(), nullable=True),
    sa.Column('fit_next', sa.Float(), nullable=True),
    sa.ForeignKeyConstraint(['member_id'], ['members.id'], name=op.f('fk_lead_scores_member_id_members'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('member_id', name=op.f('pk_lead_scores'))
    )
    with op.batch_alter_table('lead_scores', schema=None) as batch_op:
        batch_op.create_index('ix_lead_scores_engagement', ['engagement_sum', 'member_id'], unique=False)
        batch_op.create_index('ix_lead_scores_rank', ['stage', 'fit', 'engagement_sum', 'member_id'], unique=False)
        batch_op.create_index('ix_lead_scores_organization', ['organization'], unique=False)

    op.create_table('lead_scoring_rules',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('config', sa.JSON(), nullable=False),
    sa.Column('active_config', sa.JSON(), nullable=False),
    sa.Column('epoch_days', sa.Float(), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_by_id', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['updated_by_id'], ['members.id'], name=op.f('fk_lead_scoring_rules_updated_by_id_members'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_lead_scoring_rules'))
    )
    op.create_table('lead_webhooks',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('url', sa.String(length=2000), nullable=False),
    sa.Column('event_list', sa.String(length=500), nullable=False),
    sa.Column('secret', sa.String(length=100), nullable=False),
    sa.Column('allow_private', sa.Boolean(), nullable=False),
    sa.Column('created_by_id', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('deleted_at', sa.DateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['created_by_id'], ['members.id'], name=op.f('fk_lead_webhooks_created_by_id_members'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_lead_webhooks'))
    )
    op.create_table('leads',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('member_id', sa.Integer(), nullable=False),
    sa.Column('stage', sa.String(length=16), nullable=False),
    sa.Column('owner_id', sa.Integer(), nullable=True),
    sa.Column('claimed_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['member_id'], ['members.id'], name=op.f('fk_leads_member_id_members'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['owner_id'], ['members.id'], name=op.f('fk_leads_owner_id_members'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_leads')),
    sa.UniqueConstraint('member_id', name=op.f('uq_leads_member_id'))
    )
    with op.batch_alter_table('leads', schema=None) as batch_op:
        batch_op.create_index('ix_leads_created', ['created_at', 'id'], unique=False)
        batch_op.create_index(batch_op.f('ix_leads_owner_id'), ['owner_id'], unique=False)
        batch_op.create_index('ix_leads_stage', ['stage'], unique=False)

    op.create_table('lead_notes',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('lead_id', sa.Integer(), nullable=False),
    sa.Column('author_id', sa.Integer(), nullable=True),
    sa.Column('body', sa.Text(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['author_id'], ['members.id'], name=op.f('fk_lead_notes_author_id_members'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['lead_id'], ['leads.id'], name=op.f('fk_lead_notes_lead_id_leads'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_lead_notes'))
    )
    with op.batch_alter_table('lead_notes', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_lead_notes_lead_id'), ['lead_id'], unique=False)

    op.create_table('lead_webhook_deliveries',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('webhook_id', sa.Integer(), nullable=False),
    sa.Column('message_id', sa.String(length=64), nullable=False),
    sa.Column('event_type', sa.String(length=60), nullable=False),
    sa.Column('payload', sa.JSON(), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('attempt_count', sa.Integer(), nullable=False),
    sa.Column('last_status_code', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('delivered_at', sa.DateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['webhook_id'], ['lead_webhooks.id'], name=op.f('fk_lead_webhook_deliveries_webhook_id_lead_webhooks'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_lead_webhook_deliveries'))
    )
    with op.batch_alter_table('lead_webhook_deliveries', schema=None) as batch_op:
        batch_op.create_index('ix_lead_webhook_deliveries_webhook', ['webhook_id', 'id'], unique=False)

    op.create_table('lead_webhook_attempts',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('delivery_id', sa.Integer(), nullable=False),
    sa.Column('attempted_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('status_code', sa.Integer(), nullable=True),
    sa.Column('error', sa.String(length=300), nullable=True),
    sa.Column('duration_ms', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['delivery_id'], ['lead_webhook_deliveries.id'], name=op.f('fk_lead_webhook_attempts_delivery_id_lead_webhook_deliveries'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_lead_webhook_attempts'))
    )
    with op.batch_alter_table('lead_webhook_attempts', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_lead_webhook_attempts_delivery_id'), ['delivery_id'], unique=False)



def downgrade():
    refuse_destructive_downgrade("leads")
    op.drop_table('lead_webhook_attempts')
    with op.batch_alter_table('lead_webhook_deliveries', schema=None) as batch_op:
        batch_op.drop_index('ix_lead_webhook_deliveries_webhook')

    op.drop_table('lead_webhook_deliveries')
    with op.batch_alter_table('lead_notes', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_lead_notes_lead_id'))

    op.drop_table('lead_notes')
    with op.batch_alter_table('leads', schema=None) as batch_op:
        batch_op.drop_index('ix_leads_stage')
        batch_op.drop_index(batch_op.f('ix_leads_owner_id'))
        batch_op.drop_index('ix_leads_created')

    op.drop_table('leads')
    op.drop_table('lead_webhooks')
    op.drop_table('lead_scoring_rules')
    with op.batch_alter_table('lead_scores', schema=None) as batch_op:
        batch_op.drop_index('ix_lead_scores_organization')
        batch_op.drop_index('ix_lead_scores_rank')
        batch_op.drop_index('ix_lead_scores_engagement')

    op.drop_table('lead_scores')
    with op.batch_alter_table('lead_identities', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_lead_identities_member_id'))

    op.drop_table('lead_identities')
    op.drop_table('lead_daily_counts')
    with op.batch_alter_table('lead_activities', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_lead_activities_user_id'))
        batch_op.drop_index('ix_lead_activities_subject')
        batch_op.drop_index('ix_lead_activities_member_type')
        batch_op.drop_index('ix_lead_activities_member_occurred')
        batch_op.drop_index(batch_op.f('ix_lead_activities_anonymous_id'))

    op.drop_table('lead_activities')
    op.drop_table('lead_scoring_jobs')
