"""referrals: campaigns, clicks, visitors, conversions, touches, credit

Revision ID: 0003
Revises: 0002
"""

import sqlalchemy as sa
from alembic import op

from core.database import refuse_destructive_downgrade

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('referral_campaigns',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=120), nullable=False),
    sa.Column('slug', sa.String(length=60), nullable=False),
    sa.Column('landing_url', sa.String(length=2000), nullable=False),
    sa.Column('utm_source', sa.String(length=100), nullable=True),
    sa.Column('utm_medium', sa.String(length=100), nullable=True),
    sa.Column('utm_campaign', sa.String(length=100), nullable=True),
    sa.Column('active', sa.Boolean(), nullable=False),
    sa.Column('created_by_id', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['created_by_id'], ['members.id'], name=op.f('fk_referral_campaigns_created_by_id_members'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_referral_campaigns')),
    sa.UniqueConstraint('slug', name=op.f('uq_referral_campaigns_slug'))
    )
    op.create_table('referral_conversions',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('member_id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=16), nullable=False),
    sa.Column('occurred_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('referred_by_id', sa.Integer(), nullable=True),
    sa.Column('referral_code', sa.String(length=16), nullable=True),
    sa.Column('visitor_id', sa.String(length=64), nullable=True),
    sa.Column('flagged', sa.Boolean(), nullable=False),
    sa.Column('flag_reasons', sa.String(length=200), nullable=True),
    sa.CheckConstraint("kind IN ('signup', 'engaged', 'lead', 'customer')", name=op.f('ck_referral_conversions_kind')),
    sa.ForeignKeyConstraint(['member_id'], ['members.id'], name=op.f('fk_referral_conversions_member_id_members'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['referred_by_id'], ['members.id'], name=op.f('fk_referral_conversions_referred_by_id_members'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_referral_conversions')),
    sa.UniqueConstraint('member_id', 'kind', name='uq_referral_conversions_member_id_kind')
    )
    with op.batch_alter_table('referral_conversions', schema=None) as batch_op:
        batch_op.create_index('ix_referral_conversions_kind_occurred_at', ['kind', 'occurred_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_referral_conversions_referred_by_id'), ['referred_by_id'], unique=False)

    op.create_table('referral_visitors',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('visitor_id', sa.String(length=64), nullable=True),
    sa.Column('member_id', sa.Integer(), nullable=False),
    sa.Column('ip_hash', sa.String(length=64), nullable=True),
    sa.Column('stitched_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['member_id'], ['members.id'], name=op.f('fk_referral_visitors_member_id_members'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_referral_visitors'))
    )
    with op.batch_alter_table('referral_visitors', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_referral_visitors_member_id'), ['member_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_referral_visitors_visitor_id'), ['visitor_id'], unique=False)

    op.create_table('referral_clicks',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('occurred_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('code', sa.String(length=16), nullable=False),
    sa.Column('referrer_id', sa.Integer(), nullable=False),
    sa.Column('campaign_id', sa.Integer(), nullable=True),
    sa.Column('visitor_id', sa.String(length=64), nullable=True),
    sa.Column('channel', sa.String(length=16), nullable=False),
    sa.Column('content', sa.String(length=40), nullable=True),
    sa.Column('utm_source', sa.String(length=100), nullable=True),
    sa.Column('utm_medium', sa.String(length=100), nullable=True),
    sa.Column('utm_campaign', sa.String(length=100), nullable=True),
    sa.Column('utm_content', sa.String(length=100), nullable=True),
    sa.Column('utm_term', sa.String(length=100), nullable=True),
    sa.Column('referring_host', sa.String(length=255), nullable=True),
    sa.Column('ua_class', sa.String(length=8), nullable=False),
    sa.Column('ip_hash', sa.String(length=64), nullable=True),
    sa.ForeignKeyConstraint(['campaign_id'], ['referral_campaigns.id'], name=op.f('fk_referral_clicks_campaign_id_referral_campaigns'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['referrer_id'], ['members.id'], name=op.f('fk_referral_clicks_referrer_id_members'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_referral_clicks'))
    )
    with op.batch_alter_table('referral_clicks', schema=None) as batch_op:
        batch_op.create_index('ix_referral_clicks_ip_hash_code_occurred_at', ['ip_hash', 'code', 'occurred_at'], unique=False)
        batch_op.create_index('ix_referral_clicks_occurred_at', ['occurred_at'], unique=False)
        batch_op.create_index('ix_referral_clicks_referrer_id_occurred_at', ['referrer_id', 'occurred_at'], unique=False)
        batch_op.create_index('ix_referral_clicks_visitor_id_occurred_at', ['visitor_id', 'occurred_at'], unique=False)

    op.create_table('referral_touches',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('conversion_id', sa.Integer(), nullable=False),
    sa.Column('position', sa.Integer(), nullable=False),
    sa.Column('click_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=True),
    sa.Column('occurred_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('age_seconds', sa.BigInteger(), nullable=False),
    sa.Column('referrer_id', sa.Integer(), nullable=False),
    sa.Column('campaign_id', sa.Integer(), nullable=True),
    sa.Column('channel', sa.String(length=16), nullable=False),
    sa.Column('utm_source', sa.String(length=100), nullable=True),
    sa.Column('utm_medium', sa.String(length=100), nullable=True),
    sa.Column('utm_campaign', sa.String(length=100), nullable=True),
    sa.Column('content', sa.String(length=40), nullable=True),
    sa.ForeignKeyConstraint(['campaign_id'], ['referral_campaigns.id'], name=op.f('fk_referral_touches_campaign_id_referral_campaigns'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['click_id'], ['referral_clicks.id'], name=op.f('fk_referral_touches_click_id_referral_clicks'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['conversion_id'], ['referral_conversions.id'], name=op.f('fk_referral_touches_conversion_id_referral_conversions'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['referrer_id'], ['members.id'], name=op.f('fk_referral_touches_referrer_id_members'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_referral_touches'))
    )
    with op.batch_alter_table('referral_touches', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_referral_touches_conversion_id'), ['conversion_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_referral_touches_referrer_id'), ['referrer_id'], unique=False)

    op.create_table('referral_credits',
    sa.Column('conversion_id', sa.Integer(), nullable=False),
    sa.Column('window_days', sa.SmallInteger(), nullable=False),
    sa.Column('model', sa.String(length=16), nullable=False),
    sa.Column('touch_id', sa.Integer(), nullable=False),
    sa.Column('share', sa.Integer(), nullable=False),
    sa.CheckConstraint("model IN ('first_touch', 'last_touch', 'linear', 'time_decay', 'position_based')", name=op.f('ck_referral_credits_model')),
    sa.CheckConstraint('window_days > 0', name=op.f('ck_referral_credits_window_days')),
    sa.ForeignKeyConstraint(['conversion_id'], ['referral_conversions.id'], name=op.f('fk_referral_credits_conversion_id_referral_conversions'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['touch_id'], ['referral_touches.id'], name=op.f('fk_referral_credits_touch_id_referral_touches'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('conversion_id', 'window_days', 'model', 'touch_id', name=op.f('pk_referral_credits'))
    )
    with op.batch_alter_table('referral_credits', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_referral_credits_touch_id'), ['touch_id'], unique=False)

    op.create_table('referral_reward_rules',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('campaign_id', sa.Integer(), nullable=True),
    sa.Column('trigger', sa.String(length=16), nullable=False),
    sa.Column('referrer_amount', sa.Integer(), nullable=False),
    sa.Column('referee_amount', sa.Integer(), nullable=False),
    sa.Column('unit', sa.String(length=20), nullable=False),
    sa.Column('active', sa.Boolean(), nullable=False),
    sa.Column('created_by_id', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.CheckConstraint("trigger IN ('signup', 'first_post', 'customer')", name=op.f('ck_referral_reward_rules_trigger')),
    sa.CheckConstraint('referrer_amount >= 0 AND referee_amount >= 0', name=op.f('ck_referral_reward_rules_amounts')),
    sa.ForeignKeyConstraint(['campaign_id'], ['referral_campaigns.id'], name=op.f('fk_referral_reward_rules_campaign_id_referral_campaigns'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['created_by_id'], ['members.id'], name=op.f('fk_referral_reward_rules_created_by_id_members'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_referral_reward_rules'))
    )
    op.create_table('referral_reward_ledger',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('rule_id', sa.Integer(), nullable=False),
    sa.Column('member_id', sa.Integer(), nullable=False),
    sa.Column('side', sa.String(length=8), nullable=False),
    sa.Column('referred_member_id', sa.Integer(), nullable=False),
    sa.Column('trigger', sa.String(length=16), nullable=False),
    sa.Column('amount', sa.Integer(), nullable=False),
    sa.Column('unit', sa.String(length=20), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.CheckConstraint("side IN ('referrer', 'referee')", name=op.f('ck_referral_reward_ledger_side')),
    sa.ForeignKeyConstraint(['member_id'], ['members.id'], name=op.f('fk_referral_reward_ledger_member_id_members'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['referred_member_id'], ['members.id'], name=op.f('fk_referral_reward_ledger_referred_member_id_members'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['rule_id'], ['referral_reward_rules.id'], name=op.f('fk_referral_reward_ledger_rule_id_referral_reward_rules'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_referral_reward_ledger')),
    sa.UniqueConstraint('rule_id', 'referred_member_id', 'side', name='uq_referral_reward_ledger_rule_id_referred_member_id_side')
    )
    with op.batch_alter_table('referral_reward_ledger', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_referral_reward_ledger_created_at'), ['created_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_referral_reward_ledger_member_id'), ['member_id'], unique=False)


def downgrade():
    refuse_destructive_downgrade("referrals")
    op.drop_table('referral_reward_ledger')
    op.drop_table('referral_reward_rules')
    op.drop_table('referral_credits')
    op.drop_table('referral_touches')
    op.drop_table('referral_clicks')
    op.drop_table('referral_visitors')
    op.drop_table('referral_conversions')
    op.drop_table('referral_campaigns')
