"""Marketing reports: grouped reads of stored clicks, conversions and credit (no per-row Python)."""

from __future__ import annotations

from datetime import datetime, timedelta

import sqlalchemy as sa

from core.accounts.models import Member
from core.errors import NotFound, ValidationFailed
from core.extensions import db
from core.pagination import paginate
from core.routing import MAX_ID
from referrals.models import CREDIT_UNIT, Campaign, Click, Conversion, Credit, Touch
from referrals.services.conversions import attribution_windows
from referrals.services.conversions import window_days as configured_window_days

GROUP_COLUMNS = {"referrer": "referrer_id", "campaign": "campaign_id"}
CREDITED_KINDS = ("signup", "lead", "customer")
FUNNEL_STEPS = ("click", "visitor", "signup", "engaged", "lead", "customer")
MAX_PERIODS = 400


def check_range(start: datetime, end: datetime) -> None:
    if start >= end:
        raise ValidationFailed("'from' must be before 'to'.", field="from")


def group_column(model, group_by: str):
    return getattr(model, GROUP_COLUMNS.get(group_by, group_by))


def conversion_filters(start: datetime, end: datetime, include_flagged: bool) -> list:
    filters = [Conversion.occurred_at >= start, Conversion.occurred_at < end]
    return filters if include_flagged else [*filters, Conversion.flagged.is_(False)]


def check_window(window_days: int) -> int:
    allowed = attribution_windows()
    if window_days not in allowed:
        raise ValidationFailed(f"Must be one of: {', '.join(map(str, allowed))}.", field="window_days")
    return window_days


def credited_by_kind(touch_key, model: str, window_days: int, filters: list):
    """Sum of stored credit per (group key, conversion kind) in one window, in millionths."""
    return (
        sa.select(touch_key.label("key"), Conversion.kind, sa.func.sum(Credit.share).label("credit"))
        .join(Touch, Touch.id == Credit.touch_id)
        .join(Conversion, Conversion.id == Credit.conversion_id)
        .where(Credit.model == model, Credit.window_days == window_days, *filters)
        .group_by(touch_key, Conversion.kind)
    )


def attribution(
    *,
    model: str,
    group_by: str,
    start: datetime,
    end: datetime,
    window_days: int | None = None,
    include_flagged: bool = False,
) -> dict:
    check_range(start, end)
    window_days = check_window(window_days or configured_window_days())
    click_key = group_column(Click, group_by)
    clicks = db.session.execute(
        sa.select(click_key, sa.func.count(Click.id), sa.func.count(sa.distinct(Click.visitor_id)))
        .where(Click.occurred_at >= start, Click.occurred_at < end)
        .group_by(click_key)
    ).all()
    filters = conversion_filters(start, end, include_flagged)
    credits = db.session.execute(credited_by_kind(group_column(Touch, group_by), model, window_days, filters)).all()
    rows: dict = {}
    for key, count, visitors in clicks:
        rows[key] = {"clicks": count, "unique_visitors": visitors}
    for key, kind, credit in credits:
        rows.setdefault(key, {})[kind] = credit
    labels = group_labels(group_by, [key for key in rows if key is not None])
    items = [attribution_item(key, labels.get(key), values) for key, values in rows.items()]
    items.sort(key=lambda item: (-item["signups"], -item["customers"], -item["clicks"], item["key"]))
    return {
        "model": model,
        "group_by": group_by,
        "from": start,
        "to": end,
        "window_days": window_days,
        "include_flagged": include_flagged,
        "items": items,
    }


def attribution_item(key, label: str | None, values: dict) -> dict:
    visitors = values.get("unique_visitors", 0)
    signups = values.get("signup", 0) / CREDIT_UNIT
    return {
        "key": "none" if key is None else str(key),
        "label": label or ("(none)" if key is None else str(key)),
        "clicks": values.get("clicks", 0),
        "unique_visitors": visitors,
        "signups": round(signups, 6),
        "leads": round(values.get("lead", 0) / CREDIT_UNIT, 6),
        "customers": round(values.get("customer", 0) / CREDIT_UNIT, 6),
        "conversion_rate": round(signups / visitors, 6) if visitors else 0.0,
    }


