"""Community tables: categories, threads, posts, reactions, products, recommendations, flags, and the
voice of the customer: ratings of the help a thread got, and staff responses that close the loop."""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from core.accounts.models import Member
from core.extensions import db
from core.models import in_list, utcnow

REACTION_KINDS = ("like", "helpful", "insightful")
FLAG_REASONS = ("spam", "abuse", "off_topic", "misinformation", "other")
FLAG_STATUSES = ("open", "actioned", "dismissed")
SHARED_CONTENT = ("thread", "recommendation")
CSAT_SCALE = (1, 5)  # "how satisfied are you with the help?": 4 and 5 count as satisfied
CES_SCALE = (1, 7)  # "how easy was it to get help?": 1 very hard, 7 very easy


class Category(db.Model):
    __tablename__ = "categories"

    id: Mapped[int] = mapped_column(primary_key=True)
    slug: Mapped[str] = mapped_column(sa.String(40), unique=True)
    name: Mapped[str] = mapped_column(sa.String(80))
    description: Mapped[str] = mapped_column(sa.String(500), default="")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class Thread(db.Model):
    __tablename__ = "threads"
    __table_args__ = (
        sa.Index("ix_threads_latest", "pinned", "created_at", "id"),
        sa.Index("ix_threads_active", "pinned", "last_activity_at", "id"),
        sa.Index("ix_threads_top", "pinned", "score", "id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    category_id: Mapped[int] = mapped_column(sa.ForeignKey("categories.id"), index=True)
    author_id: Mapped[int] = mapped_column(sa.ForeignKey("members.id"), index=True)
    title: Mapped[str] = mapped_column(sa.String(200))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)
    # Denormalised for the list orders; maintained set-based (UPDATE ... SET n = n + 1).
    last_activity_at: Mapped[datetime] = mapped_column(default=utcnow)
    reply_count: Mapped[int] = mapped_column(default=0)
    reaction_count: Mapped[int] = mapped_column(default=0)
    score: Mapped[int] = mapped_column(default=0)
    pinned: Mapped[bool] = mapped_column(default=False)
    locked: Mapped[bool] = mapped_column(default=False)
    hidden: Mapped[bool] = mapped_column(default=False)  # mirrors the opening post's flag
    deleted_at: Mapped[datetime | None]
    # Plain id (no FK): posts reference threads, and posts are never hard-deleted.
    accepted_post_id: Mapped[int | None]

    author: Mapped[Member] = relationship(lazy="joined", innerjoin=True)
    category: Mapped[Category] = relationship(lazy="joined", innerjoin=True)
    tag_rows: Mapped[list[ThreadTag]] = relationship(
        cascade="all, delete-orphan", lazy="selectin", order_by="ThreadTag.tag"
    )
    opening_post: Mapped[Post] = relationship(
        primaryjoin="and_(Thread.id == Post.thread_id, Post.is_opener)", viewonly=True, lazy="selectin", uselist=False
    )

    @property
    def tags(self) -> list[str]:
        return [row.tag for row in self.tag_rows]

    @property
    def body(self) -> str:
        return self.opening_post.body

    @property
    def body_html(self) -> str:
        return self.opening_post.body_html

    @property
    def is_deleted(self) -> bool:
        return self.deleted_at is not None


class ThreadTag(db.Model):
    __tablename__ = "thread_tags"

    thread_id: Mapped[int] = mapped_column(sa.ForeignKey("threads.id", ondelete="CASCADE"), primary_key=True)
    tag: Mapped[str] = mapped_column(sa.String(30), primary_key=True, index=True)


class Post(db.Model):
    """A thread's opening post (is_opener) or a reply; bodies are raw Markdown plus sanitised HTML."""

    __tablename__ = "posts"
    __table_args__ = (sa.Index("ix_posts_thread_id_id", "thread_id", "id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    thread_id: Mapped[int] = mapped_column(sa.ForeignKey("threads.id", ondelete="CASCADE"))
    author_id: Mapped[int] = mapped_column(sa.ForeignKey("members.id"), index=True)
    reply_to_id: Mapped[int | None] = mapped_column(sa.ForeignKey("posts.id"))
    is_opener: Mapped[bool] = mapped_column(default=False)
    body: Mapped[str] = mapped_column(sa.Text)
    body_html: Mapped[str] = mapped_column(sa.Text)
    like_count: Mapped[int] = mapped_column(default=0)
    helpful_count: Mapped[int] = mapped_column(default=0)
    insightful_count: Mapped[int] = mapped_column(default=0)
    hidden: Mapped[bool] = mapped_column(default=False)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    edited_at: Mapped[datetime | None]
    deleted_at: Mapped[datetime | None]
    # Set the first time the post is accepted, kept when the acceptance moves: answer_accepted is sent once.
    first_accepted_at: Mapped[datetime | None]

    author: Mapped[Member] = relationship(lazy="joined", innerjoin=True)
    thread: Mapped[Thread] = relationship(foreign_keys=[thread_id])

    @property
    def reactions(self) -> dict[str, int]:
        return {kind: getattr(self, f"{kind}_count") for kind in REACTION_KINDS}


class PostReaction(db.Model):
    __tablename__ = "post_reactions"
    __table_args__ = (
        sa.UniqueConstraint("post_id", "member_id", "kind", name="uq_post_reactions_post_member_kind"),
        sa.CheckConstraint(in_list("kind", REACTION_KINDS), name="kind"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    post_id: Mapped[int] = mapped_column(sa.ForeignKey("posts.id", ondelete="CASCADE"))
    member_id: Mapped[int] = mapped_column(sa.ForeignKey("members.id", ondelete="CASCADE"), index=True)
    kind: Mapped[str] = mapped_column(sa.String(16))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    # A taken-back reaction stays as a row (removed_at set) so that reacting again restores it
    # without announcing reaction_given / reaction_received a second time.
    removed_at: Mapped[datetime | None]


class ContentShare(db.Model):
    """Who shared what: content_shared is announced once per (member, content)."""

    __tablename__ = "content_shares"
    __table_args__ = (sa.CheckConstraint(in_list("content_type", SHARED_CONTENT), name="content_type"),)

    member_id: Mapped[int] = mapped_column(sa.ForeignKey("members.id", ondelete="CASCADE"), primary_key=True)
    content_type: Mapped[str] = mapped_column(sa.String(20), primary_key=True)
    content_id: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class Product(db.Model):
    __tablename__ = "products"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(sa.String(120), unique=True)
    description: Mapped[str] = mapped_column(sa.String(2000), default="")
    url: Mapped[str | None] = mapped_column(sa.String(500))
    active: Mapped[bool] = mapped_column(default=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)


class Recommendation(db.Model):
    __tablename__ = "recommendations"
    __table_args__ = (
        sa.UniqueConstraint("product_id", "member_id", name="uq_recommendations_product_member"),
        sa.CheckConstraint("score >= 0 AND score <= 10", name="score_range"),
        sa.Index("ix_recommendations_product_id_id", "product_id", "id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    product_id: Mapped[int] = mapped_column(sa.ForeignKey("products.id", ondelete="CASCADE"))
    member_id: Mapped[int] = mapped_column(sa.ForeignKey("members.id", ondelete="CASCADE"), index=True)
    score: Mapped[int]
    body: Mapped[str] = mapped_column(sa.Text)
    body_html: Mapped[str] = mapped_column(sa.Text)
    endorsement_count: Mapped[int] = mapped_column(default=0)
    # Hidden by a moderator: out of lists (but for moderators) and out of NPS.
    hidden: Mapped[bool] = mapped_column(default=False, server_default=sa.false())
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)

    member: Mapped[Member] = relationship(lazy="joined", innerjoin=True)
    product: Mapped[Product] = relationship()
    responses: Mapped[list[FeedbackResponse]] = relationship(
        lazy="selectin", order_by="FeedbackResponse.id", viewonly=True
    )


class Endorsement(db.Model):
    __tablename__ = "recommendation_endorsements"

    recommendation_id: Mapped[int] = mapped_column(
        sa.ForeignKey("recommendations.id", ondelete="CASCADE"), primary_key=True
    )
    member_id: Mapped[int] = mapped_column(sa.ForeignKey("members.id", ondelete="CASCADE"), primary_key=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class PostFlag(db.Model):
    """A member's report of a post or of a recommendation (exactly one of the two) to the moderators."""

    __tablename__ = "post_flags"
    __table_args__ = (
        sa.UniqueConstraint("post_id", "reporter_id", name="uq_post_flags_post_reporter"),
        sa.UniqueConstraint("recommendation_id", "reporter_id", name="uq_post_flags_recommendation_reporter"),
        sa.CheckConstraint(in_list("reason", FLAG_REASONS), name="reason"),
        sa.CheckConstraint(in_list("status", FLAG_STATUSES), name="status"),
        sa.CheckConstraint("(post_id IS NULL) <> (recommendation_id IS NULL)", name="one_subject"),
        sa.Index("ix_post_flags_status_id", "status", "id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    post_id: Mapped[int | None] = mapped_column(sa.ForeignKey("posts.id", ondelete="CASCADE"))
    recommendation_id: Mapped[int | None] = mapped_column(sa.ForeignKey("recommendations.id", ondelete="CASCADE"))
    # Nulled when the reporter erases their account; the flag itself stays for the record.
    reporter_id: Mapped[int | None] = mapped_column(sa.ForeignKey("members.id", ondelete="SET NULL"))
    reason: Mapped[str] = mapped_column(sa.String(20))
    details: Mapped[str] = mapped_column(sa.String(1000), default="")
    status: Mapped[str] = mapped_column(sa.String(12), default="open")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    resolved_at: Mapped[datetime | None]
    resolved_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("members.id", ondelete="SET NULL"))

    post: Mapped[Post | None] = relationship(lazy="joined")
    recommendation: Mapped[Recommendation | None] = relationship(lazy="joined")


class CommunityProfile(db.Model):
    """Per-member reputation and counts, kept by set-based upserts so the leaderboard is an index scan."""

    __tablename__ = "community_profiles"
    __table_args__ = (sa.Index("ix_community_profiles_reputation", "reputation", "member_id"),)

    member_id: Mapped[int] = mapped_column(sa.ForeignKey("members.id", ondelete="CASCADE"), primary_key=True)
    reputation: Mapped[int] = mapped_column(default=0)
    thread_count: Mapped[int] = mapped_column(default=0)
    post_count: Mapped[int] = mapped_column(default=0)
    reactions_received: Mapped[int] = mapped_column(default=0)
    accepted_answers: Mapped[int] = mapped_column(default=0)

    member: Mapped[Member] = relationship(lazy="joined", innerjoin=True)


class ThreadFeedback(db.Model):
    """A thread author's rating of the help they got, once a reply exists: one per thread, changeable."""

    __tablename__ = "thread_feedback"
    __table_args__ = (
        sa.CheckConstraint(f"csat BETWEEN {CSAT_SCALE[0]} AND {CSAT_SCALE[1]}", name="csat_range"),
        sa.CheckConstraint(f"ces BETWEEN {CES_SCALE[0]} AND {CES_SCALE[1]}", name="ces_range"),
        sa.Index("ix_thread_feedback_member_id_updated_at", "member_id", "updated_at"),
        sa.Index("ix_thread_feedback_updated_at", "updated_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    thread_id: Mapped[int] = mapped_column(sa.ForeignKey("threads.id", ondelete="CASCADE"), unique=True)
    member_id: Mapped[int] = mapped_column(sa.ForeignKey("members.id", ondelete="CASCADE"))
    csat: Mapped[int]
    ces: Mapped[int]
    comment: Mapped[str] = mapped_column(sa.String(2000), default="")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)  # when the current rating was given

    thread: Mapped[Thread] = relationship(lazy="joined", innerjoin=True)
    member: Mapped[Member] = relationship(lazy="joined", innerjoin=True)
    responses: Mapped[list[FeedbackResponse]] = relationship(
        lazy="selectin", order_by="FeedbackResponse.id", viewonly=True
    )


class FeedbackResponse(db.Model):
    """Staff closing the loop: an answer to a rating or to a peer recommendation (exactly one of them)."""

    __tablename__ = "feedback_responses"
    __table_args__ = (sa.CheckConstraint("(feedback_id IS NULL) <> (recommendation_id IS NULL)", name="one_subject"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    feedback_id: Mapped[int | None] = mapped_column(sa.ForeignKey("thread_feedback.id", ondelete="CASCADE"), index=True)
    recommendation_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("recommendations.id", ondelete="CASCADE"), index=True
    )
    responder_id: Mapped[int | None] = mapped_column(sa.ForeignKey("members.id", ondelete="SET NULL"))
    body: Mapped[str] = mapped_column(sa.Text)
    body_html: Mapped[str] = mapped_column(sa.Text)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    responder: Mapped[Member | None] = relationship(lazy="joined")
