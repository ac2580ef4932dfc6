"""Community services on their own: activities, counters, signals receivers, contracts used by leads."""

import pytest
import sqlalchemy as sa

from community.models import CommunityProfile, Post, PostFlag, PostReaction
from community.services import moderation, products, reactions, threads
from core.accounts.models import Member
from core.errors import Forbidden, ValidationFailed
from core.extensions import db
from core.signals import member_erased, member_export_requested
from tests.community.factories import CategoryFactory, PostFactory, ProductFactory, ThreadFactory
from tests.factories import MemberFactory

pytestmark = pytest.mark.usefixtures("app_ctx")


def kinds(activities):
    return [(a["activity_type"], a["member_id"], a["subject_type"], a["subject_id"]) for a in activities]


def test_thread_and_reply_record_activities(activities):
    author, replier = MemberFactory(), MemberFactory()
    thread = threads.create_thread(author, category_id=CategoryFactory().id, title="Hello", body="x", tags=["a"])
    post = threads.create_post(thread, replier, body="reply")
    assert kinds(activities) == [
        ("thread_created", author.id, "thread", thread.id),
        ("post_created", replier.id, "post", post.id),
    ]
    assert all(a["occurred_at"].tzinfo is not None for a in activities)


def test_reaction_activities_are_sent_once_per_new_reaction(activities):
    post, fan = PostFactory(), MemberFactory()
    reactions.add_reaction(post, fan, "like")
    reactions.add_reaction(post, fan, "like")  # idempotent PUT: nothing new
    assert kinds(activities) == [
        ("reaction_given", fan.id, "post", post.id),
        ("reaction_received", post.author_id, "post", post.id),
    ]
    reactions.remove_reaction(post, fan, "like")
    reactions.add_reaction(post, fan, "like")  # restored, not announced again
    assert len(activities) == 2
    db.session.refresh(post)
    assert post.like_count == 1
    assert db.session.scalar(sa.select(sa.func.count()).select_from(PostReaction)) == 1


def test_counters_match_the_rows(activities):
    post = PostFactory()
    fans = MemberFactory.create_batch(4)
    for fan in fans:
        reactions.add_reaction(post, fan, "helpful")
    reactions.remove_reaction(post, fans[0], "helpful")
    reactions.remove_reaction(post, fans[0], "helpful")
    db.session.refresh(post)
    live = (PostReaction.post_id == post.id, PostReaction.removed_at.is_(None))
    rows = db.session.scalar(sa.select(sa.func.count()).where(*live))
    assert post.helpful_count == rows == 3
    profile = db.session.get(CommunityProfile, post.author_id)
    assert profile.reactions_received == 3 and profile.reputation == 9


def test_accepting_an_answer_records_it_for_the_answer_author(activities):
    thread = ThreadFactory()
    answer = PostFactory(thread=thread)
    reactions.accept_answer(thread, thread.author, answer.id)
    reactions.accept_answer(thread, thread.author, answer.id)
    assert kinds(activities) == [("answer_accepted", answer.author_id, "post", answer.id)]


def test_recommendation_activity_on_creation_only(activities):
    product, member = ProductFactory(), MemberFactory()
    first = products.recommend(product, member, score=4, body="meh")
    second = products.recommend(product, member, score=9, body="better now")
    assert first.id == second.id and second.score == 9
    assert kinds(activities) == [("recommendation_made", member.id, "product", product.id)]
    assert activities[0]["properties"] == {"score": 4}


def test_endorse_and_share_activities(activities, app):
    product, author, fan = ProductFactory(), MemberFactory(), MemberFactory()
    recommendation = products.recommend(product, author, score=10, body="love it")
    activities.clear()
    products.endorse(recommendation, fan)
    products.endorse(recommendation, fan)
    link = products.share_recommendation(recommendation, fan)
    assert kinds(activities) == [
        ("recommendation_endorsed", fan.id, "recommendation", recommendation.id),
        ("content_shared", fan.id, "recommendation", recommendation.id),
    ]
    assert (
        link["url"]
        == f"{app.config['PUBLIC_SITE_URL']}/r/{fan.referral_code}?content=recommendation-{recommendation.id}"
    )
    assert recommendation.endorsement_count == 1


def test_banned_member_is_refused_before_anything_is_written(activities):
    post = PostFactory()
    banned = MemberFactory()
    banned.banned_at = post.created_at
    with pytest.raises(Forbidden):
        reactions.add_reaction(post, banned, "like")
    with pytest.raises(Forbidden):
        threads.create_post(post.thread, banned, body="x")
    assert activities == []


def test_unknown_reaction_kind_names_the_field():
    with pytest.raises(ValidationFailed) as error:
        reactions.add_reaction(PostFactory(), MemberFactory(), "love")
    assert "kind" in error.value.errors


def test_product_names_for_leads():
    first, second = ProductFactory(name="Aurora"), ProductFactory(name="Nimbus")
    assert products.product_names([first.id, second.id, 424242]) == {first.id: "Aurora", second.id: "Nimbus"}
    assert products.product_names([]) == {}


def test_export_lists_what_community_holds(app):
    member = MemberFactory()
    thread = ThreadFactory(author=member, title="My question")
    products.recommend(ProductFactory(), member, score=8, body="fine")
    results = dict(member_export_requested.send(app, member=member))
    (section,) = [r for r in results.values() if r and "community" in r]
    data = section["community"]
    assert [t["title"] for t in data["threads"]] == ["My question"]
    assert [p["thread_id"] for p in data["posts"]] == [thread.id]
    assert data["recommendations"][0]["score"] == 8
    assert isinstance(data["threads"][0]["created_at"], str)


def test_erasure_unlinks_reporters_clears_what_they_wrote_and_keeps_content(app):
    reporter = MemberFactory()
    post = PostFactory()
    moderation.flag_content(post, reporter, reason="spam", details="I am Ada, call me on 555-0100")
    member_erased.send(app, member_id=reporter.id, email=reporter.email_normalized)
    flag = db.session.scalars(sa.select(PostFlag)).one()
    db.session.refresh(flag)
    assert (flag.reporter_id, flag.details, flag.reason) == (None, "", "spam")
    assert db.session.get(Post, post.id) is not None
    assert db.session.get(Member, reporter.id) is not None
