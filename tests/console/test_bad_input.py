"""Odd input on every console page: a 4xx page naming the field (or the page itself), never a 500."""

from __future__ import annotations

import pytest

ODD_VALUES = ["x", "-1", "0", "99999999999999999999", "1e309", "nan", "\x00", "a\x00b", "9" * 5000, "2026-13-45", "<b>"]
PAGES = {
    "/console/leads": ("stage", "owner", "organization", "min_score", "q", "sort", "limit", "cursor"),
    "/console/accounts": ("limit", "cursor"),
    "/console/attribution": ("model", "window_days", "group_by", "measure", "from", "to", "include_flagged"),
    "/console/growth": ("from", "to", "period_days", "include_flagged"),
    "/console/rewards": ("limit", "cursor"),
    "/console/moderation": ("status", "limit", "cursor"),
    "/console/sign-in": ("next",),
    "/console/journey": ("discovered_via", "from", "to"),
    "/console/voice": ("from", "to", "product_id", "category", "group_by"),
    "/console/customers/at-risk": ("status", "from", "to", "limit", "cursor"),
}


@pytest.mark.parametrize("path", sorted(PAGES))
def test_odd_query_values_never_break_a_page(auth, path):
    client = auth.client("admin")
    for name in PAGES[path]:
        for value in ODD_VALUES:
            response = client.get(path, query_string={name: value})
            assert response.status_code in (200, 302, 422), (name, value[:20], response.status_code)
            assert "text/html" in response.content_type or response.status_code == 302


@pytest.mark.parametrize(
    "path",
    [
        "/console/attribution?",
        "/console/leads?cursor=x&",
        "/console/moderation?cursor=x&",
        "/console/journey?",
        "/console/voice?",
        "/console/customers/at-risk?cursor=x&",
    ],
)
@pytest.mark.parametrize("key", ["endpoint", "_method", "_scheme", "_external", "_anchor"])
def test_unknown_query_keys_are_422_not_500(auth, path, key):
    """The switchers and pager rebuild the URL from the query; no key may break that."""
    response = auth.client("admin").get(f"{path}{key}=x")
    assert response.status_code == 422
    assert f"<strong>{key}</strong>" in response.get_data(as_text=True)
