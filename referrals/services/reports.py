"""Marketing reports: grouped reads of the click and credit rollups and of stored conversions."""

from __future__ import annotations

from datetime import datetime, timedelta

import sqlalchemy as sa
from sqlalchemy.orm import aliased

from core.accounts.models import Member
from core.database import among
from core.errors import NotFound, ValidationFailed
from core.extensions import db
from core.pagination import paginate
from core.routing import MAX_ID
from referrals.models import CONVERSION_KINDS, CREDIT_UNIT, MINOR_UNITS, Campaign, Click, Conversion
from referrals.services import grouped
from referrals.services.conversions import attribution_windows
from referrals.services.conversions import window_days as configured_window_days

FUNNEL_STEPS = ("click", "visitor", "signup", "engaged", "lead", "customer")
MAX_PERIODS = 400


def check_range(start: datetime, end: datetime) -> None:
    if start >= end:
        raise ValidationFailed("'from' must be before 'to'.", field="from")


def check_window(window_days: int) -> int:
    allowed = attribution_windows()
    if window_days not in allowed:
        raise ValidationFailed(f"Must be one of: {', '.join(map(str, allowed))}.", field="window_days")
    return window_days


def attribution(
    *,
    model: str,
    group_by: str,
    start: datetime,
    end: datetime,
    window_days: int | None = None,
    include_flagged: bool = False,
) -> dict:
    """Clicks and unique visitors of [start, end) and credit of its conversions, per group key: whole
    days from the rollups, so the cost follows the number of keys and days, not of clicks."""
    check_range(start, end)
    window_days = check_window(window_days or configured_window_days())
    clicks = grouped.click_counts(group_by, start, end)
    credit = grouped.credit_sums(group_by, model, window_days, start, end, include_flagged)
    keys = clicks.keys() | credit.keys()
    labels = group_labels(group_by, [key for key in keys if key is not None])
    items = [
        attribution_item(key, labels.get(key), clicks.get(key, (0, 0)), credit.get(key, (0, 0, 0, 0))) for key in keys
    ]
    items.sort(key=lambda item: (-item["signups"], -item["customers"], -item["clicks"], item["key"]))
    return {
        "model": model,
        "group_by": group_by,
        "from": start,
        "to": end,
        "window_days": window_days,
        "include_flagged": include_flagged,
        "currency": revenue_currency(),
        "items": items,
    }


def attribution_item(key: str | None, label: str | None, clicks, credit) -> dict:
    visitors, signups = clicks[1], credit[0] / CREDIT_UNIT
    return {
        "key": "none" if key is None else key,
        "label": label or ("(none)" if key is None else key),
        "clicks": clicks[0],
        "unique_visitors": visitors,
        "signups": round(signups, 6),
        "leads": round(credit[1] / CREDIT_UNIT, 6),
        "customers": round(credit[2] / CREDIT_UNIT, 6),
        "revenue": revenue_amount(credit[3]),
        "conversion_rate": round(signups / visitors, 6) if visitors else 0.0,
    }


def revenue_amount(credited: int) -> float:
    """Credited revenue (millionths of a minor unit) in the currency's major unit, to the cent."""
    return round(credited / CREDIT_UNIT / MINOR_UNITS, 2)


def revenue_currency() -> str | None:
    """The one currency revenue is recorded in (a second one is refused when a deal is won), if any yet."""
    stmt = sa.select(Conversion.currency).where(Conversion.currency.is_not(None)).limit(1)
    return db.session.scalar(stmt)


def group_labels(group_by: str, keys: list[str]) -> dict[str, str]:
    model = {"referrer": Member, "campaign": Campaign}.get(group_by)
    if model is None or not keys:
        return {}
    name = Member.display_name if model is Member else Campaign.name
    rows = db.session.connection().execute(sa.select(model.id, name).where(among(model.id, [int(key) for key in keys])))
    return {str(id_): label for id_, label in rows.all()}


def funnel(*, start: datetime, end: datetime, include_flagged: bool = False) -> dict:
    """One cohort, the visitors whose first click ever is in [start, end): how many got how far (a
    visitor who became a lead counts as engaged too), so every step is at most the one before.
    `click` is every click of the period."""
    check_range(start, end)
    clicks = grouped.click_counts("all", start, end).get(None, (0, 0))[0]
    counts = {
        "click": clicks,
        "visitor": grouped.new_visitors(start, end),
        **cohort_stages(start, end, include_flagged),
    }
    steps, previous = [], None
    for step in FUNNEL_STEPS:
        count = counts.get(step, 0)
        rate = round(count / previous, 6) if previous else None
        steps.append({"step": step, "count": count, "rate_from_previous": rate})
        previous = count
    return {"from": start, "to": end, "include_flagged": include_flagged, "steps": steps}


def cohort_stages(start: datetime, end: datetime, include_flagged: bool) -> dict[str, int]:
    """How many visitors of the cohort reached each conversion kind (or a later one)."""
    signup = aliased(Conversion)
    first_click = sa.select(sa.func.min(Click.occurred_at)).where(Click.visitor_id == signup.visitor_id)
    first_click = first_click.scalar_subquery()
    furthest = sa.func.max(
        sa.case(*((Conversion.kind == kind, rank) for rank, kind in enumerate(CONVERSION_KINDS)), else_=-1)
    )
    stmt = (
        sa.select(signup.visitor_id, furthest)
        .join(Conversion, Conversion.member_id == signup.member_id)
        .where(signup.kind == "signup", signup.visitor_id.is_not(None), first_click >= start, first_click < end)
        .group_by(signup.visitor_id)
    )
    if not include_flagged:
        stmt = stmt.where(signup.flagged.is_(False))
    reached = [rank for _, rank in db.session.execute(stmt)]
    return {kind: sum(1 for r in reached if r >= rank) for rank, kind in enumerate(CONVERSION_KINDS)}


def leaderboard(*, model: str, start: datetime, end: datetime, limit: int, include_flagged: bool = False) -> dict:
    """Referrers with credit in the period, by credited signups, then customers."""
    check_range(start, end)
    credit = grouped.credit_sums("referrer", model, configured_window_days(), start, end, include_flagged)
    top = sorted(credit.items(), key=lambda kv: (-kv[1][0], -kv[1][2], int(kv[0])))[:limit]
    names = group_labels("referrer", [key for key, _ in top])
    clicks = grouped.click_counts("referrer", start, end) if top else {}
    items = [
        {
            "member": {"id": int(key), "display_name": names.get(key)},
            "clicks": clicks.get(key, (0, 0))[0],
            "signups": round(signups / CREDIT_UNIT, 6),
            "leads": round(leads / CREDIT_UNIT, 6),
            "customers": round(customers / CREDIT_UNIT, 6),
            "revenue": revenue_amount(revenue),
        }
        for key, (signups, leads, customers, revenue) in top
    ]
    return {"model": model, "from": start, "to": end, "items": items}


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
    clicks = grouped.clicks_per_period(start, end, period_days)
    if clicks is None:  # periods that do not start at midnight UTC: from the clicks themselves
        clicks = period_counts(
            [sa.func.sum(Click.hits), sa.func.count(sa.distinct(Click.referrer_id))],
            Click.occurred_at,
            start,
            end,
            period,
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
        click_count, sharers = (int(value or 0) for value in clicks.get(n, (0, 0)))
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
