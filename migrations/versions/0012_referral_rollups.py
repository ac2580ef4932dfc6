"""referrals: daily click and credit rollups, flood hit counts, click spool offsets

Revision ID: 0012
Revises: 0011a

The rollups are filled from the clicks and credit already stored, so reports read the same numbers
right after the upgrade.
"""

import sqlalchemy as sa
from alembic import op

revision = "0012"
down_revision = "0011a"
branch_labels = None
depends_on = None

NO_DAY = "'0001-01-01'"
# (dimension, key as text, whether there is a key) over a table with the click/touch columns.
CLICK_KEYS = [
    ("all", "''", "false"),
    ("referrer", "CAST(referrer_id AS VARCHAR)", "true"),
    ("campaign", "coalesce(CAST(campaign_id AS VARCHAR), '')", "campaign_id IS NOT NULL"),
    ("utm_source", "coalesce(utm_source, '')", "utm_source IS NOT NULL"),
    ("utm_medium", "coalesce(utm_medium, '')", "utm_medium IS NOT NULL"),
    ("channel", "channel", "true"),
]


def utc_day(column: str) -> str:
    if op.get_bind().dialect.name == "postgresql":
        return f"CAST(({column} AT TIME ZONE 'UTC') AS DATE)"
    return f"date({column})"


def upgrade():
    with op.batch_alter_table('referral_clicks', schema=None) as batch_op:
        batch_op.add_column(sa.Column('hits', sa.Integer(), server_default='1', nullable=False))

    op.create_table('referral_click_rollups',
    sa.Column('dimension', sa.String(length=16), nullable=False),
    sa.Column('span', sa.SmallInteger(), nullable=False),
    sa.Column('day', sa.Date(), nullable=False),
    sa.Column('prev_day', sa.Date(), nullable=False),
    sa.Column('key', sa.String(length=100), nullable=False),
    sa.Column('has_key', sa.Boolean(), nullable=False),
    sa.Column('clicks', sa.BigInteger(), nullable=False),
    sa.Column('visitors', sa.BigInteger(), nullable=False),
    sa.PrimaryKeyConstraint('dimension', 'span', 'day', 'prev_day', 'key', 'has_key', name=op.f('pk_referral_click_rollups'), postgresql_include=['clicks', 'visitors'])
    )
    op.create_table('referral_credit_rollups',
    sa.Column('dimension', sa.String(length=16), nullable=False),
    sa.Column('model', sa.String(length=16), nullable=False),
    sa.Column('window_days', sa.SmallInteger(), nullable=False),
    sa.Column('span', sa.SmallInteger(), nullable=False),
    sa.Column('day', sa.Date(), nullable=False),
    sa.Column('flagged', sa.Boolean(), nullable=False),
    sa.Column('key', sa.String(length=100), nullable=False),
    sa.Column('has_key', sa.Boolean(), nullable=False),
    sa.Column('signups', sa.BigInteger(), nullable=False),
    sa.Column('leads', sa.BigInteger(), nullable=False),
    sa.Column('customers', sa.BigInteger(), nullable=False),
    sa.PrimaryKeyConstraint('dimension', 'model', 'window_days', 'span', 'day', 'flagged', 'key', 'has_key', name=op.f('pk_referral_credit_rollups'), postgresql_include=['signups', 'leads', 'customers'])
    )
    op.create_table('referral_click_spool_offsets',
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('stored_bytes', sa.BigInteger(), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('name', name=op.f('pk_referral_click_spool_offsets'))
    )
    for dimension, key, has_key in CLICK_KEYS:
        fill_click_rollups(dimension, key, has_key)
        if dimension != "all":
            fill_credit_rollups(dimension, key.replace("referrer_id", "t.referrer_id"), has_key)
    fill_weeks()


def fill_click_rollups(dimension: str, key: str, has_key: str) -> None:
    op.execute(f"""
        INSERT INTO referral_click_rollups (dimension, span, day, prev_day, key, has_key, clicks, visitors)
        SELECT '{dimension}', 1, day, prev_day, key, has_key, sum(clicks), count(visitor_id)
        FROM (
            SELECT key, has_key, visitor_id, day, clicks,
                   CASE WHEN visitor_id IS NULL THEN {NO_DAY}
                        ELSE coalesce(lag(day) OVER (PARTITION BY key, has_key, visitor_id ORDER BY day), {NO_DAY})
                   END AS prev_day
            FROM (
                SELECT {key} AS key, {has_key} AS has_key, visitor_id, {utc_day('occurred_at')} AS day,
                       sum(hits) AS clicks
                FROM referral_clicks
                GROUP BY 1, 2, 3, 4
            ) AS pair_days
        ) AS seq
        GROUP BY day, prev_day, key, has_key
    """)


def fill_credit_rollups(dimension: str, key: str, has_key: str) -> None:
    shares = ", ".join(
        f"sum(CASE WHEN cv.kind = '{kind}' THEN cr.share ELSE 0 END)" for kind in ("signup", "lead", "customer")
    )
    op.execute(f"""
        INSERT INTO referral_credit_rollups (dimension, model, window_days, span, day, flagged, key, has_key,
                                             signups, leads, customers)
        SELECT '{dimension}', cr.model, cr.window_days, 1, {utc_day('cv.occurred_at')}, cv.flagged,
               {key}, {has_key}, {shares}
        FROM referral_credits AS cr
        JOIN referral_touches AS t ON t.id = cr.touch_id
        JOIN referral_conversions AS cv ON cv.id = cr.conversion_id
        GROUP BY 2, 3, 5, 6, 7, 8
    """)


def week_start(day: str) -> str:
    """The Monday of the day's ISO week."""
    if op.get_bind().dialect.name == "postgresql":
        return f"({day} - CAST(EXTRACT(ISODOW FROM {day}) AS INTEGER) + 1)"
    return f"date({day}, 'weekday 0', '-6 days')"


def fill_weeks() -> None:
    """A week's rows: its days' rows summed."""
    op.execute(f"""
        INSERT INTO referral_click_rollups (dimension, span, day, prev_day, key, has_key, clicks, visitors)
        SELECT dimension, 7, {week_start('day')}, prev_day, key, has_key, sum(clicks), sum(visitors)
        FROM referral_click_rollups
        WHERE span = 1
        GROUP BY 1, 3, 4, 5, 6
    """)
    op.execute(f"""
        INSERT INTO referral_credit_rollups (dimension, model, window_days, span, day, flagged, key, has_key,
                                             signups, leads, customers)
        SELECT dimension, model, window_days, 7, {week_start('day')}, flagged, key, has_key,
               sum(signups), sum(leads), sum(customers)
        FROM referral_credit_rollups
        WHERE span = 1
        GROUP BY 1, 2, 3, 5, 6, 7, 8
    """)


def downgrade():
    op.drop_table('referral_click_spool_offsets')
    op.drop_table('referral_credit_rollups')
    op.drop_table('referral_click_rollups')
    with op.batch_alter_table('referral_clicks', schema=None) as batch_op:
        batch_op.drop_column('hits')
