"""The activity ledger, per-member scores, leads, scoring rules and webhooks."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from core.accounts.models import Member
from core.extensions import db
from core.models import TimestampMixin, utcnow

LEAD_STAGES = ("mql", "sal", "sql", "won", "lost", "disqualified")
OPEN_STAGES = ("mql", "sal", "sql")
CLOSED_STAGES = ("won", "lost", "disqualified")
# The moves sales may make (PATCH status, claim): anything else is a 409 naming from and to.
STAGE_MOVES = {
    "mql": ("sal", "disqualified"),
    "sal": ("sql", "disqualified"),
    "sql": ("won", "lost", "disqualified"),
}
# The reason a move to these stages must carry, and the field that carries it.
REASON_FIELDS = {"lost": "lost_reason", "disqualified": "disqualified_reason"}
RECYCLABLE_STAGES = ("lost", "disqualified")
# The largest won amount: its credited revenue (amount in cents × a share in millionths) and a day's sum of
# hundreds of such deals under one report key still fit the rollups' 64-bit integers.
MAX_AMOUNT = 100_000_000
MEMBER_STAGES = ("member", "engaged", "lead")
ASSIGNMENT_MODES = ("manual", "round_robin")
# customer.at_risk is the customer journey's (journey.services.health); post.created and member.created
# come from community and accounts signals. All are published through these webhooks.
WEBHOOK_EVENTS = (
    "lead.qualified",
    "lead.status_changed",
    "lead.requalified",
    "lead.assigned",
    "lead.sla_breached",
    "customer.at_risk",
    "post.created",
    "member.created",
)


class Activity(db.Model):
    """One thing a person did: the ledger. Its points are not stored: a member's engagement sum S
    holds them (lead_scores), and the explanation of a score computes them from the rules in force
    (leads.services.explanation), so a rescore never rewrites these rows."""

    __tablename__ = "lead_activities"
    __table_args__ = (
        # A member's activities in the order the daily caps rank them, with what a sum needs: a
        # rescore reads a chunk of members as one index-only range, already sorted for the caps.
        sa.Index(
            "ix_lead_activities_member_scores",
            "member_id",
            "activity_type",
            "day",
            "id",
            postgresql_include=["occurred_days"],
        ),
        sa.Index("ix_lead_activities_member_occurred", "member_id", "occurred_at"),
        sa.Index("ix_lead_activities_subject", "subject_type", "subject_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    message_id: Mapped[str] = mapped_column(sa.String(120), unique=True)
    member_id: Mapped[int | None] = mapped_column(sa.ForeignKey("members.id", ondelete="CASCADE"))
    anonymous_id: Mapped[str | None] = mapped_column(sa.String(120), index=True)
    user_id: Mapped[str | None] = mapped_column(sa.String(120), index=True)
    source: Mapped[str] = mapped_column(sa.String(20))  # community, referrals, events, segment
    activity_type: Mapped[str] = mapped_column(sa.String(80))
    occurred_at: Mapped[datetime]
    # Days since the Unix epoch, as a number: the same arithmetic on every backend.
    occurred_days: Mapped[float] = mapped_column(sa.Float)
    day: Mapped[int] = mapped_column(sa.Integer)  # whole UTC day, for daily caps
    subject_type: Mapped[str | None] = mapped_column(sa.String(40))
    subject_id: Mapped[int | None]
    properties: Mapped[dict] = mapped_column(sa.JSON, default=dict)
    scored: Mapped[bool] = mapped_column(default=False)
    received_at: Mapped[datetime] = mapped_column(default=utcnow)


class DailyCount(db.Model):
    """How many activities of a type a member had on a day: daily caps in O(1)."""

    __tablename__ = "lead_daily_counts"

    member_id: Mapped[int] = mapped_column(sa.ForeignKey("members.id", ondelete="CASCADE"), primary_key=True)
    activity_type: Mapped[str] = mapped_column(sa.String(80), primary_key=True)
    day: Mapped[int] = mapped_column(primary_key=True)
    count: Mapped[int] = mapped_column(default=0)


class Identity(db.Model):
    """An external id (Segment userId / anonymousId) linked to a member."""

    __tablename__ = "lead_identities"

    kind: Mapped[str] = mapped_column(sa.String(12), primary_key=True)  # user_id | anonymous_id
    external_id: Mapped[str] = mapped_column(sa.String(120), primary_key=True)
    member_id: Mapped[int] = mapped_column(sa.ForeignKey("members.id", ondelete="CASCADE"), index=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class MemberScore(db.Model):
    """A member's engagement sum S relative to the epoch, and fit points.

    Current engagement = S · 2^(−(t − E)/H): one factor common to everyone, so
    ordering by S is ordering by engagement (ix_lead_scores_engagement).
    """

    __tablename__ = "lead_scores"
    __table_args__ = (
        sa.Index("ix_lead_scores_engagement", "engagement_sum", "member_id"),
        sa.Index("ix_lead_scores_rank", "stage", "fit", "engagement_sum", "member_id"),
        sa.Index("ix_lead_scores_organization", "organization"),
    )

    member_id: Mapped[int] = mapped_column(sa.ForeignKey("members.id", ondelete="CASCADE"), primary_key=True)
    engagement_sum: Mapped[float] = mapped_column(sa.Float, default=0.0)
    fit: Mapped[float] = mapped_column(sa.Float, default=0.0)
    stage: Mapped[str] = mapped_column(sa.String(16), default="member")
    organization: Mapped[str | None] = mapped_column(sa.String(120))
    company_size: Mapped[int | None]
    last_activity_at: Mapped[datetime | None]
    # When the member's lead was lost or disqualified (else None): scoring reads it in the UPDATE it makes
    # anyway, so only such leads cost a look for recycling.
    recyclable_since: Mapped[datetime | None]
    # A rescore's new sums, swapped in when it finishes; scoring clears engagement_next, so a
    # member scored meanwhile is computed again at the swap (leads.services.rescore).
    engagement_next: Mapped[float | None] = mapped_column(sa.Float)
    fit_next: Mapped[float | None] = mapped_column(sa.Float)

    member: Mapped[Member] = relationship(lazy="joined")


class Lead(TimestampMixin, db.Model):
    __tablename__ = "leads"
    __table_args__ = (sa.Index("ix_leads_stage", "stage"), sa.Index("ix_leads_created", "created_at", "id"))

    id: Mapped[int] = mapped_column(primary_key=True)
    member_id: Mapped[int] = mapped_column(sa.ForeignKey("members.id", ondelete="CASCADE"), unique=True)
    stage: Mapped[str] = mapped_column(sa.String(16), default="mql")
    owner_id: Mapped[int | None] = mapped_column(sa.ForeignKey("members.id", ondelete="SET NULL"), index=True)
    claimed_at: Mapped[datetime | None]
    # When it last became an MQL (created, or recycled): the claim SLA counts from here.
    qualified_at: Mapped[datetime | None] = mapped_column(default=utcnow)
    closed_at: Mapped[datetime | None]  # when it last moved to won, lost or disqualified
    sla_breached_at: Mapped[datetime | None]  # set once, when lead.sla_breached fired
    amount: Mapped[Decimal | None] = mapped_column(sa.Numeric(14, 2))  # a won deal
    currency: Mapped[str | None] = mapped_column(sa.String(3))

    member: Mapped[Member] = relationship(foreign_keys=[member_id], lazy="joined")
    owner: Mapped[Member | None] = relationship(foreign_keys=[owner_id])
    score: Mapped[MemberScore] = relationship(
        primaryjoin="Lead.member_id == MemberScore.member_id", foreign_keys=[member_id], viewonly=True, lazy="joined"
    )
    notes: Mapped[list[LeadNote]] = relationship(order_by="LeadNote.id", cascade="all, delete-orphan")


class LeadStageChange(db.Model):
    """One move of a lead's stage: by a seller (by_id), or automatic (by_id None: qualification, recycling)."""

    __tablename__ = "lead_stage_changes"
    __table_args__ = (sa.Index("ix_lead_stage_changes_lead_id_id", "lead_id", "id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    lead_id: Mapped[int] = mapped_column(sa.ForeignKey("leads.id", ondelete="CASCADE"))
    from_stage: Mapped[str | None] = mapped_column(sa.String(16))  # None: the lead was created
    to_stage: Mapped[str] = mapped_column(sa.String(16))
    by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("members.id", ondelete="SET NULL"))
    at: Mapped[datetime] = mapped_column(default=utcnow)
    reason: Mapped[str | None] = mapped_column(sa.String(500))


class AssignmentRules(db.Model):
    """How new MQLs get an owner (one row): by hand, or round robin over `seller_ids`."""

    __tablename__ = "lead_assignment_rules"

    id: Mapped[int] = mapped_column(primary_key=True)
    mode: Mapped[str] = mapped_column(sa.String(16), default="manual")
    seller_ids: Mapped[list] = mapped_column(sa.JSON, default=list)
    same_owner_per_organization: Mapped[bool] = mapped_column(default=False)
    claim_within_hours: Mapped[int | None]
    next_seller: Mapped[int] = mapped_column(default=0)  # the round robin's position in seller_ids
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)
    updated_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("members.id", ondelete="SET NULL"))


