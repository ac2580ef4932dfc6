"""Referral campaigns, clicks, visitors stitched to members, conversions and their stored credit."""

from __future__ import annotations

from datetime import date, datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from core.accounts.models import Member
from core.extensions import db
from core.models import in_list, utcnow

MODELS = ("first_touch", "last_touch", "linear", "time_decay", "position_based")
# What attribution reports group by; rollups also keep "all" (every click under one key) for the funnel and K-factor.
GROUPS = ("referrer", "campaign", "utm_source", "utm_medium", "channel")
CONVERSION_KINDS = ("signup", "engaged", "lead", "customer")
CHANNELS = ("link", "campaign", "share", "code")
UA_CLASSES = ("browser", "bot", "unknown")
REWARD_TRIGGERS = ("signup", "first_post", "customer")
REWARD_SIDES = ("referrer", "referee")
# Credit is stored as an integer number of millionths, so one conversion's credit sums to exactly 1.
CREDIT_UNIT = 1_000_000
# Revenue is kept in minor units (cents): amounts have at most two decimals, whatever the currency.
MINOR_UNITS = 100
# Attribution windows (days) that credit is stored for, up to REFERRAL_WINDOW_DAYS (which is always one).
STANDARD_WINDOWS = (7, 14, 30, 60, 90)
# The prev_day of a visitor's first day with a key: earlier than any date a report can ask for.
NO_DAY = date(1, 1, 1)
# Rollup rows cover a day (span 1) or an ISO week from its Monday (span 7): a long range reads weeks.
SPANS = (1, 7)


