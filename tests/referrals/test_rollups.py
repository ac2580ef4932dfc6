"""Reports read rollups; on random clicks and conversions they say exactly what the raw rows say."""

import random
from datetime import UTC, datetime, timedelta

import pytest
import sqlalchemy as sa
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from core.accounts import services as accounts
from core.accounts.models import Member
from core.extensions import db
from referrals.models import CREDIT_UNIT, GROUPS, MODELS, Click, ClickRollup, Conversion, Credit, CreditRollup, Touch
from referrals.services import conversions, grouped, privacy, reports, rollups
from referrals.services.click_store import store_clicks
from referrals.services.conversions import attribution_windows
from referrals.services.draining import CLICK_FIELDS
from tests.factories import MemberFactory
from tests.referrals.factories import CampaignFactory

DAY = timedelta(days=1)
BASE = datetime(2026, 3, 1, tzinfo=UTC)  # a Sunday; data spans 10 days: midnights and a whole ISO week
SPAN_MINUTES = 10 * 24 * 60
KEY_COLUMNS = {"referrer": "referrer_id", "campaign": "campaign_id"}

clicks_strategy = st.lists(
    st.fixed_dictionaries(
        {
            "referrer": st.integers(0, 2),
            "campaign": st.sampled_from([None, 0, 1]),
            "visitor": st.sampled_from([None, 0, 1, 2, 3, 4, 5]),
            "minute": st.integers(0, SPAN_MINUTES),
            "utm_source": st.sampled_from([None, "", "news", "social"]),
            "utm_medium": st.sampled_from([None, "email"]),
            "ip": st.sampled_from([None, 0, 1]),
            "bot": st.booleans(),
        }
    ),
    max_size=40,
)
moments = st.integers(-24 * 60, SPAN_MINUTES + 24 * 60).map(lambda m: BASE + timedelta(minutes=m))
aligned = st.integers(-1, 12).map(lambda d: BASE + d * DAY)
ranges = st.tuples(st.one_of(moments, aligned), st.one_of(moments, aligned)).filter(lambda r: r[0] < r[1])


@pytest.fixture
def people(app_ctx):
    referrers = [MemberFactory(display_name=f"R{n}") for n in range(3)]
    campaigns = [CampaignFactory(utm_source="launch"), CampaignFactory(utm_source="")]  # '' is not "none"
    db.session.flush()
    return referrers, campaigns


def click_record(spec: dict, referrers, campaigns) -> dict:
    referrer, campaign = referrers[spec["referrer"]], spec["campaign"]
    return {column: None for column in CLICK_FIELDS} | {
        "occurred_at": BASE + timedelta(minutes=spec["minute"]),
        "code": referrer.referral_code,
        "referrer_id": referrer.id,
        "campaign_id": None if campaign is None else campaigns[campaign].id,
        "visitor_id": None if spec["visitor"] is None else f"visitor-{spec['visitor']:012d}",
        "channel": "link" if campaign is None else "campaign",
        "utm_source": spec["utm_source"],
        "utm_medium": spec["utm_medium"],
        "ua_class": "bot" if spec["bot"] else "browser",
        "ip_hash": None if spec["ip"] is None else f"{spec['ip']:064x}",
    }


def build(rng: random.Random, specs: list[dict], referrers, campaigns) -> None:
    """Clicks stored in shuffled batches (late arrivals included), then signups and later conversions."""
    records = [click_record(spec, referrers, campaigns) for spec in specs]
    rng.shuffle(records)
    cut = rng.randint(0, len(records))
    for batch in (records[:cut], records[cut:]):
        store_clicks(db.session.connection(), batch)
    for visitor in rng.sample(range(6), 3):
        at = BASE + timedelta(minutes=rng.randint(0, SPAN_MINUTES))
        member = MemberFactory(created_at=at)
        conversions.attribute_signup(member, visitor_id=f"visitor-{visitor:012d}", at=at)
        for kind in ("engaged", "lead", "customer"):
            if rng.random() < 0.5:
                deal = {"revenue_minor": rng.randint(1, 10**10), "currency": "EUR"} if rng.random() < 0.8 else {}
                conversions.record_conversion(member.id, kind, at + timedelta(hours=rng.randint(1, 60)), **deal)
    if rng.random() < 0.3:
        referrer = rng.choice(referrers)  # an explicit code: a touch without a click
        at = BASE + timedelta(minutes=rng.randint(0, SPAN_MINUTES))
        conversions.attribute_signup(
            MemberFactory(email=f"x{rng.random()}@mailinator.com"), referral_code=referrer.referral_code, at=at
        )
    db.session.flush()


