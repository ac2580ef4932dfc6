"""Conversions: a referred signup (stitching the visitor), then engaged, lead and customer."""

from __future__ import annotations

import logging
import re
from datetime import datetime, timedelta

import sqlalchemy as sa
from flask import current_app

from core.accounts.models import Member
from core.caller import keyed_hash
from core.database import among, upsert_statement
from core.errors import ValidationFailed
from core.extensions import db
from core.signals import REFERRAL_SIGNUP, REFERRALS, activity_recorded
from referrals.models import MODELS, STANDARD_WINDOWS, Campaign, Click, Conversion, Credit, MemberVisitor, Touch
from referrals.services import rewards, rollups
from referrals.services.attribution import window_shares
from referrals.services.draining import drain_pending
from referrals.services.fraud import fraud_reasons

logger = logging.getLogger(__name__)
LATER_KINDS = ("engaged", "lead", "customer")
MAX_TOUCHES = 50  # the most recent clicks of one visitor that take part in attribution
VISITOR_ID_PATTERN = re.compile(r"^[A-Za-z0-9_-]{16,64}$")


def window_days() -> int:
    return current_app.config["REFERRAL_WINDOW_DAYS"]


def attribution_windows() -> tuple[int, ...]:
    """The windows credit is stored for: the standard ones within the configured window, and that window.

    Touches are gathered over the configured window only, so a wider one could not be computed exactly.
    """
    configured = window_days()
    return tuple(sorted({w for w in STANDARD_WINDOWS if w < configured} | {configured}))


def valid_visitor_id(value: str | None) -> str | None:
    return value if value and VISITOR_ID_PATTERN.match(value) else None


def member_for_code(code: str) -> Member:
    member = db.session.scalar(sa.select(Member).where(Member.referral_code == code, Member.erased_at.is_(None)))
    if member is None:
        raise ValidationFailed("No member has this referral code.", field="referral_code")
    return member


def stitch_visitor(member_id: int, visitor_id: str | None, ip_hash: str | None, at: datetime) -> None:
    db.session.add(MemberVisitor(visitor_id=visitor_id, member_id=member_id, ip_hash=ip_hash, stitched_at=at))


def window_clicks(visitor_id: str, at: datetime) -> list[Click]:
    stmt = (
        sa.select(Click)
        .where(
            Click.visitor_id == visitor_id,
            Click.occurred_at >= at - timedelta(days=window_days()),
            Click.occurred_at <= at,
        )
        .order_by(Click.occurred_at.desc(), Click.id.desc())
        .limit(MAX_TOUCHES)
    )
    return list(reversed(db.session.scalars(stmt).all()))


def touch_from_click(click: Click, at: datetime) -> Touch:
    return Touch(
        click_id=click.id,
        occurred_at=click.occurred_at,
        age_seconds=int((at - click.occurred_at).total_seconds()),
        referrer_id=click.referrer_id,
        campaign_id=click.campaign_id,
        channel=click.channel,
        utm_source=click.utm_source,
        utm_medium=click.utm_medium,
        utm_campaign=click.utm_campaign,
        content=click.content,
    )


def gather_touches(clicks: list[Click], referrer: Member | None, at: datetime) -> list[Touch]:
    """Clicks in the window; an explicit code is the member's own word, so it is always the last touch."""
    touches = [touch_from_click(click, at) for click in clicks]
    if referrer is not None:
        touches.append(Touch(click_id=None, occurred_at=at, age_seconds=0, referrer_id=referrer.id, channel="code"))
    for position, touch in enumerate(touches):
        touch.position = position
    return touches


def store_credits(conversion: Conversion, touches: list[Touch]) -> None:
    """Credit per attribution window and model, each over the touches inside that window."""
    times = [t.occurred_at for t in touches]
    rows = [
        {
            "conversion_id": conversion.id,
            "window_days": window,
            "model": model,
            "touch_id": touches[i].id,
            "share": share,
        }
        for window in attribution_windows()
        for model in MODELS
        for i, share in window_shares(model, times, conversion.occurred_at, window).items()
    ]
    db.session.execute(sa.insert(Credit), rows)
    rollups.add_credit(db.session.connection(), [conversion.id])


