"""The catalogue, peer recommendations, endorsements, NPS and sharing through the HTTP API."""

import pytest

from tests.community.conftest import API
from tests.community.factories import ProductFactory, RecommendationFactory


@pytest.fixture
def product(create):
    return create(ProductFactory, name="Aurora Headphones")


def recommend(client, product_id, score=9, body="Great sound"):
    return client.post(f"{API}/products/{product_id}/recommendations", json={"score": score, "body": body})


def test_marketer_manages_products(auth, client):
    marketer = auth.client("marketer")
    created = marketer.post(f"{API}/products", json={"name": "Nimbus", "url": "https://brand.example/nimbus"})
    assert created.status_code == 201
    product_id = created.get_json()["id"]
    changed = marketer.patch(f"{API}/products/{product_id}", json={"active": False, "description": "Retired"})
    assert changed.status_code == 200
    assert changed.get_json()["active"] is False and changed.get_json()["name"] == "Nimbus"
    assert client.get(f"{API}/products/{product_id}").get_json()["description"] == "Retired"
    assert [p["id"] for p in client.get(f"{API}/products?active=false").get_json()["items"]] == [product_id]
    assert client.get(f"{API}/products?active=true").get_json()["items"] == []


def test_product_names_are_unique_ignoring_case(auth, product):
    response = auth.client("marketer").post(f"{API}/products", json={"name": "aurora headphones"})
    assert response.status_code == 409
    assert "name" in response.get_json()["errors"]


@pytest.mark.parametrize(
    ("payload", "field"),
    [
        ({}, "name"),
        ({"name": ""}, "name"),
        ({"name": "x" * 121}, "name"),
        ({"name": "Ok", "url": "javascript:alert(1)"}, "url"),
        ({"name": "Ok", "url": "not a url"}, "url"),
        ({"name": "Ok", "active": "maybe"}, "active"),
        ({"name": "Ok", "price": 3}, "price"),
    ],
)
def test_product_bad_input(auth, payload, field):
    response = auth.client("marketer").post(f"{API}/products", json=payload)
    assert response.status_code == 422
    assert field in response.get_json()["errors"]


def test_product_search_by_name(auth, client, product, create):
    create(ProductFactory, name="Nimbus Speaker")
    items = client.get(f"{API}/products?q=nimbus").get_json()["items"]
    assert [p["name"] for p in items] == ["Nimbus Speaker"]


def test_recommendation_is_one_per_member_and_updates(auth, client, product):
    member = auth.client("member")
    first = recommend(member, product.id, score=6, body="Okay")
    assert first.status_code == 201
    again = recommend(member, product.id, score=10, body="Changed my *mind*")
    assert again.status_code == 201
    assert again.get_json()["id"] == first.get_json()["id"]
    assert again.get_json()["score"] == 10
    assert again.get_json()["body_html"] == "<p>Changed my <em>mind</em></p>\n"
    listed = client.get(f"{API}/products/{product.id}/recommendations").get_json()["items"]
    assert len(listed) == 1 and listed[0]["score"] == 10


@pytest.mark.parametrize(
    ("payload", "field"),
    [
        ({"body": "no score"}, "score"),
        ({"score": 11, "body": "x"}, "score"),
        ({"score": -1, "body": "x"}, "score"),
        ({"score": 7.5, "body": "x"}, "score"),
        ({"score": "9", "body": "x"}, "score"),
        ({"score": True, "body": "x"}, "score"),
        ({"score": 9}, "body"),
        ({"score": 9, "body": ""}, "body"),
        ({"score": 9, "body": "x", "member_id": 1}, "member_id"),
    ],
)
def test_recommendation_bad_input(auth, product, payload, field):
    response = auth.client("member").post(f"{API}/products/{product.id}/recommendations", json=payload)
    assert response.status_code == 422
    assert field in response.get_json()["errors"]


def test_recommending_a_missing_product_is_404(auth):
    assert recommend(auth.client("member"), 424242).status_code == 404


def test_retired_product_takes_no_recommendations(auth, create):
    retired = create(ProductFactory, active=False)
    assert recommend(auth.client("member"), retired.id).status_code == 409


@pytest.mark.parametrize(
    ("scores", "expected"),
    [
        ([], {"responses": 0, "promoters": 0, "passives": 0, "detractors": 0, "nps": None}),
        ([10, 9, 8, 7, 6, 0, 3], {"responses": 7, "promoters": 2, "passives": 2, "detractors": 3, "nps": -14.29}),
        ([9, 9, 7], {"responses": 3, "promoters": 2, "passives": 1, "detractors": 0, "nps": 66.67}),
        ([10] * 4, {"responses": 4, "promoters": 4, "passives": 0, "detractors": 0, "nps": 100.0}),
        ([6, 0], {"responses": 2, "promoters": 0, "passives": 0, "detractors": 2, "nps": -100.0}),
        ([9, 6], {"responses": 2, "promoters": 1, "passives": 0, "detractors": 1, "nps": 0.0}),
    ],
)
def test_nps(client, create, product, scores, expected):
    for score in scores:
        create(RecommendationFactory, product=product, score=score)
    body = client.get(f"{API}/products/{product.id}/nps").get_json()
    assert body == {"product_id": product.id, **expected}


def test_nps_of_missing_product_is_404(client):
    assert client.get(f"{API}/products/424242/nps").status_code == 404


def test_endorsement_counts_once_and_not_your_own(auth, product):
    author = auth.client("member")
    recommendation = recommend(author, product.id).get_json()
    path = f"{API}/recommendations/{recommendation['id']}/endorse"
    fan = auth.client("member")
    assert fan.post(path).get_json()["endorsement_count"] == 1
    assert fan.post(path).get_json()["endorsement_count"] == 1
    assert auth.client("member").post(path).get_json()["endorsement_count"] == 2
    assert author.post(path).status_code == 403


def test_endorsing_a_missing_recommendation_is_404(auth):
    assert auth.client("member").post(f"{API}/recommendations/424242/endorse").status_code == 404


def test_share_recommendation_gives_a_referral_link(auth, app, product):
    recommendation = recommend(auth.client("member"), product.id).get_json()
    sharer = auth.client("member")
    response = sharer.post(f"{API}/recommendations/{recommendation['id']}/share")
    assert response.status_code == 201
    code = sharer.member.referral_code
    content = f"recommendation-{recommendation['id']}"
    assert response.get_json() == {
        "url": f"{app.config['PUBLIC_SITE_URL']}/r/{code}?content={content}",
        "code": code,
        "content": content,
    }


def test_recommendations_are_paginated_newest_first(auth, client, product):
    ids = [recommend(auth.client("member"), product.id).get_json()["id"] for _ in range(3)]
    first = client.get(f"{API}/products/{product.id}/recommendations?limit=2").get_json()
    second = client.get(f"{API}/products/{product.id}/recommendations?limit=2&cursor={first['next_cursor']}")
    assert [r["id"] for r in first["items"] + second.get_json()["items"]] == ids[::-1]
