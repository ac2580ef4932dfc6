"""What referrals holds about a member: exported on request, anonymised on erasure."""

from __future__ import annotations

import secrets
from datetime import datetime

import sqlalchemy as sa

from core.accounts.models import Member
from core.extensions import db
from referrals.models import Click, Conversion, MemberVisitor, RewardEntry, Touch
from referrals.services import rollups
from referrals.services.draining import drain_pending
from referrals.services.grouped import floor_day, midnight


def member_visitor_ids(member_id: int) -> sa.Select:
    return sa.select(MemberVisitor.visitor_id).where(
        MemberVisitor.member_id == member_id, MemberVisitor.visitor_id.is_not(None)
    )


def anonymise_member(member_id: int) -> None:
    """Unlink the member's browsers: their clicks keep counting, but as anonymous visitors.

    Each browser gets a fresh random id (nothing derived from the member), so unique-visitor
    counts and the click rollups stay right and nothing leads from the member row to that browsing
    history.
    """
    rollups.lock_click_store(db.session.connection())  # no drainer reads these visitors meanwhile
    drain_pending()
    for visitor_id in set(db.session.scalars(member_visitor_ids(member_id))):
        db.session.execute(
            sa.update(Click)
            .where(Click.visitor_id == visitor_id)
            .values(visitor_id=f"erased-{secrets.token_hex(8)}", ip_hash=None, referring_host=None)
        )
    conversions = sa.select(Conversion.id).where(Conversion.member_id == member_id)
    db.session.execute(sa.update(Touch).where(Touch.conversion_id.in_(conversions)).values(click_id=None))
    db.session.execute(
        sa.update(Conversion).where(Conversion.member_id == member_id).values(visitor_id=None, referral_code=None)
    )
    db.session.execute(sa.delete(MemberVisitor).where(MemberVisitor.member_id == member_id))
    db.session.flush()


def export_member(member: Member) -> dict:
    drain_pending()
    clicks = db.session.scalars(
        sa.select(Click).where(Click.visitor_id.in_(member_visitor_ids(member.id))).order_by(Click.occurred_at)
    ).all()
    conversions = db.session.scalars(
        sa.select(Conversion).where(Conversion.member_id == member.id).order_by(Conversion.occurred_at)
    ).all()
    clicks_on_my_links = db.session.scalar(sa.select(sa.func.count(Click.id)).where(Click.referrer_id == member.id))
    referred = db.session.scalar(
        sa.select(sa.func.count(Conversion.id)).where(
            Conversion.referred_by_id == member.id, Conversion.kind == "signup"
        )
    )
    return {
        "referral_code": member.referral_code,
        "visitor_ids": list(db.session.scalars(member_visitor_ids(member.id))),
        "my_clicks": [click_dict(c) for c in clicks],
        "my_conversions": [
            {"kind": c.kind, "occurred_at": c.occurred_at.isoformat(), "referred_by_id": c.referred_by_id}
            for c in conversions
        ],
        "clicks_on_my_links": clicks_on_my_links,
        "members_i_referred": referred,
        "rewards": [
            {"side": r.side, "trigger": r.trigger, "amount": r.amount, "unit": r.unit, "at": r.created_at.isoformat()}
            for r in db.session.scalars(sa.select(RewardEntry).where(RewardEntry.member_id == member.id))
        ],
    }


def click_dict(click: Click) -> dict:
    return {
        "occurred_at": click.occurred_at.isoformat(),
        "referrer_id": click.referrer_id,
        "campaign_id": click.campaign_id,
        "channel": click.channel,
        "content": click.content,
        "utm_source": click.utm_source,
        "utm_medium": click.utm_medium,
        "utm_campaign": click.utm_campaign,
        "referring_host": click.referring_host,
        "user_agent_class": click.ua_class,
    }


def purge_clicks(*, before: datetime) -> int:
    """Raw clicks (visitor ids, IP hashes) are kept for a limited time; the touches that attributed
    conversions keep what the reports need, so credit never changes. Whole UTC days go (the day of
    `before` stays), so the click rollups drop whole days too."""
    day = floor_day(before)
    connection = db.session.connection()
    rollups.lock_click_store(connection)
    result = connection.execute(sa.delete(Click).where(Click.occurred_at < midnight(day)))
    rollups.forget_clicks_before(connection, day)
    return result.rowcount