def group_labels(group_by: str, keys: list) -> dict:
    if group_by == "referrer" and keys:
        return dict(db.session.execute(sa.select(Member.id, Member.display_name).where(Member.id.in_(keys))).all())
    if group_by == "campaign" and keys:
        return dict(db.session.execute(sa.select(Campaign.id, Campaign.name).where(Campaign.id.in_(keys))).all())
    return {}


def funnel(*, start: datetime, end: datetime, include_flagged: bool = False) -> dict:
    check_range(start, end)
    clicks, visitors = db.session.execute(
        sa.select(sa.func.count(Click.id), sa.func.count(sa.distinct(Click.visitor_id))).where(
            Click.occurred_at >= start, Click.occurred_at < end
        )
    ).one()
    by_kind = dict(
        db.session.execute(
            sa.select(Conversion.kind, sa.func.count(Conversion.id))
            .where(*conversion_filters(start, end, include_flagged))
            .group_by(Conversion.kind)
        ).all()
    )
    counts = {"click": clicks, "visitor": visitors, **by_kind}
    steps, previous = [], None
    for step in FUNNEL_STEPS:
        count = counts.get(step, 0)
        rate = round(count / previous, 6) if previous else None
        steps.append({"step": step, "count": count, "rate_from_previous": rate})
        previous = count
    return {"from": start, "to": end, "include_flagged": include_flagged, "steps": steps}


def leaderboard(*, model: str, start: datetime, end: datetime, limit: int, include_flagged: bool = False) -> dict:
    check_range(start, end)
    credit = {
        kind: sa.func.coalesce(sa.func.sum(sa.case((Conversion.kind == kind, Credit.share), else_=0)), 0)
        for kind in CREDITED_KINDS
    }
    stmt = (
        sa.select(Touch.referrer_id, Member.display_name, *credit.values())
        .join(Touch, Touch.id == Credit.touch_id)
        .join(Conversion, Conversion.id == Credit.conversion_id)
        .join(Member, Member.id == Touch.referrer_id)
        .where(
            Credit.model == model,
            Credit.window_days == configured_window_days(),
            *conversion_filters(start, end, include_flagged),
        )
        .group_by(Touch.referrer_id, Member.display_name)
        .order_by(credit["signup"].desc(), credit["customer"].desc(), Touch.referrer_id)
        .limit(limit)
    )
    rows = db.session.execute(stmt).all()
    clicks = referrer_clicks([row[0] for row in rows], start, end)
    items = [
        {
            "member": {"id": member_id, "display_name": name},
            "clicks": clicks.get(member_id, 0),
            "signups": round(signups / CREDIT_UNIT, 6),
            "leads": round(leads / CREDIT_UNIT, 6),
            "customers": round(customers / CREDIT_UNIT, 6),
        }
        for member_id, name, signups, leads, customers in rows
    ]
    return {"model": model, "from": start, "to": end, "items": items}


def referrer_clicks(member_ids: list[int], start: datetime, end: datetime) -> dict:
    if not member_ids:
        return {}
    stmt = (
        sa.select(Click.referrer_id, sa.func.count(Click.id))
        .where(Click.referrer_id.in_(member_ids), Click.occurred_at >= start, Click.occurred_at < end)
        .group_by(Click.referrer_id)
    )
    return dict(db.session.execute(stmt).all())


def referral_tree(member_id: int) -> dict:
    """Who a member brought (by last touch), and who those brought: two levels."""
    member = db.session.get(Member, member_id) if member_id <= MAX_ID else None
    if member is None:
        raise NotFound("No such member.")
    children = referred_members([member_id])
    grandchildren = referred_members([child["id"] for child in children])
    for child in children:
        child["referred"] = [g for g in grandchildren if g["referred_by_id"] == child["id"]]
    return {
        "member": {"id": member.id, "display_name": member.display_name},
        "referred": children,
        "total_referred": len(children),
        "total_second_level": len(grandchildren),
    }


