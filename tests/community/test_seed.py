"""The community part of `seed-demo`."""

import pytest
import sqlalchemy as sa

from community import seed
from community.models import FeedbackResponse, Post, PostFlag, PostReaction, Recommendation, ThreadFeedback
from community.services import nps
from core.accounts import seed as accounts_seed
from core.extensions import db
from core.models import utcnow
from core.notifications.models import Notification


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
    given = sum(len(scores) for *_, scores in seed.PRODUCTS)  # and an unhappy customer's new detractor score
    assert given <= db.session.scalar(sa.select(sa.func.count()).select_from(Recommendation)) <= given + seed.UNHAPPY
    assert db.session.scalar(sa.select(sa.func.count()).select_from(PostFlag)) == 1
    scores = {nps.product_nps(product)["nps"] for product in context["products"]}
    assert len(scores) == len(seed.PRODUCTS)  # every product tells a different story
    assert {a["activity_type"] for a in activities} >= {"thread_created", "post_created", "recommendation_made"}


@pytest.mark.usefixtures("app_ctx")
def test_seed_gives_the_customer_a_voice():
    context = {}
    accounts_seed.seed_demo(context, Progress())
    seed.seed_demo(context, Progress())
    ratings = list(db.session.scalars(sa.select(ThreadFeedback)))
    assert len(ratings) >= 5
    unhappy = [r for r in ratings if r.csat <= 2 and r.ces == 2]
    assert 1 <= len(unhappy) <= seed.UNHAPPY and all(r.member.member_type == "customer" for r in unhappy)
    assert max(r.updated_at for r in ratings) <= utcnow()
    assert db.session.scalar(sa.select(sa.func.count()).select_from(FeedbackResponse)) == 1
    months = {r.updated_at.strftime("%Y-%m") for r in db.session.scalars(sa.select(Recommendation))}
    assert len(months) >= 4  # NPS over time has months to show
    moderator = next(m for m in context["staff"] if "moderator" in m.role_names)
    kinds = set(db.session.scalars(sa.select(Notification.kind).where(Notification.member_id == moderator.id)))
    assert "mention" in kinds
