"""the customer journey and the voice of the customer: notifications, thread feedback (CSAT, CES) and
staff responses, journey stages, customer health and its rules

Revision ID: 0011
Revises: 0009
"""

import sqlalchemy as sa
from alembic import op

from core.database import refuse_destructive_downgrade

revision = "0011"
down_revision = "0009"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('customer_health',
    sa.Column('member_id', sa.Integer(), nullable=False),
    sa.Column('health', sa.Integer(), nullable=False),
    sa.Column('status', sa.String(length=12), nullable=False),
    sa.Column('reasons', sa.JSON(), nullable=False),
    sa.Column('computed_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('status_since', sa.DateTime(timezone=True), nullable=False),
    sa.CheckConstraint("status IN ('healthy', 'at_risk')", name=op.f('ck_customer_health_status')),
    sa.CheckConstraint('health >= 0 AND health <= 100', name=op.f('ck_customer_health_health_range')),
    sa.ForeignKeyConstraint(['member_id'], ['members.id'], name=op.f('fk_customer_health_member_id_members'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('member_id', name=op.f('pk_customer_health'))
    )
    with op.batch_alter_table('customer_health', schema=None) as batch_op:
        batch_op.create_index('ix_customer_health_health', ['health', 'member_id'], unique=False)
        batch_op.create_index('ix_customer_health_status_health', ['status', 'health', 'member_id'], unique=False)

    op.create_table('customer_health_rules',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('config', sa.JSON(), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_by_id', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['updated_by_id'], ['members.id'], name=op.f('fk_customer_health_rules_updated_by_id_members'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_customer_health_rules'))
    )
    op.create_table('journey_members',
    sa.Column('member_id', sa.Integer(), nullable=False),
    sa.Column('stage', sa.String(length=16), nullable=False),
    sa.Column('channel', sa.String(length=16), nullable=False),
    sa.Column('referrer_id', sa.Integer(), nullable=True),
    sa.Column('campaign_id', sa.Integer(), nullable=True),
    sa.Column('discovered_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.CheckConstraint("channel IN ('referral', 'campaign', 'share', 'organic')", name=op.f('ck_journey_members_channel')),
    sa.CheckConstraint("stage IN ('discovery', 'engagement', 'conversion', 'advocacy')", name=op.f('ck_journey_members_stage')),
    sa.ForeignKeyConstraint(['member_id'], ['members.id'], name=op.f('fk_journey_members_member_id_members'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['referrer_id'], ['members.id'], name=op.f('fk_journey_members_referrer_id_members'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('member_id', name=op.f('pk_journey_members'))
    )
    with op.batch_alter_table('journey_members', schema=None) as batch_op:
        batch_op.create_index('ix_journey_members_channel_discovered_at', ['channel', 'discovered_at'], unique=False)
        batch_op.create_index('ix_journey_members_discovered_at', ['discovered_at'], unique=False)

    op.create_table('journey_stage_entries',
    sa.Column('member_id', sa.Integer(), nullable=False),
    sa.Column('stage', sa.String(length=16), nullable=False),
    sa.Column('entered_at', sa.DateTime(timezone=True), nullable=False),
    sa.CheckConstraint("stage IN ('discovery', 'engagement', 'conversion', 'advocacy')", name=op.f('ck_journey_stage_entries_stage')),
    sa.ForeignKeyConstraint(['member_id'], ['members.id'], name=op.f('fk_journey_stage_entries_member_id_members'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('member_id', 'stage', name=op.f('pk_journey_stage_entries'))
    )
    with op.batch_alter_table('journey_stage_entries', schema=None) as batch_op:
        batch_op.create_index('ix_journey_stage_entries_stage_entered_at', ['stage', 'entered_at'], unique=False)

    op.create_table('notifications',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('member_id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=32), nullable=False),
    sa.Column('actor_id', sa.Integer(), nullable=True),
    sa.Column('subject_type', sa.String(length=40), nullable=True),
    sa.Column('subject_id', sa.Integer(), nullable=True),
    sa.Column('data', sa.JSON(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('read_at', sa.DateTime(timezone=True), nullable=True),
    sa.CheckConstraint("kind IN ('reply', 'answer_accepted', 'mention', 'feedback_response', 'lead_assigned', 'lead_sla_breached')", name=op.f('ck_notifications_kind')),
    sa.ForeignKeyConstraint(['actor_id'], ['members.id'], name=op.f('fk_notifications_actor_id_members'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['member_id'], ['members.id'], name=op.f('fk_notifications_member_id_members'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_notifications'))
    )
    with op.batch_alter_table('notifications', schema=None) as batch_op:
        batch_op.create_index('ix_notifications_member_id_id', ['member_id', 'id'], unique=False)
        batch_op.create_index('ix_notifications_member_id_read_at_id', ['member_id', 'read_at', 'id'], unique=False)

    op.create_table('thread_feedback',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('thread_id', sa.Integer(), nullable=False),
    sa.Column('member_id', sa.Integer(), nullable=False),
    sa.Column('csat', sa.Integer(), nullable=False),
    sa.Column('ces', sa.Integer(), nullable=False),
    sa.Column('comment', sa.String(length=2000), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.CheckConstraint('ces BETWEEN 1 AND 7', name=op.f('ck_thread_feedback_ces_range')),
    sa.CheckConstraint('csat BETWEEN 1 AND 5', name=op.f('ck_thread_feedback_csat_range')),
    sa.ForeignKeyConstraint(['member_id'], ['members.id'], name=op.f('fk_thread_feedback_member_id_members'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['thread_id'], ['threads.id'], name=op.f('fk_thread_feedback_thread_id_threads'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_thread_feedback')),
    sa.UniqueConstraint('thread_id', name=op.f('uq_thread_feedback_thread_id'))
    )
    with op.batch_alter_table('thread_feedback', schema=None) as batch_op:
        batch_op.create_index('ix_thread_feedback_member_id_updated_at', ['member_id', 'updated_at'], unique=False)
        batch_op.create_index('ix_thread_feedback_updated_at', ['updated_at'], unique=False)

    op.create_table('feedback_responses',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('feedback_id', sa.Integer(), nullable=True),
    sa.Column('recommendation_id', sa.Integer(), nullable=True),
    sa.Column('responder_id', sa.Integer(), nullable=True),
    sa.Column('body', sa.Text(), nullable=False),
    sa.Column('body_html', sa.Text(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.CheckConstraint('(feedback_id IS NULL) <> (recommendation_id IS NULL)', name=op.f('ck_feedback_responses_one_subject')),
    sa.ForeignKeyConstraint(['feedback_id'], ['thread_feedback.id'], name=op.f('fk_feedback_responses_feedback_id_thread_feedback'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['recommendation_id'], ['recommendations.id'], name=op.f('fk_feedback_responses_recommendation_id_recommendations'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['responder_id'], ['members.id'], name=op.f('fk_feedback_responses_responder_id_members'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_feedback_responses'))
    )
    with op.batch_alter_table('feedback_responses', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_feedback_responses_feedback_id'), ['feedback_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_feedback_responses_recommendation_id'), ['recommendation_id'], unique=False)



def downgrade():
    refuse_destructive_downgrade("journey")
    with op.batch_alter_table('feedback_responses', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_feedback_responses_recommendation_id'))
        batch_op.drop_index(batch_op.f('ix_feedback_responses_feedback_id'))

    op.drop_table('feedback_responses')
    with op.batch_alter_table('thread_feedback', schema=None) as batch_op:
        batch_op.drop_index('ix_thread_feedback_updated_at')
        batch_op.drop_index('ix_thread_feedback_member_id_updated_at')

    op.drop_table('thread_feedback')
    with op.batch_alter_table('notifications', schema=None) as batch_op:
        batch_op.drop_index('ix_notifications_member_id_read_at_id')
        batch_op.drop_index('ix_notifications_member_id_id')

    op.drop_table('notifications')
    with op.batch_alter_table('journey_stage_entries', schema=None) as batch_op:
        batch_op.drop_index('ix_journey_stage_entries_stage_entered_at')

    op.drop_table('journey_stage_entries')
    with op.batch_alter_table('journey_members', schema=None) as batch_op:
        batch_op.drop_index('ix_journey_members_discovered_at')
        batch_op.drop_index('ix_journey_members_channel_discovered_at')

    op.drop_table('journey_members')
    op.drop_table('customer_health_rules')
    with op.batch_alter_table('customer_health', schema=None) as batch_op:
        batch_op.drop_index('ix_customer_health_status_health')
        batch_op.drop_index('ix_customer_health_health')

    op.drop_table('customer_health')