def referred_members(referrer_ids: list[int]) -> list[dict]:
    if not referrer_ids:
        return []
    stmt = (
        sa.select(Conversion.referred_by_id, Member.id, Member.display_name, Conversion.occurred_at, Conversion.flagged)
        .join(Member, Member.id == Conversion.member_id)
        .where(Conversion.kind == "signup", Conversion.referred_by_id.in_(referrer_ids))
        .order_by(Conversion.occurred_at, Conversion.id)
    )
    return [
        {"referred_by_id": by, "id": id_, "display_name": name, "signed_up_at": at, "flagged": flagged}
        for by, id_, name, at, flagged in db.session.execute(stmt).all()
    ]


def epoch_seconds(column):
    if db.session.get_bind().dialect.name == "sqlite":
        return sa.cast(sa.func.strftime("%s", column), sa.BigInteger)
    return sa.cast(sa.func.floor(sa.extract("epoch", column)), sa.BigInteger)


def period_counts(stmt_columns, column, start: datetime, end: datetime, period: int, *filters) -> dict:
    bucket = ((epoch_seconds(column) - int(start.timestamp())) // period).label("bucket")
    stmt = sa.select(bucket, *stmt_columns).where(column >= start, column < end, *filters).group_by(bucket)
    return {int(row[0]): row[1:] for row in db.session.execute(stmt).all()}


def k_factor(*, start: datetime, end: datetime, period_days: int, include_flagged: bool = False) -> dict:
    """Viral coefficient per period: referred signups / members at the period's start (= invites x conversion)."""
    check_range(start, end)
    period = period_days * 86400
    periods = -(-int((end - start).total_seconds()) // period)
    if periods > MAX_PERIODS:
        raise ValidationFailed(f"At most {MAX_PERIODS} periods; widen period_days.", field="period_days")
    flag_filter = () if include_flagged else (Conversion.flagged.is_(False),)
    members_before = db.session.scalar(sa.select(sa.func.count(Member.id)).where(Member.created_at < start))
    new_members = period_counts([sa.func.count(Member.id)], Member.created_at, start, end, period)
    clicks = period_counts(
        [sa.func.count(Click.id), sa.func.count(sa.distinct(Click.referrer_id))], Click.occurred_at, start, end, period
    )
    signups = period_counts(
        [sa.func.count(Conversion.id)],
        Conversion.occurred_at,
        start,
        end,
        period,
        Conversion.kind == "signup",
        *flag_filter,
    )
    items, members = [], members_before
    for n in range(periods):
        referred = signups.get(n, (0,))[0]
        click_count, sharers = clicks.get(n, (0, 0))
        items.append(
            {
                "period_start": start + timedelta(seconds=n * period),
                "period_end": min(start + timedelta(seconds=(n + 1) * period), end),
                "members_at_start": members,
                "new_members": new_members.get(n, (0,))[0],
                "sharers": sharers,
                "clicks": click_count,
                "referred_signups": referred,
                "invites_per_member": round(click_count / members, 6) if members else 0.0,
                "click_conversion_rate": round(referred / click_count, 6) if click_count else 0.0,
                "k_factor": round(referred / members, 6) if members else 0.0,
            }
        )
        members += new_members.get(n, (0,))[0]
    return {"from": start, "to": end, "period_days": period_days, "items": items}


def list_flags(*, limit: int, cursor: str | None, kind: str | None = None):
    stmt = sa.select(Conversion).where(Conversion.flagged.is_(True))
    if kind:
        stmt = stmt.where(Conversion.kind == kind)
    return paginate(stmt, [Conversion.id], limit=limit, cursor=cursor)
