"""The community part of `seed-demo`."""

import pytest
import sqlalchemy as sa

from community import seed
from community.models import Post, PostFlag, PostReaction, Recommendation
from community.services import products
from core.accounts import seed as accounts_seed
from core.extensions import db


class Progress:
    def __init__(self):
        self.done = 0

    def update(self, n):
        self.done += n


@pytest.mark.usefixtures("app_ctx")
def test_seed_builds_a_believable_community(activities):
    context, progress = {}, Progress()
    accounts_seed.seed_demo(context, Progress())
    seed.seed_demo(context, progress)
    assert progress.done == 100
    assert len(context["threads"]) == seed.THREADS and len(context["products"]) == len(seed.PRODUCTS)
    assert db.session.scalar(sa.select(sa.func.count()).where(Post.is_opener.is_(False))) >= seed.THREADS
    assert db.session.scalar(sa.select(sa.func.count()).select_from(PostReaction)) > 0
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Recommendation)) == sum(
        len(scores) for *_, scores in seed.PRODUCTS
    )
    assert db.session.scalar(sa.select(sa.func.count()).select_from(PostFlag)) == 1
    scores = {products.nps(product)["nps"] for product in context["products"]}
    assert len(scores) == len(seed.PRODUCTS)  # every product tells a different story
    assert {a["activity_type"] for a in activities} >= {"thread_created", "post_created", "recommendation_made"}
