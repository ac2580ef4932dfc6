"""`seed-demo` fills the journey reports: NPS and CSAT over months, customers at risk, cohorts, a funnel."""

import pytest

from journey.models import STAGES
from tests.journey.conftest import API


@pytest.fixture
def seeded(runner, auth):
    result = runner.invoke(args=["seed-demo"])
    assert result.exit_code == 0, result.output
    assert "customers at risk" in result.output
    return auth.client("admin")


def test_the_demo_fills_every_journey_report(seeded):
    nps = seeded.get(f"{API}/nps").get_json()["items"]
    assert len([month for month in nps if month["responses"]]) >= 4
    csat = seeded.get(f"{API}/feedback/summary", query_string={"group_by": "category"}).get_json()["items"]
    assert sum(item["responses"] for item in csat) >= 5
    assert seeded.get(f"{API}/feedback").get_json()["items"]
    # and customers at risk, cohorts and a funnel (one seeding for both: it takes a while)
    at_risk = seeded.get(f"{API}/customers/health", query_string={"status": "at_risk"}).get_json()["items"]
    assert 1 <= len(at_risk) <= 10
    assert all(sum(r["points"] for r in item["reasons"]) == item["health"] < 60 for item in at_risk)
    cohorts = seeded.get(f"{API}/retention/cohorts").get_json()["items"]
    assert len(cohorts) >= 6
    assert [len(c["active"]) for c in cohorts] == list(range(len(cohorts), 0, -1))  # one per month since
    assert all(0 <= share <= 1 for c in cohorts for share in c["active"]) and cohorts[1]["members"] >= 10
    funnel = seeded.get(f"{API}/journey/funnel").get_json()["items"]
    assert [item["stage"] for item in funnel] == list(STAGES) and all(item["members"] for item in funnel)
    referral = seeded.get(f"{API}/journey/funnel", query_string={"discovered_via": "referral"}).get_json()
    assert referral["items"][0]["members"] > 0
