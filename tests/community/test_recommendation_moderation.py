"""Recommendations are flagged and hidden like posts; hidden and banned members' ones leave every NPS path."""

import pytest

from tests.community.conftest import API
from tests.community.factories import ProductFactory


@pytest.fixture
def recommended(auth, create):
    """Aurora recommended by a promoter (10) and a detractor (2, the one flagged below)."""
    product = create(ProductFactory, name="Aurora")
    promoter, detractor = auth.client("member"), auth.client("member")
    promoter.post(f"{API}/products/{product.id}/recommendations", json={"score": 10, "body": "Superb"})
    bad = detractor.post(f"{API}/products/{product.id}/recommendations", json={"score": 2, "body": "Buy pills"})
    return {"product": product.id, "id": bad.get_json()["id"], "detractor": detractor}


def flag(client, recommendation_id, reason="spam"):
    return client.post(f"{API}/recommendations/{recommendation_id}/flags", json={"reason": reason})


def nps_everywhere(client, product_id) -> list:
    """The product's NPS, the brand's by product and by month (what the console's voice page reads)."""
    marketer_view = client.get(f"{API}/nps?group_by=product").get_json()["items"]
    by_month = client.get(f"{API}/nps?group_by=month").get_json()["items"]
    return [
        client.get(f"{API}/products/{product_id}/nps").get_json()["nps"],
        [item["nps"] for item in marketer_view],
        [item["nps"] for item in by_month if item["responses"]],
    ]


def test_a_flagged_recommendation_reaches_the_queue(auth, recommended):
    reporter = auth.client("member")
    assert flag(reporter, recommended["id"]).status_code == 201
    assert flag(reporter, recommended["id"], "abuse").status_code == 409
    queue = auth.client("moderator").get(f"{API}/moderation/flags").get_json()["items"]
    assert [(f["recommendation_id"], f["post_id"], f["reason"]) for f in queue] == [(recommended["id"], None, "spam")]
    assert queue[0]["recommendation"]["body"] == "Buy pills"


def test_own_missing_and_bad_flags_are_refused(auth, recommended):
    assert flag(recommended["detractor"], recommended["id"]).status_code == 403
    assert flag(auth.client("member"), 999999).status_code == 404
    response = auth.client("member").post(f"{API}/recommendations/{recommended['id']}/flags", json={"reason": "meh"})
    assert response.status_code == 422 and "reason" in response.get_json()["errors"]


def test_hiding_a_recommendation_hides_it_resolves_its_flags_and_takes_it_out_of_nps(auth, client, recommended):
    flag(auth.client("member"), recommended["id"])
    marketer, moderator = auth.client("marketer"), auth.client("moderator")
    assert nps_everywhere(marketer, recommended["product"]) == [0.0, [0.0], [0.0]]
    hidden = moderator.post(f"{API}/moderation/recommendations/{recommended['id']}/hide")
    assert hidden.status_code == 200 and hidden.get_json()["hidden"] is True
    listed = f"{API}/products/{recommended['product']}/recommendations"
    assert [r["score"] for r in client.get(listed).get_json()["items"]] == [10]
    assert sorted(r["score"] for r in moderator.get(listed).get_json()["items"]) == [2, 10]
    assert auth.client("member").post(f"{API}/recommendations/{recommended['id']}/endorse").status_code == 404
    assert nps_everywhere(marketer, recommended["product"]) == [100.0, [100.0], [100.0]]
    assert moderator.get(f"{API}/moderation/flags").get_json()["items"] == []
    actioned = moderator.get(f"{API}/moderation/flags?status=actioned").get_json()["items"]
    assert [f["recommendation_id"] for f in actioned] == [recommended["id"]]
    moderator.post(f"{API}/moderation/recommendations/{recommended['id']}/unhide")
    assert nps_everywhere(marketer, recommended["product"]) == [0.0, [0.0], [0.0]]


def test_a_banned_members_recommendation_leaves_every_nps_path(auth, recommended):
    marketer, moderator = auth.client("marketer"), auth.client("moderator")
    moderator.post(f"{API}/moderation/members/{recommended['detractor'].member.id}/ban")
    assert nps_everywhere(marketer, recommended["product"]) == [100.0, [100.0], [100.0]]


def test_hiding_a_missing_recommendation_is_404(auth):
    response = auth.client("moderator").post(f"{API}/moderation/recommendations/999999/hide")
    assert response.status_code == 404
