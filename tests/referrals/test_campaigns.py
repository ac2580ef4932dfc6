"""Campaigns: created by marketers, landing URLs only on allow-listed hosts, per-member links."""

import pytest

VALID = {"name": "Spring launch", "landing_url": "https://brand.example/spring", "utm_source": "peerloop"}


@pytest.fixture
def marketer(auth):
    return auth.client("marketer")


def test_marketer_creates_a_campaign(marketer):
    response = marketer.post("/api/v1/referrals/campaigns", json=VALID)
    assert response.status_code == 201
    body = response.get_json()
    assert body["slug"] == "spring-launch" and body["active"] is True
    assert body["landing_url"] == VALID["landing_url"] and body["created_by_id"] == marketer.member.id


def test_slugs_stay_unique(marketer):
    first = marketer.post("/api/v1/referrals/campaigns", json=VALID).get_json()
    second = marketer.post("/api/v1/referrals/campaigns", json=VALID).get_json()
    assert first["slug"] != second["slug"] and second["slug"].startswith("spring-launch-")


@pytest.mark.parametrize(
    "landing_url",
    [
        "http://peerloop.test/welcome",
        "https://shop.brand.example/p/1?x=1",
        "https://BRAND.example/",
        "https://brand.example:8443/x",
    ],
)
def test_allowed_landing_urls(marketer, landing_url):
    response = marketer.post("/api/v1/referrals/campaigns", json={**VALID, "landing_url": landing_url})
    assert response.status_code == 201


@pytest.mark.parametrize(
    ("payload", "field"),
    [
        ({**VALID, "landing_url": "https://evil.com/"}, "landing_url"),
        ({**VALID, "landing_url": "//evil.com"}, "landing_url"),
        ({**VALID, "landing_url": "/relative"}, "landing_url"),
        ({**VALID, "landing_url": "javascript:alert(1)"}, "landing_url"),
        ({**VALID, "landing_url": "https://brand.example@evil.com/"}, "landing_url"),
        ({**VALID, "landing_url": "https://user:pw@brand.example/"}, "landing_url"),
        ({**VALID, "landing_url": "https://evil.com\\@brand.example/"}, "landing_url"),
        ({**VALID, "landing_url": "https://evil.com#@brand.example"}, "landing_url"),
        ({**VALID, "landing_url": "https://brand.example.evil.com/"}, "landing_url"),
        ({**VALID, "landing_url": "https://brand.example:99999/"}, "landing_url"),
        ({**VALID, "landing_url": "https://brand.example/ x"}, "landing_url"),
        ({**VALID, "landing_url": "ftp://brand.example/"}, "landing_url"),
        ({**VALID, "landing_url": ""}, "landing_url"),
        ({**VALID, "landing_url": 5}, "landing_url"),
        ({k: v for k, v in VALID.items() if k != "landing_url"}, "landing_url"),
        ({k: v for k, v in VALID.items() if k != "name"}, "name"),
        ({**VALID, "name": ""}, "name"),
        ({**VALID, "name": "   "}, "name"),
        ({**VALID, "name": "\t\n "}, "name"),
        ({**VALID, "name": "x" * 121}, "name"),
        ({**VALID, "landing_url": "  "}, "landing_url"),
        ({**VALID, "utm_source": "x" * 101}, "utm_source"),
        ({**VALID, "utm_medium": "a\x00b"}, "utm_medium"),
        ({**VALID, "name": "Launch\x00"}, "name"),
        ({**VALID, "landing_url": "https://brand.example/\x00"}, "landing_url"),
        ({**VALID, "slug": "chosen"}, "slug"),
        ({**VALID, "owner": 1}, "owner"),
    ],
)
def test_bad_campaign_input_names_the_field(marketer, payload, field):
    response = marketer.post("/api/v1/referrals/campaigns", json=payload)
    assert response.status_code == 422
    assert field in response.get_json()["errors"]


