"""Every list and report refuses a query parameter it does not know, with a 422 naming it: a typo such
as `?form=` for `?from=` must not silently answer for the default range."""

import re

from tests.authz import MISSING_ID

# Reads of one resource by its id, or of a setting: they take no query and ignore none that matters.
SINGLE_RESOURCES = {
    "/api/v1/me",
    "/api/v1/me/export",
    "/api/v1/me/referral-link",
    "/api/v1/members/<int:member_id>",
    "/api/v1/threads/<int:thread_id>",
    "/api/v1/threads/<int:thread_id>/feedback",
    "/api/v1/products/<int:product_id>",
    "/api/v1/referrals/campaigns/<int:campaign_id>",
    "/api/v1/referrals/campaigns/<int:campaign_id>/link",
    "/api/v1/leads/<int:lead_id>",
    "/api/v1/leads/scoring",
    "/api/v1/leads/assignment",
    "/api/v1/leads/scoring/jobs/<int:job_id>",
    "/api/v1/customers/health/rules",
}


def list_and_report_rules(app) -> list[str]:
    return sorted(
        rule.rule
        for rule in app.url_map.iter_rules()
        if rule.rule.startswith("/api/v1/") and "GET" in rule.methods and rule.rule not in SINGLE_RESOURCES
    )


def test_the_lists_and_reports_are_many(app):
    rules = list_and_report_rules(app)
    assert {"/api/v1/nps", "/api/v1/journey/funnel", "/api/v1/referrals/attribution", "/api/v1/leads"} <= set(rules)
    assert len(rules) >= 30


def test_every_list_and_report_refuses_an_unknown_parameter(app, auth):
    admin = auth.client("admin")
    refused = []
    for rule in list_and_report_rules(app):
        path = re.sub(r"<(?:\w+:)?\w+>", MISSING_ID, rule)
        response = admin.get(path, query_string={"form": "2026-01-01"})
        body = response.get_json()
        if response.status_code == 422 and "form" in body["errors"] and "form" in body["message"]:
            refused.append(rule)
    assert refused == list_and_report_rules(app)


def test_known_parameters_still_pass(auth):
    admin = auth.client("admin")
    assert admin.get("/api/v1/threads", query_string={"sort": "top", "limit": 5}).status_code == 200
    assert admin.get("/api/v1/referrals/funnel", query_string={"from": "2026-01-01"}).status_code == 200


def test_a_repeated_known_parameter_and_an_unknown_one_name_only_the_unknown(auth):
    body = auth.client("marketer").get("/api/v1/nps?group_by=month&grup_by=product").get_json()
    assert body["code"] == 422 and set(body["errors"]) == {"grup_by"}
