"""Ids beyond the database's integer range are not found or invalid: never a 500."""

import pytest

from tests.community.conftest import API

HUGE = "99999999999999999999"


@pytest.mark.parametrize(
    ("method", "path", "expected", "body"),
    [
        ("GET", f"/threads/{HUGE}", 404, None),
        ("GET", f"/threads/{HUGE}/posts", 404, None),
        ("PATCH", f"/threads/{HUGE}", 404, {"title": "Long enough"}),
        ("POST", f"/threads/{HUGE}/posts", 404, {"body": "x"}),
        ("PUT", f"/posts/{HUGE}/reactions/like", 404, None),
        ("POST", f"/posts/{HUGE}/flags", 404, {"reason": "spam"}),
        ("GET", f"/products/{HUGE}/nps", 404, None),
        ("POST", f"/recommendations/{HUGE}/endorse", 404, None),
        ("GET", f"/members/{HUGE}", 404, None),
        ("POST", f"/moderation/members/{HUGE}/ban", 404, None),
        ("POST", f"/moderation/posts/{HUGE}/hide", 404, None),
        ("POST", f"/moderation/flags/{HUGE}/dismiss", 404, None),
        ("GET", f"/threads?category={HUGE}", 422, None),
    ],
)
def test_huge_ids_in_paths_and_queries(auth, method, path, expected, body):
    response = auth.client("admin").open(f"{API}{path}", method=method, json=body)
    assert response.status_code == expected, response.get_json()


@pytest.mark.parametrize(
    ("path_of", "payload", "field"),
    [
        (lambda t: "/threads", {"category_id": int(HUGE), "title": "Long enough", "body": "x"}, "category_id"),
        (lambda t: f"/threads/{t['id']}/posts", {"body": "x", "reply_to_id": int(HUGE)}, "reply_to_id"),
        (lambda t: f"/threads/{t['id']}/accept", {"post_id": int(HUGE)}, "post_id"),
    ],
)
def test_huge_ids_in_bodies(auth, category, path_of, payload, field):
    from tests.community.conftest import new_thread

    client = auth.client("member")
    thread = new_thread(client, category.id)
    response = client.post(f"{API}{path_of(thread)}", json=payload)
    assert response.status_code == 422
    assert field in response.get_json()["errors"]