def test_update_campaign_validates_the_landing_url(marketer):
    campaign = marketer.post("/api/v1/referrals/campaigns", json=VALID).get_json()
    refused = marketer.patch(f"/api/v1/referrals/campaigns/{campaign['id']}", json={"landing_url": "https://evil.com"})
    assert refused.status_code == 422 and "landing_url" in refused.get_json()["errors"]
    changed = marketer.patch(f"/api/v1/referrals/campaigns/{campaign['id']}", json={"name": "Renamed", "active": False})
    assert changed.status_code == 200
    assert changed.get_json()["name"] == "Renamed" and changed.get_json()["slug"] == campaign["slug"]


@pytest.mark.parametrize("name", ["   ", "", "\u00a0\u2003"])
def test_a_campaign_cannot_be_renamed_to_blank(marketer, name):
    campaign = marketer.post("/api/v1/referrals/campaigns", json=VALID).get_json()
    refused = marketer.patch(f"/api/v1/referrals/campaigns/{campaign['id']}", json={"name": name})
    assert refused.status_code == 422 and "name" in refused.get_json()["errors"]
    assert marketer.get(f"/api/v1/referrals/campaigns/{campaign['id']}").get_json()["name"] == VALID["name"]


def test_names_are_stored_trimmed(marketer):
    created = marketer.post("/api/v1/referrals/campaigns", json={**VALID, "name": "  Spring  "}).get_json()
    assert created["name"] == "Spring" and created["slug"] == "spring"
    renamed = marketer.patch(f"/api/v1/referrals/campaigns/{created['id']}", json={"name": " Summer "}).get_json()
    assert renamed["name"] == "Summer"


def test_members_see_active_campaigns_and_get_their_link(marketer, auth):
    active = marketer.post("/api/v1/referrals/campaigns", json=VALID).get_json()
    inactive = marketer.post("/api/v1/referrals/campaigns", json={**VALID, "name": "Old"}).get_json()
    marketer.patch(f"/api/v1/referrals/campaigns/{inactive['id']}", json={"active": False})
    member = auth.client("member")
    listed = member.get("/api/v1/referrals/campaigns?include_inactive=true").get_json()
    assert [c["id"] for c in listed["items"]] == [active["id"]]
    assert member.get(f"/api/v1/referrals/campaigns/{inactive['id']}").status_code == 404
    assert member.get(f"/api/v1/referrals/campaigns/{inactive['id']}/link").status_code == 404
    link = member.get(f"/api/v1/referrals/campaigns/{active['id']}/link").get_json()
    code = member.member.referral_code
    assert link == {
        "code": code,
        "url": f"http://peerloop.test/r/{code}?c={active['slug']}",
        "campaign_id": active["id"],
    }
    everything = marketer.get("/api/v1/referrals/campaigns?include_inactive=true").get_json()
    assert {c["id"] for c in everything["items"]} == {active["id"], inactive["id"]}


def test_campaign_list_pages(marketer):
    for n in range(3):
        marketer.post("/api/v1/referrals/campaigns", json={**VALID, "name": f"C{n}"})
    first = marketer.get("/api/v1/referrals/campaigns?limit=2").get_json()
    second = marketer.get(f"/api/v1/referrals/campaigns?limit=2&cursor={first['next_cursor']}").get_json()
    assert len(first["items"]) == 2 and len(second["items"]) == 1 and second["next_cursor"] is None


@pytest.mark.parametrize(("query", "field"), [("limit=0", "limit"), ("cursor=%%%", "cursor")])
def test_bad_list_arguments(marketer, query, field):
    response = marketer.get(f"/api/v1/referrals/campaigns?{query}")
    assert response.status_code == 422 and field in response.get_json()["errors"]


@pytest.mark.parametrize("campaign_id", ["999999", "99999999999999999999"])
def test_missing_campaign_is_404(marketer, campaign_id):
    assert marketer.get(f"/api/v1/referrals/campaigns/{campaign_id}").status_code == 404
    assert marketer.get(f"/api/v1/referrals/campaigns/{campaign_id}/link").status_code == 404
    assert marketer.patch(f"/api/v1/referrals/campaigns/{campaign_id}", json={"name": "x"}).status_code == 404
