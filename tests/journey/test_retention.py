"""Retention cohorts on a hand-built population: members by the month they joined, the share active in
each month since."""

from datetime import UTC, datetime

import pytest

from core.models import utcnow
from core.reporting import month_key
from journey.services import retention
from tests.factories import MemberFactory
from tests.journey.conftest import API, act


def months_ago(k: int, day: int = 10) -> datetime:
    """Noon on `day` of the month k months before this one."""
    now = utcnow()
    number = now.year * 12 + now.month - 1 - k
    return datetime(number // 12, number % 12 + 1, day, 12, tzinfo=UTC)


@pytest.fixture
def cohorts(app_ctx):
    """Joined two months ago: a1 active in months 0, 1, 2; a2 in month 0; a3 in month 1; a4 never (a
    reaction it received is not its doing). Joined last month: b1 active in months 0 and 1; b2 in month 1
    (and before it joined, which does not count). A prospect and an employee are in no cohort."""
    a = [MemberFactory(created_at=months_ago(2, day=3)) for _ in range(4)]
    b = [MemberFactory(member_type="fan", created_at=months_ago(1, day=3)) for _ in range(2)]
    for k in (2, 1, 0):
        act(a[0], months_ago(k))
    act(a[1], months_ago(2))
    act(a[2], months_ago(1), "page_viewed", source="events")
    act(a[3], months_ago(1), "reaction_received")
    act(b[0], months_ago(1)), act(b[0], months_ago(0, day=1))
    act(b[1], months_ago(0, day=1)), act(b[1], months_ago(3))
    for kind in ("prospect", "employee"):
        act(MemberFactory(member_type=kind, created_at=months_ago(2, day=3)), months_ago(2))
    return {"a": months_ago(2), "b": months_ago(1)}


def test_cohort_table_computed_by_hand(cohorts):
    body = retention.retention_cohorts()
    assert [(c["cohort"], c["members"], c["active"]) for c in body["items"]] == [
        (month_key(cohorts["a"]), 4, [0.5, 0.5, 0.25]),  # a1 a2 | a1 a3 | a1
        (month_key(cohorts["b"]), 2, [0.5, 1.0]),  # b1 | b1 b2
    ]


def test_from_and_to_bound_when_members_joined(cohorts, auth):
    only_b = retention.retention_cohorts(start=months_ago(1, day=1).replace(hour=0))
    assert [c["cohort"] for c in only_b["items"]] == [month_key(cohorts["b"])]
    assert retention.retention_cohorts(end=months_ago(2, day=1))["items"] == []


def test_cohorts_through_the_api(auth):
    marketer = auth.client("marketer")  # they joined this month themselves, and did nothing yet
    body = marketer.get(f"{API}/retention/cohorts", query_string={"period": "month"}).get_json()
    assert body["period"] == "month" and body["items"][-1]["cohort"] == month_key(utcnow())
    assert body["items"][-1]["active"] == [0.0]


@pytest.mark.parametrize(
    ("query", "field"),
    [({"period": "week"}, "period"), ({"from": "2026-1-1"}, "from"), ({"cohort": "2026-01"}, "cohort")],
)
def test_bad_queries_are_refused(auth, query, field):
    response = auth.client("marketer").get(f"{API}/retention/cohorts", query_string=query)
    assert response.status_code == 422 and field in response.get_json()["errors"]
