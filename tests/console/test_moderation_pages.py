"""The moderation queue through the test client: hide, dismiss, ban."""

from __future__ import annotations

import pytest

from community.models import Post, PostFlag, Recommendation
from core.accounts.models import Member
from core.extensions import db
from core.models import utcnow
from tests.community.factories import PostFactory, RecommendationFactory
from tests.console.conftest import post_form
from tests.factories import MemberFactory


@pytest.fixture
def flagged(app):
    """A reply by Troll Tom, flagged as spam by a member."""
    with app.app_context():
        post = PostFactory(body="Buy followers **now**", author=MemberFactory(display_name="Troll Tom"))
        flag = PostFlag(post_id=post.id, reporter_id=MemberFactory().id, reason="spam", details="Link farm")
        db.session.add(flag)
        db.session.commit()
        return {"post": post.id, "flag": flag.id, "author": post.author_id}


def state(app, flagged) -> tuple:
    with app.app_context():
        flag, post = db.session.get(PostFlag, flagged["flag"]), db.session.get(Post, flagged["post"])
        return flag.status, post.hidden, db.session.get(Member, flagged["author"]).is_banned


def test_the_queue_shows_open_flags_with_the_post(auth, flagged):
    page = auth.client("moderator").get("/console/moderation").get_data(as_text=True)
    assert "Buy followers **now**" in page and "Troll Tom" in page and "Link farm" in page
    assert f"/console/moderation/posts/{flagged['post']}/hide" in page
    dismissed = auth.client("moderator").get("/console/moderation?status=dismissed").get_data(as_text=True)
    assert "Troll Tom" not in dismissed
    assert auth.client("moderator").get("/console/moderation?status=closed").status_code == 422


def test_hiding_the_post_closes_its_flag(app, auth, flagged):
    response = post_form(auth.client("moderator"), f"/console/moderation/posts/{flagged['post']}/hide")
    assert (response.status_code, response.headers["Location"]) == (303, "/console/moderation")
    assert state(app, flagged) == ("actioned", True, False)


def test_dismissing_a_flag_leaves_the_post(app, auth, flagged):
    moderator = auth.client("moderator")
    assert post_form(moderator, f"/console/moderation/flags/{flagged['flag']}/dismiss").status_code == 303
    assert state(app, flagged) == ("dismissed", False, False)
    again = post_form(moderator, f"/console/moderation/flags/{flagged['flag']}/dismiss")
    assert again.status_code == 409 and "resolved already" in again.get_data(as_text=True)


def test_banning_the_author(app, auth, flagged):
    moderator = auth.client("moderator")
    response = post_form(moderator, f"/console/moderation/members/{flagged['author']}/ban")
    assert response.status_code == 303
    assert state(app, flagged) == ("open", False, True)
    assert "Troll Tom is banned." in moderator.get("/console/moderation").get_data(as_text=True)


def test_moderators_cannot_ban_staff(auth):
    colleague = auth.member("sales")
    response = post_form(auth.client("moderator"), f"/console/moderation/members/{colleague.id}/ban")
    assert response.status_code == 403
    assert "Only an admin may ban or unban staff." in response.get_data(as_text=True)


def test_a_banned_moderator_cannot_moderate_from_the_console(app, auth, flagged):
    banned = auth.client("moderator", banned_at=utcnow())
    queue = banned.get("/console/moderation")
    assert queue.status_code == 403 and "you cannot moderate" in queue.get_data(as_text=True)
    for path in (
        f"/console/moderation/posts/{flagged['post']}/hide",
        f"/console/moderation/flags/{flagged['flag']}/dismiss",
        f"/console/moderation/members/{flagged['author']}/ban",
    ):
        assert post_form(banned, path).status_code == 403
    assert state(app, flagged) == ("open", False, False)


def test_a_banned_member_is_sent_away_like_any_member(auth):
    response = auth.client("member", banned_at=utcnow()).get("/console/moderation")
    assert response.status_code == 302 and response.headers["Location"].startswith("/console/sign-in")


def test_a_flagged_recommendation_is_shown_and_hidden_from_the_queue(app, auth):
    with app.app_context():
        recommendation = RecommendationFactory(body="Spam spam", member=MemberFactory(display_name="Shill Sam"))
        db.session.add(PostFlag(recommendation_id=recommendation.id, reporter_id=MemberFactory().id, reason="spam"))
        db.session.commit()
        ids = {"recommendation": recommendation.id, "author": recommendation.member_id}
    moderator = auth.client("moderator")
    page = moderator.get("/console/moderation").get_data(as_text=True)
    assert "Spam spam" in page and "Shill Sam" in page and f"/console/moderation/members/{ids['author']}/ban" in page
    hide = f"/console/moderation/recommendations/{ids['recommendation']}/hide"
    assert hide in page
    assert post_form(moderator, hide).status_code == 303
    with app.app_context():
        assert db.session.get(Recommendation, ids["recommendation"]).hidden is True
    assert "Spam spam" not in moderator.get("/console/moderation").get_data(as_text=True)
