"""Every referrals endpoint, every role."""

import pytest

from tests.authz import EVERYONE, SIGNED_IN, STAFF_MARKETING, Endpoint, check_endpoint, endpoint_ids, endpoint_params

CAMPAIGN = {"name": "Launch", "landing_url": "https://brand.example/"}

ENDPOINTS = [
    Endpoint("GET", "/r/<code>", EVERYONE),
    Endpoint("GET", "/api/v1/me/referral-link", SIGNED_IN),
    Endpoint("GET", "/api/v1/referrals/campaigns", SIGNED_IN),
    Endpoint("POST", "/api/v1/referrals/campaigns", STAFF_MARKETING, json=CAMPAIGN),
    Endpoint("GET", "/api/v1/referrals/campaigns/<int:campaign_id>", SIGNED_IN),
    Endpoint("PATCH", "/api/v1/referrals/campaigns/<int:campaign_id>", STAFF_MARKETING, json={"name": "x"}),
    Endpoint("GET", "/api/v1/referrals/campaigns/<int:campaign_id>/link", SIGNED_IN),
    Endpoint("GET", "/api/v1/referrals/attribution", STAFF_MARKETING),
    Endpoint("GET", "/api/v1/referrals/funnel", STAFF_MARKETING),
    Endpoint("GET", "/api/v1/referrals/leaderboard", STAFF_MARKETING),
    Endpoint("GET", "/api/v1/referrals/tree/<int:member_id>", STAFF_MARKETING),
    Endpoint("GET", "/api/v1/referrals/k-factor", STAFF_MARKETING),
    Endpoint("GET", "/api/v1/referrals/flags", STAFF_MARKETING),
    Endpoint("GET", "/api/v1/referrals/reward-rules", STAFF_MARKETING),
    Endpoint("POST", "/api/v1/referrals/reward-rules", STAFF_MARKETING, json={"trigger": "signup"}),
    Endpoint("PATCH", "/api/v1/referrals/reward-rules/<int:rule_id>", STAFF_MARKETING, json={"active": False}),
    Endpoint("GET", "/api/v1/referrals/rewards", STAFF_MARKETING),
    Endpoint("GET", "/api/v1/referrals/rewards/export.csv", STAFF_MARKETING),
    Endpoint("GET", "/api/v1/me/rewards", SIGNED_IN),
]


@pytest.mark.parametrize(("endpoint", "role"), endpoint_params(ENDPOINTS), ids=endpoint_ids(ENDPOINTS))
def test_referrals_endpoint_authorisation(auth, endpoint, role):
    check_endpoint(auth, endpoint, role)


def test_report_tokens_need_the_read_scope(auth, app):
    marketer = auth.member("marketer")
    ingest_only = auth.token(marketer, scopes="ingest")
    response = app.test_client().get("/api/v1/referrals/attribution", headers=ingest_only)
    assert response.status_code == 403


def test_campaign_creation_needs_the_write_scope(auth, app):
    marketer = auth.member("marketer")
    read_only = auth.token(marketer, scopes="read")
    response = app.test_client().post("/api/v1/referrals/campaigns", json=CAMPAIGN, headers=read_only)
    assert response.status_code == 403
