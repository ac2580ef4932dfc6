"""Every community endpoint, every role: who gets in and who gets 401/403."""

import pytest

from tests.authz import (
    EVERYONE,
    SIGNED_IN,
    STAFF_MARKETING,
    STAFF_MODERATION,
    STAFF_VOICE,
    Endpoint,
    check_endpoint,
    endpoint_ids,
    endpoint_params,
)

API = "/api/v1"
THREAD = {"category_id": 1, "title": "A title", "body": "body"}

ENDPOINTS = [
    Endpoint("GET", f"{API}/categories", EVERYONE),
    Endpoint("POST", f"{API}/categories", STAFF_MODERATION, json={"slug": "x"}),
    Endpoint("GET", f"{API}/threads", EVERYONE),
    Endpoint("POST", f"{API}/threads", SIGNED_IN, json=THREAD),
    Endpoint("GET", f"{API}/threads/<int:thread_id>", EVERYONE),
    Endpoint("PATCH", f"{API}/threads/<int:thread_id>", SIGNED_IN, json={"title": "New title"}),
    Endpoint("DELETE", f"{API}/threads/<int:thread_id>", SIGNED_IN),
    Endpoint("GET", f"{API}/threads/<int:thread_id>/posts", EVERYONE),
    Endpoint("POST", f"{API}/threads/<int:thread_id>/posts", SIGNED_IN, json={"body": "hi"}),
    Endpoint("POST", f"{API}/threads/<int:thread_id>/accept", SIGNED_IN, json={"post_id": 1}),
    Endpoint("POST", f"{API}/threads/<int:thread_id>/share", SIGNED_IN),
    Endpoint("PATCH", f"{API}/posts/<int:post_id>", SIGNED_IN, json={"body": "edited"}),
    Endpoint("DELETE", f"{API}/posts/<int:post_id>", SIGNED_IN),
    Endpoint("PUT", f"{API}/posts/<int:post_id>/reactions/<kind>", SIGNED_IN),
    Endpoint("DELETE", f"{API}/posts/<int:post_id>/reactions/<kind>", SIGNED_IN),
    Endpoint("POST", f"{API}/posts/<int:post_id>/flags", SIGNED_IN, json={"reason": "spam"}),
    Endpoint("GET", f"{API}/products", EVERYONE),
    Endpoint("POST", f"{API}/products", STAFF_MARKETING, json={"name": ""}),
    Endpoint("GET", f"{API}/products/<int:product_id>", EVERYONE),
    Endpoint("PATCH", f"{API}/products/<int:product_id>", STAFF_MARKETING, json={"name": "New"}),
    Endpoint("GET", f"{API}/products/<int:product_id>/recommendations", EVERYONE),
    Endpoint("POST", f"{API}/products/<int:product_id>/recommendations", SIGNED_IN, json={"score": 9, "body": "ok"}),
    Endpoint("GET", f"{API}/products/<int:product_id>/nps", EVERYONE),
    Endpoint("POST", f"{API}/recommendations/<int:recommendation_id>/endorse", SIGNED_IN),
    Endpoint("POST", f"{API}/recommendations/<int:recommendation_id>/share", SIGNED_IN),
    Endpoint("GET", f"{API}/moderation/flags", STAFF_MODERATION),
    Endpoint("POST", f"{API}/moderation/flags/<int:flag_id>/dismiss", STAFF_MODERATION),
    Endpoint("POST", f"{API}/moderation/posts/<int:post_id>/<any(hide, unhide):action>", STAFF_MODERATION),
    Endpoint("POST", f"{API}/recommendations/<int:recommendation_id>/flags", SIGNED_IN, json={"reason": "spam"}),
    Endpoint(
        "POST", f"{API}/moderation/recommendations/<int:recommendation_id>/<any(hide, unhide):action>", STAFF_MODERATION
    ),
    Endpoint(
        "POST", f"{API}/moderation/threads/<int:thread_id>/<any(lock, unlock, pin, unpin):action>", STAFF_MODERATION
    ),
    Endpoint("POST", f"{API}/moderation/members/<int:member_id>/<any(ban, unban):action>", STAFF_MODERATION),
    Endpoint("GET", f"{API}/members/<int:member_id>", EVERYONE),
    Endpoint("GET", f"{API}/leaderboard", EVERYONE),
    Endpoint("GET", f"{API}/search", EVERYONE),
    Endpoint("PUT", f"{API}/threads/<int:thread_id>/feedback", SIGNED_IN, json={"csat": 5, "ces": 7}),
    Endpoint("GET", f"{API}/threads/<int:thread_id>/feedback", SIGNED_IN),
    Endpoint("GET", f"{API}/feedback", STAFF_VOICE),
    Endpoint("GET", f"{API}/feedback/summary", STAFF_MARKETING),
    Endpoint("POST", f"{API}/feedback/<int:feedback_id>/response", STAFF_VOICE, json={"body": "Thanks"}),
    Endpoint("POST", f"{API}/recommendations/<int:recommendation_id>/response", STAFF_VOICE, json={"body": "Thanks"}),
    Endpoint("GET", f"{API}/nps", STAFF_MARKETING),
]


@pytest.mark.parametrize(("endpoint", "role"), endpoint_params(ENDPOINTS), ids=endpoint_ids(ENDPOINTS))
def test_community_endpoint_authorisation(auth, endpoint, role):
    check_endpoint(auth, endpoint, role)


@pytest.mark.parametrize("role", ["member", "marketer", "sales"])
def test_only_moderators_act_on_real_content(auth, role):
    """Object-level: with a real post and thread, non-moderators still get 403."""
    from tests.community.factories import ThreadFactory

    client = auth.client(role)
    with client.application.app_context():
        from core.extensions import db

        thread = ThreadFactory()
        db.session.commit()
        thread_id, post_id = thread.id, thread.opening_post.id
    assert client.post(f"{API}/moderation/posts/{post_id}/hide").status_code == 403
    assert client.post(f"{API}/moderation/threads/{thread_id}/lock").status_code == 403
    assert client.patch(f"{API}/threads/{thread_id}", json={"title": "Not mine"}).status_code == 403
    assert client.delete(f"{API}/posts/{post_id}").status_code == 403