def text_key(value) -> str | None:
    return None if value is None else str(value)


def raw_clicks(group: str, start, end) -> dict:
    key = getattr(Click, KEY_COLUMNS.get(group, group))
    rows = db.session.execute(
        sa.select(key, sa.func.sum(Click.hits), sa.func.count(sa.distinct(Click.visitor_id)))
        .where(Click.occurred_at >= start, Click.occurred_at < end)
        .group_by(key)
    )
    return {text_key(k): [clicks, visitors] for k, clicks, visitors in rows}


def raw_credit(group: str, model: str, window: int, start, end, include_flagged: bool) -> dict:
    key = getattr(Touch, KEY_COLUMNS.get(group, group))
    """{key: [signups, leads, customers, revenue]}: each credit row read, summed here (revenue: share x deal)."""
    stmt = (
        sa.select(key, Conversion.kind, Credit.share, Conversion.revenue_minor)
        .join(Touch, Touch.id == Credit.touch_id)
        .join(Conversion, Conversion.id == Credit.conversion_id)
        .where(Credit.model == model, Credit.window_days == window)
        .where(Conversion.occurred_at >= start, Conversion.occurred_at < end)
    )
    if not include_flagged:
        stmt = stmt.where(Conversion.flagged.is_(False))
    sums: dict = {}
    for k, kind, share, revenue in db.session.execute(stmt):
        if kind == "engaged":
            continue
        row = sums.setdefault(text_key(k), [0, 0, 0, 0])
        row[("signup", "lead", "customer").index(kind)] += share
        row[3] += share * (revenue or 0) if kind == "customer" else 0
    return sums


@settings(
    max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow]
)
@given(specs=clicks_strategy, seed=st.integers(0, 2**32), period=ranges, include_flagged=st.booleans())
def test_rollups_equal_the_raw_rows(app, people, specs, seed, period, include_flagged, monkeypatch):
    referrers, campaigns = people
    monkeypatch.setitem(app.config, "REFERRAL_FLOOD_CLICKS", 2)  # some clicks of one address are counted on another row
    savepoint = db.session.begin_nested()
    try:
        build(random.Random(seed), specs, referrers, campaigns)
        start, end = period
        for group in GROUPS:
            assert dict(grouped.click_counts(group, start, end)) == raw_clicks(group, start, end), group
            for model in MODELS:
                for window in attribution_windows():
                    credit = grouped.credit_sums(group, model, window, start, end, include_flagged)
                    assert dict(credit) == raw_credit(group, model, window, start, end, include_flagged)
        assert_report_equals_raw(random.Random(seed), start, end, include_flagged)
    finally:
        savepoint.rollback()


def test_hours_of_a_cut_day_are_read_from_the_raw_rows(app_ctx, people):
    """Ranges that start or end inside a day (with rows outside them that day) read those hours raw."""
    referrer, day = people[0][0], BASE + 2 * DAY
    clicks = [(1, 6), (1, 18), (2, 3), (3, 24 + 10)]  # (visitor, hour from `day`)
    spec = {"referrer": 0, "campaign": None, "utm_source": None, "utm_medium": None, "ip": None, "bot": False}
    records = [click_record({**spec, "visitor": v, "minute": (2 * 24 + hour) * 60}, *people) for v, hour in clicks]
    store_clicks(db.session.connection(), records)
    for visitor, hour in ((2, 4), (1, 19)):  # a signup before the cut, one after it
        at = day + timedelta(hours=hour)
        conversions.attribute_signup(MemberFactory(created_at=at), visitor_id=f"visitor-{visitor:012d}", at=at)
    key, start, end = str(referrer.id), day + timedelta(hours=12), day + 2 * DAY
    assert grouped.click_counts("referrer", start, end) == {key: [2, 2]}  # v1 at 18:00, v3 the next day
    assert grouped.credit_sums("referrer", "linear", 30, start, end, False) == {key: [CREDIT_UNIT, 0, 0, 0]}
    assert grouped.new_visitors(start, end) == 1  # v3: v1 came first at 06:00
    inside = (day + timedelta(hours=5), day + timedelta(hours=7))  # within one day, rows on both sides
    assert grouped.click_counts("referrer", *inside) == {key: [1, 1]}
    assert grouped.new_visitors(*inside) == 1


