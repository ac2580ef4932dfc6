"""Journey tables: each member's stage and its moves, customer health and its rules."""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from core.accounts.models import Member
from core.extensions import db
from core.models import in_list, utcnow

# In order: a member only moves forward, and a move past a stage records that stage too.
STAGES = ("discovery", "engagement", "conversion", "advocacy")
CHANNELS = ("referral", "campaign", "share", "organic")  # how a member was discovered
HEALTHY, AT_RISK = "healthy", "at_risk"
HEALTH_STATUSES = (HEALTHY, AT_RISK)


class JourneyMember(db.Model):
    """Where a member stands, and how they were discovered (copied here so the funnel filters by index)."""

    __tablename__ = "journey_members"
    __table_args__ = (
        sa.CheckConstraint(in_list("stage", STAGES), name="stage"),
        sa.CheckConstraint(in_list("channel", CHANNELS), name="channel"),
        sa.Index("ix_journey_members_channel_discovered_at", "channel", "discovered_at"),
        sa.Index("ix_journey_members_discovered_at", "discovered_at"),
    )

    member_id: Mapped[int] = mapped_column(sa.ForeignKey("members.id", ondelete="CASCADE"), primary_key=True)
    stage: Mapped[str] = mapped_column(sa.String(16))
    channel: Mapped[str] = mapped_column(sa.String(16))
    referrer_id: Mapped[int | None] = mapped_column(sa.ForeignKey("members.id", ondelete="SET NULL"))
    # Plain id (no foreign key into referrals' tables); its name is read through referrals' services.
    campaign_id: Mapped[int | None]
    discovered_at: Mapped[datetime]
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)

    entries: Mapped[list[StageEntry]] = relationship(
        lazy="selectin", order_by="StageEntry.entered_at", viewonly=True,
        primaryjoin="JourneyMember.member_id == foreign(StageEntry.member_id)",
    )  # fmt: skip


class StageEntry(db.Model):
    """One move of a member's journey: the stage and when they entered it (never changed afterwards,
    but moved earlier when a claimed prospect's journey joins the member's)."""

    __tablename__ = "journey_stage_entries"
    __table_args__ = (
        sa.CheckConstraint(in_list("stage", STAGES), name="stage"),
        sa.Index("ix_journey_stage_entries_stage_entered_at", "stage", "entered_at"),
    )

    member_id: Mapped[int] = mapped_column(sa.ForeignKey("members.id", ondelete="CASCADE"), primary_key=True)
    stage: Mapped[str] = mapped_column(sa.String(16), primary_key=True)
    entered_at: Mapped[datetime]


class CustomerHealth(db.Model):
    """A customer's health (0-100) with the reasons that add up to it, and since when its status holds."""

    __tablename__ = "customer_health"
    __table_args__ = (
        sa.CheckConstraint(in_list("status", HEALTH_STATUSES), name="status"),
        sa.CheckConstraint("health >= 0 AND health <= 100", name="health_range"),
        sa.Index("ix_customer_health_status_health", "status", "health", "member_id"),
        sa.Index("ix_customer_health_health", "health", "member_id"),
    )

    member_id: Mapped[int] = mapped_column(sa.ForeignKey("members.id", ondelete="CASCADE"), primary_key=True)
    health: Mapped[int]
    status: Mapped[str] = mapped_column(sa.String(12))
    reasons: Mapped[list] = mapped_column(sa.JSON, default=list)
    computed_at: Mapped[datetime] = mapped_column(default=utcnow)
    # When the current status began: customer.at_risk fires on the move to at_risk, once per move.
    status_since: Mapped[datetime] = mapped_column(default=utcnow)

    member: Mapped[Member] = relationship(lazy="joined", innerjoin=True)


class HealthRules(db.Model):
    """The single row of health rules an admin edits (journey.services.rules has the defaults)."""

    __tablename__ = "customer_health_rules"

    id: Mapped[int] = mapped_column(primary_key=True)
    config: Mapped[dict] = mapped_column(sa.JSON)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("members.id", ondelete="SET NULL"))
