"""Counts stay exact when many members act at the same moment (gunicorn, 2 workers, real database)."""

import threading
from concurrent.futures import ThreadPoolExecutor

import pytest
import requests
import sqlalchemy as sa

from community.models import Post, PostReaction, Recommendation
from core.extensions import db
from tests.community.factories import PostFactory, ProductFactory

CROWD = 50
pytestmark = pytest.mark.live


def all_at_once(method: str, url: str, headers: list[dict], json=None) -> list[int]:
    """Send one request per header set, released together by a barrier."""
    barrier = threading.Barrier(len(headers))

    def send(header):
        barrier.wait()
        return requests.request(method, url, headers=header, json=json, timeout=60).status_code

    with ThreadPoolExecutor(max_workers=len(headers)) as pool:
        return list(pool.map(send, headers))


@pytest.fixture
def crowd(auth):
    return [auth.token(auth.member()) for _ in range(CROWD)]


def test_fifty_simultaneous_reactions_count_exactly_fifty(app, live_server, create, crowd):
    post = create(PostFactory)
    url = f"{live_server}/api/v1/posts/{post.id}/reactions/like"
    codes = all_at_once("PUT", url, crowd)
    codes += all_at_once("PUT", url, crowd[:10])  # repeated PUTs change nothing
    assert codes == [200] * (CROWD + 10)
    with app.app_context():
        stored = db.session.get(Post, post.id)
        rows = db.session.scalar(sa.select(sa.func.count()).where(PostReaction.post_id == post.id))
        assert stored.like_count == rows == CROWD
    listed = requests.get(f"{live_server}/api/v1/threads/{post.thread_id}/posts", timeout=10).json()["items"]
    assert [p["reactions"]["like"] for p in listed if p["id"] == post.id] == [CROWD]


def test_fifty_simultaneous_recommendations_count_exactly_fifty(app, live_server, create, crowd):
    product = create(ProductFactory)
    url = f"{live_server}/api/v1/products/{product.id}/recommendations"
    codes = all_at_once("POST", url, crowd, json={"score": 10, "body": "Recommended"})
    codes += all_at_once("POST", url, crowd[:10], json={"score": 0, "body": "Changed my mind"})
    assert codes == [201] * (CROWD + 10)
    nps = requests.get(f"{url.removesuffix('/recommendations')}/nps", timeout=10).json()
    assert nps["responses"] == CROWD
    assert (nps["promoters"], nps["detractors"]) == (CROWD - 10, 10)
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count()).where(Recommendation.product_id == product.id)) == CROWD