class Campaign(db.Model):
    __tablename__ = "referral_campaigns"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(sa.String(120))
    slug: Mapped[str] = mapped_column(sa.String(60), unique=True)
    landing_url: Mapped[str] = mapped_column(sa.String(2000))
    utm_source: Mapped[str | None] = mapped_column(sa.String(100))
    utm_medium: Mapped[str | None] = mapped_column(sa.String(100))
    utm_campaign: Mapped[str | None] = mapped_column(sa.String(100))
    active: Mapped[bool] = mapped_column(default=True)
    created_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("members.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class Click(db.Model):
    """One visit of /r/<code>. Written on the hot path: keep it narrow."""

    __tablename__ = "referral_clicks"
    __table_args__ = (
        sa.Index("ix_referral_clicks_visitor_id_occurred_at", "visitor_id", "occurred_at"),
        sa.Index("ix_referral_clicks_referrer_id_occurred_at", "referrer_id", "occurred_at"),
        sa.Index("ix_referral_clicks_ip_hash_code_occurred_at", "ip_hash", "code", "occurred_at"),
        sa.Index("ix_referral_clicks_occurred_at", "occurred_at"),
    )

    id: Mapped[int] = mapped_column(sa.BigInteger().with_variant(sa.Integer(), "sqlite"), primary_key=True)
    occurred_at: Mapped[datetime] = mapped_column(default=utcnow)
    code: Mapped[str] = mapped_column(sa.String(16))
    referrer_id: Mapped[int] = mapped_column(sa.ForeignKey("members.id", ondelete="CASCADE"))
    campaign_id: Mapped[int | None] = mapped_column(sa.ForeignKey("referral_campaigns.id", ondelete="SET NULL"))
    visitor_id: Mapped[str | None] = mapped_column(sa.String(64))
    channel: Mapped[str] = mapped_column(sa.String(16), default="link")
    content: Mapped[str | None] = mapped_column(sa.String(40))
    utm_source: Mapped[str | None] = mapped_column(sa.String(100))
    utm_medium: Mapped[str | None] = mapped_column(sa.String(100))
    utm_campaign: Mapped[str | None] = mapped_column(sa.String(100))
    utm_content: Mapped[str | None] = mapped_column(sa.String(100))
    utm_term: Mapped[str | None] = mapped_column(sa.String(100))
    referring_host: Mapped[str | None] = mapped_column(sa.String(255))
    ua_class: Mapped[str] = mapped_column(sa.String(8), default="unknown")
    # keyed_hash(ip, "click-ip"): flood and self-referral checks without the address itself.
    ip_hash: Mapped[str | None] = mapped_column(sa.String(64))
    # Redirects this row stands for: 1, or more once a flood from this IP hash on this code passed
    # REFERRAL_FLOOD_CLICKS in the hour (later clicks of the same minute are counted here, not stored).
    hits: Mapped[int] = mapped_column(default=1, server_default="1")


class MemberVisitor(db.Model):
    """A visitor cookie stitched to the member who signed up with it, and the signup's IP hash."""

    __tablename__ = "referral_visitors"

    id: Mapped[int] = mapped_column(primary_key=True)
    visitor_id: Mapped[str | None] = mapped_column(sa.String(64), index=True)
    member_id: Mapped[int] = mapped_column(sa.ForeignKey("members.id", ondelete="CASCADE"), index=True)
    ip_hash: Mapped[str | None] = mapped_column(sa.String(64))
    stitched_at: Mapped[datetime] = mapped_column(default=utcnow)


class Conversion(db.Model):
    __tablename__ = "referral_conversions"
    __table_args__ = (
        sa.UniqueConstraint("member_id", "kind", name="uq_referral_conversions_member_id_kind"),
        sa.CheckConstraint(in_list("kind", CONVERSION_KINDS), name="kind"),
        sa.Index("ix_referral_conversions_kind_occurred_at", "kind", "occurred_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    member_id: Mapped[int] = mapped_column(sa.ForeignKey("members.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(sa.String(16))
    occurred_at: Mapped[datetime] = mapped_column(default=utcnow)
    # The last-touch referrer: "referred by" in the discovery path and the referral tree.
    referred_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("members.id", ondelete="SET NULL"), index=True)
    referral_code: Mapped[str | None] = mapped_column(sa.String(16))
    visitor_id: Mapped[str | None] = mapped_column(sa.String(64))
    flagged: Mapped[bool] = mapped_column(default=False)
    flag_reasons: Mapped[str | None] = mapped_column(sa.String(200))
    # A customer conversion's deal (a won lead's amount, in minor units: cents), credited like the customer.
    revenue_minor: Mapped[int | None] = mapped_column(sa.BigInteger)
    currency: Mapped[str | None] = mapped_column(sa.String(3))

    member: Mapped[Member] = relationship(foreign_keys=[member_id], lazy="joined")
    referred_by: Mapped[Member | None] = relationship(foreign_keys=[referred_by_id], lazy="joined")

    @property
    def reasons(self) -> list[str]:
        return self.flag_reasons.split() if self.flag_reasons else []


class Touch(db.Model):
    """A touch that led to a signup: a click, or a synthetic one for an explicit referral code."""

    __tablename__ = "referral_touches"

    id: Mapped[int] = mapped_column(primary_key=True)
    conversion_id: Mapped[int] = mapped_column(sa.ForeignKey("referral_conversions.id", ondelete="CASCADE"), index=True)
    position: Mapped[int]
    click_id: Mapped[int | None] = mapped_column(
        sa.BigInteger().with_variant(sa.Integer(), "sqlite"), sa.ForeignKey("referral_clicks.id", ondelete="SET NULL")
    )
    occurred_at: Mapped[datetime]
    # How long before the signup this touch happened: reports narrow the window without date arithmetic.
    age_seconds: Mapped[int] = mapped_column(sa.BigInteger)
    referrer_id: Mapped[int] = mapped_column(sa.ForeignKey("members.id", ondelete="CASCADE"), index=True)
    campaign_id: Mapped[int | None] = mapped_column(sa.ForeignKey("referral_campaigns.id", ondelete="SET NULL"))
    channel: Mapped[str] = mapped_column(sa.String(16))
    utm_source: Mapped[str | None] = mapped_column(sa.String(100))
    utm_medium: Mapped[str | None] = mapped_column(sa.String(100))
    utm_campaign: Mapped[str | None] = mapped_column(sa.String(100))
    content: Mapped[str | None] = mapped_column(sa.String(40))


class Credit(db.Model):
    """The share of one conversion given to one touch under one model and attribution window (millionths).

    Each window is its own exact computation over the touches inside it, so credit sums to 1 per
    (conversion, window, model); a conversion without a touch inside a window has no rows for it.
    """

    __tablename__ = "referral_credits"
    __table_args__ = (
        sa.CheckConstraint(in_list("model", MODELS), name="model"),
        sa.CheckConstraint("window_days > 0", name="window_days"),
    )

    conversion_id: Mapped[int] = mapped_column(
        sa.ForeignKey("referral_conversions.id", ondelete="CASCADE"), primary_key=True
    )
    window_days: Mapped[int] = mapped_column(sa.SmallInteger, primary_key=True)
    model: Mapped[str] = mapped_column(sa.String(16), primary_key=True)
    touch_id: Mapped[int] = mapped_column(
        sa.ForeignKey("referral_touches.id", ondelete="CASCADE"), primary_key=True, index=True
    )
    share: Mapped[int]


class RewardRule(db.Model):
    """Double-sided reward: what the referrer and the referred member get when a trigger happens."""

    __tablename__ = "referral_reward_rules"
    __table_args__ = (
        sa.CheckConstraint(in_list("trigger", REWARD_TRIGGERS), name="trigger"),
        sa.CheckConstraint("referrer_amount >= 0 AND referee_amount >= 0", name="amounts"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    # None: every referral; otherwise only referrals with a touch of this campaign.
    campaign_id: Mapped[int | None] = mapped_column(sa.ForeignKey("referral_campaigns.id", ondelete="CASCADE"))
    trigger: Mapped[str] = mapped_column(sa.String(16))
    referrer_amount: Mapped[int] = mapped_column(default=0)
    referee_amount: Mapped[int] = mapped_column(default=0)
    unit: Mapped[str] = mapped_column(sa.String(20), default="points")
    active: Mapped[bool] = mapped_column(default=True)
    created_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("members.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class RewardEntry(db.Model):
    """One line of the reward ledger: granted once per rule, referred member and side."""

    __tablename__ = "referral_reward_ledger"
    __table_args__ = (
        sa.UniqueConstraint(
            "rule_id", "referred_member_id", "side", name="uq_referral_reward_ledger_rule_id_referred_member_id_side"
        ),
        sa.CheckConstraint(in_list("side", REWARD_SIDES), name="side"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    rule_id: Mapped[int] = mapped_column(sa.ForeignKey("referral_reward_rules.id", ondelete="CASCADE"))
    member_id: Mapped[int] = mapped_column(sa.ForeignKey("members.id", ondelete="CASCADE"), index=True)
    side: Mapped[str] = mapped_column(sa.String(8))
    referred_member_id: Mapped[int] = mapped_column(sa.ForeignKey("members.id", ondelete="CASCADE"))
    trigger: Mapped[str] = mapped_column(sa.String(16))
    amount: Mapped[int]
    unit: Mapped[str] = mapped_column(sa.String(20))
    created_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)

    member: Mapped[Member] = relationship(foreign_keys=[member_id], lazy="joined")


class ClickRollup(db.Model):
    """Clicks per UTC day (or week) and group key (the "key" of one of GROUPS, or "all"), split by the
    day the same visitor last clicked under the same key before (NO_DAY: never).

    `visitors` counts the visitors who clicked on each day, so the unique visitors of whole days
    [first, last) are the visitors of rows whose prev_day < first: exact, from a few rows per key.
    A week's row sums its days' rows of the same prev_day, so the same holds for whole weeks.
    Written in the transaction that stores the clicks (referrals.services.rollups).
    """

    __tablename__ = "referral_click_rollups"
    # The counts ride along in the key's index: a report's read is an index-only scan on PostgreSQL.
    __table_args__ = (
        sa.PrimaryKeyConstraint(
            "dimension", "span", "day", "prev_day", "key", "has_key", postgresql_include=["clicks", "visitors"]
        ),
    )

    dimension: Mapped[str] = mapped_column(sa.String(16), primary_key=True)
    span: Mapped[int] = mapped_column(sa.SmallInteger, primary_key=True)
    day: Mapped[date] = mapped_column(primary_key=True)  # the first day of the span
    prev_day: Mapped[date] = mapped_column(primary_key=True)
    # The group key as text ('' with has_key false for the "(none)" group, which '' itself is not).
    key: Mapped[str] = mapped_column(sa.String(100), primary_key=True)
    has_key: Mapped[bool] = mapped_column(primary_key=True)
    clicks: Mapped[int] = mapped_column(sa.BigInteger)
    visitors: Mapped[int] = mapped_column(sa.BigInteger)


class CreditRollup(db.Model):
    """Stored credit (millionths) summed per group key of the touch, UTC day (or week) of the conversion, model,
    attribution window and flag, one column per credited conversion kind (another credited measure is
    one more column). Written in the transaction that stores the credit."""

    __tablename__ = "referral_credit_rollups"
    __table_args__ = (
        sa.PrimaryKeyConstraint(
            "dimension",
            "model",
            "window_days",
            "span",
            "day",
            "flagged",
            "key",
            "has_key",
            postgresql_include=["signups", "leads", "customers", "revenue"],
        ),
    )

    dimension: Mapped[str] = mapped_column(sa.String(16), primary_key=True)
    model: Mapped[str] = mapped_column(sa.String(16), primary_key=True)
    window_days: Mapped[int] = mapped_column(sa.SmallInteger, primary_key=True)
    span: Mapped[int] = mapped_column(sa.SmallInteger, primary_key=True)
    day: Mapped[date] = mapped_column(primary_key=True)
    flagged: Mapped[bool] = mapped_column(primary_key=True)
    key: Mapped[str] = mapped_column(sa.String(100), primary_key=True)
    has_key: Mapped[bool] = mapped_column(primary_key=True)
    signups: Mapped[int] = mapped_column(sa.BigInteger)
    leads: Mapped[int] = mapped_column(sa.BigInteger)
    customers: Mapped[int] = mapped_column(sa.BigInteger)
    # Σ share · revenue_minor of customer conversions: millionths of a minor unit (see CREDIT_UNIT).
    revenue: Mapped[int] = mapped_column(sa.BigInteger, server_default="0")


class ClickSpoolOffset(db.Model):
    """How many bytes of one click spool file are stored: advanced in the transaction that stores them,
    so every spooled click is stored exactly once, whoever drains it and whenever it is interrupted."""

    __tablename__ = "referral_click_spool_offsets"

    name: Mapped[str] = mapped_column(sa.String(200), primary_key=True)
    stored_bytes: Mapped[int] = mapped_column(sa.BigInteger)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)
