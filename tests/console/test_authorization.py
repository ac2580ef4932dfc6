"""Every console route, every role: anonymous callers go to sign-in, members without a staff
role are sent away to sign-in, staff without the page's role get 403, the right roles get in.
Each page asks for the same roles as the API endpoint it shows."""

from __future__ import annotations

import pytest

from tests.authz import (
    EVERYONE,
    ROLES,
    STAFF_MARKETING,
    STAFF_MODERATION,
    STAFF_SALES,
    Endpoint,
    endpoint_ids,
    endpoint_params,
)
from tests.community import test_authorization as community_table
from tests.console.conftest import csrf_token
from tests.journey import test_authorization as journey_table
from tests.leads import test_authorization as leads_table
from tests.referrals import test_authorization as referrals_table

STAFF = ("moderator", "marketer", "sales", "admin")
LEAD_READERS = ("marketer", "sales", "admin")

ENDPOINTS = [
    Endpoint("GET", "/console/sign-in", EVERYONE),
    Endpoint("POST", "/console/sign-in", EVERYONE),
    Endpoint("POST", "/console/sign-out", EVERYONE),
    Endpoint("GET", "/console/static/<path:filename>", EVERYONE),
    Endpoint("GET", "/console/", STAFF),
    Endpoint("GET", "/console/leads", LEAD_READERS),
    Endpoint("GET", "/console/leads/<int:lead_id>", LEAD_READERS),
    Endpoint("POST", "/console/leads/<int:lead_id>/claim", STAFF_SALES),
    Endpoint("POST", "/console/leads/<int:lead_id>/stage", STAFF_SALES),
    Endpoint("POST", "/console/leads/<int:lead_id>/notes", STAFF_SALES),
    Endpoint("GET", "/console/accounts", LEAD_READERS),
    Endpoint("GET", "/console/attribution", STAFF_MARKETING),
    Endpoint("GET", "/console/growth", STAFF_MARKETING),
    Endpoint("GET", "/console/rewards", STAFF_MARKETING),
    Endpoint("GET", "/console/moderation", STAFF_MODERATION),
    Endpoint("POST", "/console/moderation/posts/<int:post_id>/hide", STAFF_MODERATION),
    Endpoint("POST", "/console/moderation/recommendations/<int:recommendation_id>/hide", STAFF_MODERATION),
    Endpoint("POST", "/console/moderation/flags/<int:flag_id>/dismiss", STAFF_MODERATION),
    Endpoint("POST", "/console/moderation/members/<int:member_id>/ban", STAFF_MODERATION),
    Endpoint("GET", "/console/journey", STAFF_MARKETING),
    Endpoint("GET", "/console/voice", STAFF_MARKETING),
    Endpoint("GET", "/console/customers/at-risk", STAFF_MARKETING),
]