class LeadNote(db.Model):
    __tablename__ = "lead_notes"

    id: Mapped[int] = mapped_column(primary_key=True)
    lead_id: Mapped[int] = mapped_column(sa.ForeignKey("leads.id", ondelete="CASCADE"), index=True)
    author_id: Mapped[int | None] = mapped_column(sa.ForeignKey("members.id", ondelete="SET NULL"))
    body: Mapped[str] = mapped_column(sa.Text)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class ScoringRules(db.Model):
    """The rules as saved (`config`), the rules the stored sums were computed with
    (`active_config`, swapped in when a rescore finishes) and their epoch E."""

    __tablename__ = "lead_scoring_rules"

    id: Mapped[int] = mapped_column(primary_key=True)
    config: Mapped[dict] = mapped_column(sa.JSON)
    active_config: Mapped[dict] = mapped_column(sa.JSON)
    epoch_days: Mapped[float] = mapped_column(sa.Float)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)
    updated_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("members.id", ondelete="SET NULL"))


class ScoringJob(db.Model):
    __tablename__ = "lead_scoring_jobs"

    id: Mapped[int] = mapped_column(primary_key=True)
    status: Mapped[str] = mapped_column(sa.String(16), default="pending")  # pending running succeeded failed
    config: Mapped[dict] = mapped_column(sa.JSON)
    total: Mapped[int] = mapped_column(default=0)
    done: Mapped[int] = mapped_column(default=0)
    error: Mapped[str | None] = mapped_column(sa.String(500))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    started_at: Mapped[datetime | None]
    finished_at: Mapped[datetime | None]

    @property
    def progress(self) -> float:
        if self.status == "succeeded":
            return 1.0
        return round(self.done / self.total, 4) if self.total else 0.0


