"""Fraud checks of a referred signup: self-referral, bots, click floods, disposable email."""

from __future__ import annotations

from datetime import timedelta

import sqlalchemy as sa
from disposable_email_domains import blocklist
from flask import current_app

from core.accounts.models import Member
from core.extensions import db
from referrals.models import Click, MemberVisitor, Touch

FLOOD_PERIOD = timedelta(hours=1)
GMAIL_DOMAINS = ("gmail.com", "googlemail.com")


def normalize_email(email: str) -> str:
    """Collapse the aliases one inbox can have: plus suffixes everywhere, dots at Gmail."""
    local, _, domain = email.strip().lower().rpartition("@")
    local = local.split("+", 1)[0]
    if domain in GMAIL_DOMAINS:
        local, domain = local.replace(".", ""), "gmail.com"
    return f"{local}@{domain}"


def is_disposable(email: str) -> bool:
    labels = email.strip().lower().rpartition("@")[2].split(".")
    return any(".".join(labels[i:]) in blocklist for i in range(len(labels) - 1))


def fraud_reasons(
    member: Member, touches: list[Touch], clicks: list[Click], visitor_id: str | None, ip_hash: str | None
) -> list[str]:
    reasons = []
    referrer_ids = {t.referrer_id for t in touches}
    ip_hashes = {c.ip_hash for c in clicks if c.ip_hash} | ({ip_hash} if ip_hash else set())
    if is_self_referral(member, referrer_ids, visitor_id, ip_hashes):
        reasons.append("self_referral")
    if any(c.ua_class == "bot" for c in clicks):
        reasons.append("bot_user_agent")
    if is_flood(clicks):
        reasons.append("click_flood")
    if is_disposable(member.email):
        reasons.append("disposable_email")
    return reasons


def is_self_referral(member: Member, referrer_ids: set[int], visitor_id: str | None, ip_hashes: set[str]) -> bool:
    """Same member, same visitor cookie, same IP hash or same normalised email as a referrer."""
    if member.id in referrer_ids:
        return True
    emails = db.session.scalars(sa.select(Member.email).where(Member.id.in_(referrer_ids)))
    if normalize_email(member.email) in {normalize_email(e) for e in emails}:
        return True
    return shares_visitor(referrer_ids, visitor_id) or shares_ip(referrer_ids, ip_hashes)


def shares_visitor(referrer_ids: set[int], visitor_id: str | None) -> bool:
    if not visitor_id:
        return False
    stmt = sa.select(MemberVisitor.id).where(
        MemberVisitor.member_id.in_(referrer_ids), MemberVisitor.visitor_id == visitor_id
    )
    return db.session.scalar(stmt.limit(1)) is not None


def shares_ip(referrer_ids: set[int], ip_hashes: set[str]) -> bool:
    """A referrer signed up from, or clicked from, one of these addresses."""
    if not ip_hashes:
        return False
    at_signup = sa.select(MemberVisitor.id).where(
        MemberVisitor.member_id.in_(referrer_ids), MemberVisitor.ip_hash.in_(ip_hashes)
    )
    on_clicks = (
        sa.select(Click.id)
        .join(MemberVisitor, MemberVisitor.visitor_id == Click.visitor_id)
        .where(MemberVisitor.member_id.in_(referrer_ids), Click.ip_hash.in_(ip_hashes))
    )
    stmt = sa.select(sa.or_(sa.exists(at_signup), sa.exists(on_clicks)))
    return bool(db.session.scalar(stmt))


def flood_limit() -> int:
    """Clicks on one code from one IP hash in FLOOD_PERIOD beyond which they are a flood."""
    return current_app.config["REFERRAL_FLOOD_CLICKS"]


def is_flood(clicks: list[Click]) -> bool:
    """More than REFERRAL_FLOOD_CLICKS clicks on one code from one IP hash in the hour up to a touch."""
    limit = flood_limit()
    counts = [
        sa.select(sa.func.coalesce(sa.func.sum(Click.hits), 0)).where(  # a flood's row counts all its clicks
            Click.ip_hash == click.ip_hash,
            Click.code == click.code,
            Click.occurred_at > click.occurred_at - FLOOD_PERIOD,
            Click.occurred_at <= click.occurred_at,
        )
        for click in {(c.ip_hash, c.code, c.occurred_at): c for c in clicks if c.ip_hash}.values()
    ]
    if not counts:
        return False
    return any(count > limit for count in db.session.scalars(sa.union_all(*counts)))