def assert_report_equals_raw(rng: random.Random, start, end, include_flagged: bool) -> None:
    """The API's report (labels, rates, sorting aside) from the same numbers."""
    group, model = rng.choice(GROUPS), rng.choice(MODELS)
    body = reports.attribution(model=model, group_by=group, start=start, end=end, include_flagged=include_flagged)
    clicks = raw_clicks(group, start, end)
    credit = raw_credit(group, model, 30, start, end, include_flagged)
    expected = {
        "none" if key is None else key: (
            *clicks.get(key, [0, 0]),
            *(round(share / 1_000_000, 6) for share in credit.get(key, [0, 0, 0, 0])[:3]),
            round(credit.get(key, [0, 0, 0, 0])[3] / 1_000_000 / 100, 2),
        )
        for key in clicks.keys() | credit.keys()
    }
    items = {
        i["key"]: (i["clicks"], i["unique_visitors"], i["signups"], i["leads"], i["customers"], i["revenue"])
        for i in body["items"]
    }
    assert items == expected


def erase(member_id: int) -> None:
    """As DELETE /me and the task it defers do it: every domain hears `member_erased` with the address."""
    member = db.session.get(Member, member_id)
    email = member.email_normalized
    accounts.erase_member(member)
    assert accounts.erase_member_content(member_id, email)


def rollup_rows() -> set:
    clicks = {tuple(r) for r in db.session.execute(sa.select(ClickRollup.__table__)) if r.clicks or r.visitors}
    credit = {tuple(r) for r in db.session.execute(sa.select(CreditRollup.__table__))}
    return clicks | credit


@settings(
    max_examples=15, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow]
)
@given(specs=clicks_strategy, seed=st.integers(0, 2**32), purge_day=st.one_of(st.none(), st.integers(1, 9)))
def test_kept_rollups_equal_a_rebuild(app, people, specs, seed, purge_day):
    """What stores, purges and erasures keep up incrementally is what a rebuild from raw rows makes."""
    referrers, campaigns = people
    savepoint = db.session.begin_nested()
    try:
        build(random.Random(seed), specs, referrers, campaigns)
        if purge_day is not None:  # a purge may cut a week's row
            privacy.purge_clicks(before=BASE + purge_day * DAY + timedelta(hours=5))
        signed_up = db.session.scalars(sa.select(Conversion.member_id).where(Conversion.visitor_id.is_not(None)))
        for member_id in list(signed_up)[:1]:
            erase(member_id)
        kept = rollup_rows()
        rollups.rebuild(db.session.connection())
        assert kept == rollup_rows()
    finally:
        savepoint.rollback()


@settings(
    max_examples=15, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow]
)
@given(specs=clicks_strategy, seed=st.integers(0, 2**32), period=ranges, include_flagged=st.booleans())
def test_funnel_steps_never_grow(app, people, specs, seed, period, include_flagged):
    referrers, campaigns = people
    savepoint = db.session.begin_nested()
    try:
        build(random.Random(seed), specs, referrers, campaigns)
        start, end = period
        steps = reports.funnel(start=start, end=end, include_flagged=include_flagged)["steps"]
        counts = [step["count"] for step in steps]
        assert all(later <= earlier for earlier, later in zip(counts, counts[1:], strict=False)), counts
        first_clicks = sa.select(sa.func.min(Click.occurred_at)).where(Click.visitor_id.is_not(None))
        first_clicks = first_clicks.group_by(Click.visitor_id).subquery()
        new = sa.select(sa.func.count()).where(first_clicks.c[0] >= start, first_clicks.c[0] < end)
        assert counts[1] == db.session.scalar(new)  # visitors: those whose first click is in the period
    finally:
        savepoint.rollback()


@settings(
    max_examples=10, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow]
)
@given(specs=clicks_strategy, seed=st.integers(0, 2**32), first=st.integers(-1, 3), days=st.integers(1, 12))
def test_k_factor_reads_rollups_for_whole_days(app, people, specs, seed, first, days):
    referrers, campaigns = people
    savepoint = db.session.begin_nested()
    try:
        build(random.Random(seed), specs, referrers, campaigns)
        start, end = BASE + first * DAY, BASE + (first + days) * DAY
        rolled_up = grouped.clicks_per_period(start, end, 2)
        raw = reports.period_counts(
            [sa.func.sum(Click.hits), sa.func.count(sa.distinct(Click.referrer_id))],
            Click.occurred_at,
            start,
            end,
            2 * 86400,
        )
        assert rolled_up == {n: (int(clicks), sharers) for n, (clicks, sharers) in raw.items()}
    finally:
        savepoint.rollback()
