"""A notification: something happened that a member should hear about."""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from core.accounts.models import Member
from core.extensions import db
from core.models import in_list, utcnow

# Raised by community.
REPLY = "reply"  # someone replied in your thread, or to your reply
ANSWER_ACCEPTED = "answer_accepted"  # your reply was accepted as the answer
MENTION = "mention"  # someone mentioned you in a thread or reply
FEEDBACK_RESPONSE = "feedback_response"  # staff answered your feedback or recommendation
# Raised by leads' sales workflow.
LEAD_ASSIGNED = "lead_assigned"
LEAD_SLA_BREACHED = "lead_sla_breached"
KINDS = (REPLY, ANSWER_ACCEPTED, MENTION, FEEDBACK_RESPONSE, LEAD_ASSIGNED, LEAD_SLA_BREACHED)


class Notification(db.Model):
    __tablename__ = "notifications"
    __table_args__ = (
        sa.CheckConstraint(in_list("kind", KINDS), name="kind"),
        sa.Index("ix_notifications_member_id_id", "member_id", "id"),
        sa.Index("ix_notifications_member_id_read_at_id", "member_id", "read_at", "id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    member_id: Mapped[int] = mapped_column(sa.ForeignKey("members.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(sa.String(32))
    actor_id: Mapped[int | None] = mapped_column(sa.ForeignKey("members.id", ondelete="SET NULL"))
    subject_type: Mapped[str | None] = mapped_column(sa.String(40))
    subject_id: Mapped[int | None]
    # Ids that locate the subject (thread_id, post_id, ...), and short staff-written excerpts: never
    # personal data of the recipient, which lives in the domain's own rows.
    data: Mapped[dict] = mapped_column(sa.JSON, default=dict)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    read_at: Mapped[datetime | None]

    actor: Mapped[Member | None] = relationship(foreign_keys=[actor_id], lazy="joined")

    @property
    def read(self) -> bool:
        return self.read_at is not None