def attribute_signup(
    member: Member,
    *,
    referral_code: str | None = None,
    visitor_id: str | None = None,
    ip_hash: str | None = None,
    at: datetime | None = None,
) -> Conversion | None:
    """Stitch the visitor, and store the signup conversion with its touches and credit if referred."""
    at = at or member.created_at
    referrer = member_for_code(referral_code) if referral_code else None
    visitor_id = valid_visitor_id(visitor_id)
    if visitor_id or ip_hash:
        drain_pending()  # the clicks this host answered up to now take part, as if stored at once
    clicks = window_clicks(visitor_id, at) if visitor_id else []
    if visitor_id or ip_hash:
        stitch_visitor(member.id, visitor_id, ip_hash, at)
    touches = gather_touches(clicks, referrer, at)
    if not touches:
        db.session.flush()
        return None
    reasons = fraud_reasons(member, touches, clicks, visitor_id, ip_hash)
    conversion = Conversion(
        member_id=member.id,
        kind="signup",
        occurred_at=at,
        referred_by_id=referrer.id if referrer else touches[-1].referrer_id,
        referral_code=referral_code or clicks[-1].code,
        visitor_id=visitor_id,
        flagged=bool(reasons),
        flag_reasons=" ".join(reasons) or None,
    )
    db.session.add(conversion)
    db.session.flush()
    for touch in touches:
        touch.conversion_id = conversion.id
    db.session.add_all(touches)
    db.session.flush()
    store_credits(conversion, touches)
    if not reasons:
        announce_referral_signup(conversion)
        rewards.grant_rewards(conversion, "signup", at)
    return conversion


def attribute_new_member(
    member: Member, *, referral_code: str | None, visitor_id: str | None, client_address: str | None
) -> Conversion | None:
    """A sign-up as the request saw it: the client address is kept only as its keyed hash."""
    ip_hash = keyed_hash(client_address, "click-ip") if client_address else None
    return attribute_signup(member, referral_code=referral_code, visitor_id=visitor_id, ip_hash=ip_hash)


def announce_referral_signup(conversion: Conversion) -> None:
    activity_recorded.send(
        REFERRALS,
        member_id=conversion.referred_by_id,
        activity_type=REFERRAL_SIGNUP,
        occurred_at=conversion.occurred_at,
        subject_type="member",
        subject_id=conversion.member_id,
        properties={"conversion_id": conversion.id, "channel": "referral"},
    )


def signup_conversion(member_id: int) -> Conversion | None:
    return db.session.scalar(
        sa.select(Conversion).where(Conversion.member_id == member_id, Conversion.kind == "signup")
    )


def record_conversion(
    member_id: int,
    kind: str,
    occurred_at: datetime,
    *,
    revenue_minor: int | None = None,
    currency: str | None = None,
) -> None:
    """A referred member became engaged, a lead or a customer. Idempotent per (member, kind)."""
    record_conversions([member_id], kind, occurred_at, revenue_minor=revenue_minor, currency=currency)


def record_conversions(
    member_ids: list[int],
    kind: str,
    occurred_at: datetime,
    *,
    revenue_minor: int | None = None,
    currency: str | None = None,
) -> None:
    """Referred members became engaged, leads or customers: a handful of statements for any number.
    Idempotent per (member, kind); members who were not referred are ignored.

    Lead and customer conversions get the signup's touches and credit (time decay depends only on
    the gaps between touches, so the shares are the same at any later conversion time), and that
    credit joins the rollups in the same transaction. A customer's deal (in minor units of
    `currency`, given by whoever won it: one member per call in practice) is credited with the
    same shares.
    """
    record_conversions_of_kinds({kind: member_ids}, occurred_at, revenue_minor=revenue_minor, currency=currency)


