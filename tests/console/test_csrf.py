"""Every console form post without the session's CSRF token is refused, and nothing is written."""

from __future__ import annotations

import pytest

from community.models import Post, PostFlag, Recommendation
from core.accounts.models import Member
from core.extensions import db
from leads.models import Lead, LeadNote
from tests.community.factories import PostFactory, RecommendationFactory
from tests.console.conftest import csrf_token
from tests.factories import MemberFactory
from tests.leads.conftest import RULES, install_rules
from tests.leads.factories import LeadFactory

# Each console POST route, as a path to the objects of the `objects` fixture, and its form.
POSTS = {
    "/console/sign-in": ("/console/sign-in", {"email": "someone@example.com", "password": "x"}),
    "/console/sign-out": ("/console/sign-out", {}),
    "/console/leads/<int:lead_id>/claim": ("/console/leads/{lead}/claim", {}),
    "/console/leads/<int:lead_id>/stage": ("/console/leads/{lead}/stage", {"status": "sal"}),
    "/console/leads/<int:lead_id>/notes": ("/console/leads/{lead}/notes", {"note": "forged"}),
    "/console/moderation/posts/<int:post_id>/hide": ("/console/moderation/posts/{post}/hide", {}),
    "/console/moderation/recommendations/<int:recommendation_id>/hide": (
        "/console/moderation/recommendations/{recommendation}/hide",
        {},
    ),
    "/console/moderation/flags/<int:flag_id>/dismiss": ("/console/moderation/flags/{flag}/dismiss", {}),
    "/console/moderation/members/<int:member_id>/ban": ("/console/moderation/members/{author}/ban", {}),
}


@pytest.fixture
def objects(app):
    with app.app_context():
        install_rules(RULES)
        lead = LeadFactory(points=50)
        post = PostFactory(author=MemberFactory())
        flag = PostFlag(post_id=post.id, reporter_id=MemberFactory().id, reason="spam")
        recommendation = RecommendationFactory()
        db.session.add(flag)
        db.session.commit()
        return {
            "lead": lead.id,
            "post": post.id,
            "flag": flag.id,
            "author": post.author_id,
            "recommendation": recommendation.id,
        }


def snapshot(app, objects) -> tuple:
    with app.app_context():
        lead = db.session.get(Lead, objects["lead"])
        notes = db.session.scalar(db.select(db.func.count()).select_from(LeadNote))
        return (
            lead.stage,
            lead.owner_id,
            notes,
            db.session.get(Post, objects["post"]).hidden,
            db.session.get(Recommendation, objects["recommendation"]).hidden,
            db.session.get(PostFlag, objects["flag"]).status,
            db.session.get(Member, objects["author"]).is_banned,
        )


def test_every_console_post_route_is_listed(app):
    routes = {
        rule.rule for rule in app.url_map.iter_rules() if rule.rule.startswith("/console") and "POST" in rule.methods
    }
    assert routes == set(POSTS)


@pytest.mark.parametrize("rule", sorted(POSTS))
@pytest.mark.parametrize("token", [None, "forged", "another session's"])
def test_a_post_without_this_sessions_token_is_refused(app, auth, objects, rule, token):
    admin = auth.client("admin")
    path, form = POSTS[rule]
    before = snapshot(app, objects)
    if token == "another session's":
        token = csrf_token(auth.client("admin"))
    data = {**form, **({"csrf_token": token} if token else {})}
    response = admin.post(path.format(**objects), data=data)
    assert response.status_code == 400
    assert "This form has expired" in response.get_data(as_text=True)
    assert snapshot(app, objects) == before
    assert admin.get("/api/v1/me").status_code == 200  # still signed in: sign-out was refused too


@pytest.mark.parametrize("rule", sorted(set(POSTS) - {"/console/sign-in", "/console/sign-out"}))
def test_the_same_posts_with_the_token_go_through(app, auth, objects, rule):
    admin = auth.client("admin")
    path, form = POSTS[rule]
    before = snapshot(app, objects)
    response = admin.post(path.format(**objects), data={**form, "csrf_token": csrf_token(admin)})
    assert response.status_code == 303
    assert snapshot(app, objects) != before


def test_an_api_token_cannot_post_console_forms(app, auth, client, objects):
    headers = auth.token(auth.member("sales"))
    before = snapshot(app, objects)
    response = client.post(f"/console/leads/{objects['lead']}/claim", headers=headers, data={"csrf_token": "x"})
    assert response.status_code == 400
    assert snapshot(app, objects) == before