# The API endpoint whose data or action each console route shows: the roles must be the same.
MIRRORS = {
    "/console/leads": (leads_table, "GET", "/api/v1/leads"),
    "/console/leads/<int:lead_id>": (leads_table, "GET", "/api/v1/leads/<int:lead_id>"),
    "/console/leads/<int:lead_id>/claim": (leads_table, "POST", "/api/v1/leads/<int:lead_id>/claim"),
    "/console/leads/<int:lead_id>/stage": (leads_table, "PATCH", "/api/v1/leads/<int:lead_id>"),
    "/console/leads/<int:lead_id>/notes": (leads_table, "PATCH", "/api/v1/leads/<int:lead_id>"),
    "/console/accounts": (leads_table, "GET", "/api/v1/leads/accounts"),
    "/console/attribution": (referrals_table, "GET", "/api/v1/referrals/attribution"),
    "/console/growth": (referrals_table, "GET", "/api/v1/referrals/k-factor"),
    "/console/rewards": (referrals_table, "GET", "/api/v1/referrals/rewards"),
    "/console/moderation": (community_table, "GET", "/api/v1/moderation/flags"),
    "/console/moderation/posts/<int:post_id>/hide": (
        community_table,
        "POST",
        "/api/v1/moderation/posts/<int:post_id>/<any(hide, unhide):action>",
    ),
    "/console/moderation/recommendations/<int:recommendation_id>/hide": (
        community_table,
        "POST",
        "/api/v1/moderation/recommendations/<int:recommendation_id>/<any(hide, unhide):action>",
    ),
    "/console/moderation/flags/<int:flag_id>/dismiss": (
        community_table,
        "POST",
        "/api/v1/moderation/flags/<int:flag_id>/dismiss",
    ),
    "/console/moderation/members/<int:member_id>/ban": (
        community_table,
        "POST",
        "/api/v1/moderation/members/<int:member_id>/<any(ban, unban):action>",
    ),
    "/console/journey": (journey_table, "GET", "/api/v1/journey/funnel"),
    "/console/voice": (community_table, "GET", "/api/v1/nps"),
    "/console/customers/at-risk": (journey_table, "GET", "/api/v1/customers/health"),
}
# Pages that show more than one API endpoint: their roles must match each of them too.
ALSO_MIRRORS = {"/console/voice": [(community_table, "GET", "/api/v1/feedback/summary")]}
SAMPLE_FILES = {"/console/static/<path:filename>": "/console/static/console.css"}


def redirected_to_sign_in(response) -> bool:
    return response.status_code in (302, 303) and response.headers["Location"].startswith("/console/sign-in")


def check_page(auth, endpoint: Endpoint, role: str) -> None:
    client = auth.client(role)
    path = SAMPLE_FILES.get(endpoint.rule, endpoint.path)
    data = {"csrf_token": csrf_token(client)} if endpoint.method == "POST" else None
    response = client.open(path, method=endpoint.method, data=data)
    response.close()  # static files are streamed from an open file
    if role in endpoint.allowed:
        assert response.status_code < 500 and response.status_code != 403, f"{role} at {endpoint}"
        if endpoint.allowed == EVERYONE:
            return
        assert not redirected_to_sign_in(response), f"{role} sent to sign in at {endpoint}"
        if endpoint.method == "GET" and "<" not in endpoint.rule and endpoint.rule != "/console/":
            assert response.status_code == 200, f"{role} at {endpoint}: {response.status_code}"
    elif role in ("anonymous", "member"):
        assert redirected_to_sign_in(response), f"{role} at {endpoint}: {response.status_code}"
    else:
        assert response.status_code == 403, f"{role} at {endpoint}: {response.status_code}"
        assert "text/html" in response.content_type


@pytest.mark.parametrize(("endpoint", "role"), endpoint_params(ENDPOINTS), ids=endpoint_ids(ENDPOINTS))
def test_console_page_authorisation(auth, endpoint, role):
    check_page(auth, endpoint, role)


def test_every_console_route_has_a_row(app):
    covered = {(e.method, e.rule) for e in ENDPOINTS}
    routes = {
        (method, rule.rule)
        for rule in app.url_map.iter_rules()
        if rule.rule.startswith("/console")
        for method in rule.methods - {"HEAD", "OPTIONS"}
    }
    assert routes - covered == set(), "console routes without an authorisation row"
    assert covered - routes == set(), "rows for console routes that do not exist"


@pytest.mark.parametrize("rule", sorted(MIRRORS))
def test_pages_ask_for_the_roles_of_their_api(rule):
    page = next(e for e in ENDPOINTS if e.rule == rule)
    for module, method, api_rule in [MIRRORS[rule], *ALSO_MIRRORS.get(rule, [])]:
        api = next(e for e in module.ENDPOINTS if (e.method, e.rule) == (method, api_rule))
        assert set(page.allowed) == set(api.allowed), api_rule


def test_every_staff_page_mirrors_an_api_endpoint():
    pages = {e.rule for e in ENDPOINTS if e.allowed not in (EVERYONE, STAFF)}
    assert pages == set(MIRRORS)
    assert set(ROLES) >= {role for e in ENDPOINTS for role in e.allowed}