def record_conversions_of_kinds(
    member_ids_by_kind: dict[str, list[int]],
    occurred_at: datetime,
    *,
    revenue_minor: int | None = None,
    currency: str | None = None,
) -> None:
    """record_conversions for several kinds at once (say, a batch's newly engaged members and its
    new leads): the signups of them all are read in one statement."""
    for kind in member_ids_by_kind:
        if kind not in LATER_KINDS:
            raise ValidationFailed(f"kind must be one of {', '.join(LATER_KINDS)}.", field="kind")
    everyone = sorted({member_id for ids in member_ids_by_kind.values() for member_id in ids})
    if not everyone:
        return
    stmt = sa.select(Conversion).where(among(Conversion.member_id, everyone), Conversion.kind == "signup")
    signups = {conversion.member_id: conversion for conversion in db.session.scalars(stmt)}
    for kind, member_ids in member_ids_by_kind.items():
        referred = {member_id: signups[member_id] for member_id in member_ids if member_id in signups}
        if referred:
            convert(referred, kind, occurred_at, revenue_minor=revenue_minor, currency=currency)


def convert(
    signups: dict[int, Conversion], kind: str, occurred_at: datetime, *, revenue_minor: int | None, currency: str | None
) -> None:
    """The `kind` conversions of referred members (their signups by member id), with credit and rewards."""
    deal = kind == "customer" and revenue_minor is not None
    rows = [
        {
            "member_id": member_id,
            "kind": kind,
            "occurred_at": occurred_at,
            "referred_by_id": signup.referred_by_id,
            "referral_code": signup.referral_code,
            "visitor_id": signup.visitor_id,
            "flagged": signup.flagged,
            "flag_reasons": signup.flag_reasons,
            "revenue_minor": revenue_minor if deal else None,
            "currency": currency if deal else None,
        }
        for member_id, signup in sorted(signups.items())
    ]
    # A conversion recorded concurrently (or before) wins: the unique (member, kind) skips ours.
    stmt = upsert_statement(Conversion.__table__).values(rows).on_conflict_do_nothing()
    inserted = db.session.execute(stmt.returning(Conversion.id, Conversion.member_id)).all()
    if kind != "engaged" and inserted:
        copy_credits({signups[member_id].id: conversion_id for conversion_id, member_id in inserted})
    if kind == "customer":
        for _, member_id in inserted:
            rewards.grant_rewards(signups[member_id], "customer", occurred_at)


def copy_credits(new_for_old: dict[int, int]) -> None:
    """Each signup's credit, copied to the later conversion mapped to it, then into the rollups."""
    columns = (Credit.window_days, Credit.model, Credit.touch_id, Credit.share)
    target = sa.case(new_for_old, value=Credit.conversion_id)
    source = sa.select(target, *columns).where(Credit.conversion_id.in_(list(new_for_old)))
    db.session.execute(
        sa.insert(Credit).from_select(["conversion_id", *(c.key for c in columns)], source),
    )
    rollups.add_credit(db.session.connection(), list(new_for_old.values()))


def discovery_path(member_id: int) -> dict:
    """How a member found us: who referred them, through which code, campaign and touches."""
    signup = signup_conversion(member_id)
    if signup is None:
        return {"referred_by": None, "referral_code": None, "campaign": None, "touches": [], "signup_at": None}
    touches = db.session.scalars(
        sa.select(Touch).where(Touch.conversion_id == signup.id).order_by(Touch.position)
    ).all()
    campaign_id = next((t.campaign_id for t in reversed(touches) if t.campaign_id), None)
    campaign = db.session.get(Campaign, campaign_id) if campaign_id else None
    referrer = signup.referred_by
    return {
        "referred_by": {"id": referrer.id, "display_name": referrer.display_name} if referrer else None,
        "referral_code": signup.referral_code,
        "campaign": {"id": campaign.id, "name": campaign.name} if campaign else None,
        "touches": [touch_dict(t) for t in touches],
        "signup_at": signup.occurred_at.isoformat(),
    }


def touch_dict(touch: Touch) -> dict:
    return {
        "occurred_at": touch.occurred_at.isoformat(),
        "channel": touch.channel,
        "utm_source": touch.utm_source,
        "utm_medium": touch.utm_medium,
        "utm_campaign": touch.utm_campaign,
        "referrer_id": touch.referrer_id,
        "content": touch.content,
    }