class Webhook(db.Model):
    __tablename__ = "lead_webhooks"

    id: Mapped[int] = mapped_column(primary_key=True)
    url: Mapped[str] = mapped_column(sa.String(2000))
    event_list: Mapped[str] = mapped_column(sa.String(500))
    # A signing secret (we sign with it, never verify a caller by it), kept so we
    # can sign; shown once, never logged, never returned again.
    secret: Mapped[str] = mapped_column(sa.String(100))
    # Set only when created while WEBHOOK_ALLOW_PRIVATE_URLS was on (tests, local demos), so
    # workers and web processes honour the decision made at creation time.
    allow_private: Mapped[bool] = mapped_column(default=False)
    created_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("members.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    deleted_at: Mapped[datetime | None]

    @property
    def events(self) -> list[str]:
        return self.event_list.split()


class WebhookDelivery(db.Model):
    __tablename__ = "lead_webhook_deliveries"
    __table_args__ = (sa.Index("ix_lead_webhook_deliveries_webhook", "webhook_id", "id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    webhook_id: Mapped[int] = mapped_column(sa.ForeignKey("lead_webhooks.id", ondelete="CASCADE"))
    message_id: Mapped[str] = mapped_column(sa.String(64))
    event_type: Mapped[str] = mapped_column(sa.String(60))
    payload: Mapped[dict] = mapped_column(sa.JSON)
    status: Mapped[str] = mapped_column(sa.String(16), default="pending")  # pending succeeded failed
    attempt_count: Mapped[int] = mapped_column(default=0)
    last_status_code: Mapped[int | None]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    delivered_at: Mapped[datetime | None]

    attempts: Mapped[list[WebhookAttempt]] = relationship(order_by="WebhookAttempt.id", lazy="selectin")


class WebhookAttempt(db.Model):
    __tablename__ = "lead_webhook_attempts"

    id: Mapped[int] = mapped_column(primary_key=True)
    delivery_id: Mapped[int] = mapped_column(
        sa.ForeignKey("lead_webhook_deliveries.id", ondelete="CASCADE"), index=True
    )
    attempted_at: Mapped[datetime] = mapped_column(default=utcnow)
    status_code: Mapped[int | None]
    error: Mapped[str | None] = mapped_column(sa.String(300))
    duration_ms: Mapped[int] = mapped_column(default=0)
