"""CSAT and CES: the author rates the help once someone replied; lists, summaries, staff responses."""

from datetime import UTC, datetime

import pytest
import sqlalchemy as sa

from community.models import Post
from core.extensions import db
from core.models import utcnow
from core.notifications.models import Notification
from tests.community.conftest import API, new_reply, new_thread
from tests.community.factories import CategoryFactory, RecommendationFactory, ThreadFactory, ThreadFeedbackFactory
from tests.factories import MemberFactory


@pytest.fixture
def answered(auth, category):
    """A thread by `asker` with a reply by `helper`."""
    asker, helper = auth.client(), auth.client()
    thread = new_thread(asker, category.id)
    reply = new_reply(helper, thread["id"])
    return {"asker": asker, "helper": helper, "thread": thread, "reply": reply}


def rate(client, thread_id, **body):
    return client.put(f"{API}/threads/{thread_id}/feedback", json={"csat": 5, "ces": 7, **body})


def test_the_author_rates_once_a_reply_exists_and_may_change_it(auth, category, activities):
    asker, helper = auth.client(), auth.client()
    thread = new_thread(asker, category.id)
    early = rate(asker, thread["id"])
    assert early.status_code == 409 and "thread_id" in early.get_json()["errors"]
    new_reply(asker, thread["id"], body="Anyone?")  # their own reply is no help
    assert rate(asker, thread["id"]).status_code == 409
    new_reply(helper, thread["id"])
    first = rate(asker, thread["id"], csat=4, ces=6, comment="  Thanks!  ")
    assert first.status_code == 200
    body = first.get_json()
    assert (body["csat"], body["ces"], body["comment"], body["thread_id"]) == (4, 6, "Thanks!", thread["id"])
    assert body["thread"]["category"]["id"] == category.id and body["member"]["id"] == asker.member.id
    again = rate(asker, thread["id"], csat=2, ces=3).get_json()
    assert (again["id"], again["csat"], again["ces"], again["comment"]) == (body["id"], 2, 3, "")
    assert again["created_at"] == body["created_at"] and again["updated_at"] >= body["updated_at"]
    given = [a for a in activities if a["activity_type"] == "feedback_given"]
    assert [(a["member_id"], a["subject_id"], a["properties"]) for a in given] == [
        (asker.member.id, thread["id"], {"csat": 4, "ces": 6})
    ]  # recorded once, with the first rating


def test_only_the_author_rates(auth, answered):
    thread_id = answered["thread"]["id"]
    assert rate(answered["helper"], thread_id).status_code == 403
    assert rate(auth.client("moderator"), thread_id).status_code == 403
    assert rate(auth.client("anonymous"), thread_id).status_code == 401


def test_a_hidden_reply_is_no_help_and_a_banned_author_cannot_rate(app, auth, answered):
    moderator = auth.client("moderator")
    thread_id = answered["thread"]["id"]
    assert moderator.post(f"{API}/moderation/posts/{answered['reply']['id']}/hide").status_code == 200
    assert rate(answered["asker"], thread_id).status_code == 409
    moderator.post(f"{API}/moderation/posts/{answered['reply']['id']}/unhide")
    moderator.post(f"{API}/moderation/members/{answered['asker'].member.id}/ban")
    assert rate(answered["asker"], thread_id).status_code == 401  # the ban ended their sessions
    assert rate(auth.client(answered["asker"].member), thread_id).status_code == 403  # signed in again


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"csat": 0}, "csat"),
        ({"csat": 6}, "csat"),
        ({"csat": "5"}, "csat"),
        ({"csat": 4.5}, "csat"),
        ({"csat": None}, "csat"),
        ({"ces": 0}, "ces"),
        ({"ces": 8}, "ces"),
        ({"comment": "x" * 2001}, "comment"),
        ({"comment": "nul\x00"}, "comment"),
        ({"nps": 9}, "nps"),
    ],
)
def test_bad_ratings_are_refused_naming_the_field(app, answered, body, field):
    response = rate(answered["asker"], answered["thread"]["id"], **body)
    assert response.status_code == 422 and field in response.get_json()["errors"]
    with app.app_context():
        assert db.session.scalar(sa.text("SELECT count(*) FROM thread_feedback")) == 0


def test_a_rating_needs_both_numbers_and_a_thread(answered):
    asker = answered["asker"]
    response = asker.put(f"{API}/threads/{answered['thread']['id']}/feedback", json={"ces": 4})
    assert response.status_code == 422 and set(response.get_json()["errors"]) == {"csat"}
    assert rate(asker, 999_999).status_code == 404


def test_the_author_and_staff_read_a_rating_others_do_not(auth, answered):
    thread_id = answered["thread"]["id"]
    assert answered["asker"].get(f"{API}/threads/{thread_id}/feedback").status_code == 404  # not rated yet
    rate(answered["asker"], thread_id, csat=3)
    for reader in (answered["asker"], auth.client("moderator"), auth.client("marketer")):
        assert reader.get(f"{API}/threads/{thread_id}/feedback").get_json()["csat"] == 3
    assert answered["helper"].get(f"{API}/threads/{thread_id}/feedback").status_code == 403


def at(month: int, day: int = 15) -> datetime:
    return datetime(2026, month, day, 12, tzinfo=UTC)


@pytest.fixture
def ratings(app):
    """Two categories; January 3 ratings, February 1, none in March, April 1 (and a banned and an erased
    member's ratings that never count)."""
    with app.app_context():
        alpha, beta = CategoryFactory(name="Alpha"), CategoryFactory(name="Beta")
        banned = MemberFactory(banned_at=utcnow())
        erased = MemberFactory(erased_at=utcnow())
        made = [
            (alpha, None, 5, 7, at(1, 2)),
            (alpha, None, 4, 5, at(1, 20)),
            (alpha, None, 2, 1, at(1, 31)),
            (beta, None, 3, 4, at(2)),
            (alpha, banned, 5, 6, at(4)),
            (alpha, erased, 4, 4, at(4)),
            (alpha, None, 1, 2, at(4, 30)),
        ]
        ids = []
        for category, author, csat, ces, when in made:
            thread = ThreadFactory(category=category, **({"author": author} if author else {}))
            ids.append(ThreadFeedbackFactory(thread=thread, csat=csat, ces=ces, created_at=when).id)
        db.session.commit()
        return {"alpha": alpha.id, "beta": beta.id, "ids": ids}


def summary(client, **query):
    response = client.get(f"{API}/feedback/summary", query_string=query)
    assert response.status_code == 200, response.get_json()
    return response.get_json()


def test_summary_by_month_computed_by_hand(auth, ratings):
    body = summary(auth.client("marketer"), group_by="month", **{"from": "2026-01-01", "to": "2026-04-30"})
    assert (body["group_by"], body["from"][:10], body["to"][:10]) == ("month", "2026-01-01", "2026-05-01")
    assert [(i["key"], i["responses"], i["csat"], i["ces"]) for i in body["items"]] == [
        ("2026-01", 3, 66.67, 4.33),  # 2 of 3 rated 4-5; CES (7 + 5 + 1) / 3
        ("2026-02", 1, 0.0, 4.0),
        ("2026-03", 0, None, None),  # no gap in the months
        ("2026-04", 1, 0.0, 2.0),  # the banned and the erased member's ratings left out
    ]


def test_summary_by_category_and_for_one_category(auth, ratings):
    marketer = auth.client("marketer")
    body = summary(marketer, group_by="category")
    assert [(i["key"], i["label"], i["responses"], i["csat"], i["ces"]) for i in body["items"]] == [
        (str(ratings["alpha"]), "Alpha", 4, 50.0, 3.75),  # (7 + 5 + 1 + 2) / 4
        (str(ratings["beta"]), "Beta", 1, 0.0, 4.0),
    ]
    only = summary(marketer, group_by="month", category=ratings["beta"], **{"from": "2026-02-01", "to": "2026-02-28"})
    assert [(i["key"], i["responses"]) for i in only["items"]] == [("2026-02", 1)]


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ({"group_by": "week"}, "group_by"),
        ({"from": "2026-13-01"}, "from"),
        ({"from": "2026-03-01", "to": "2026-02-01"}, "from"),
        ({"category": 0}, "category"),
        ({"category": 999_999}, "category"),
        ({"product_id": 1}, "product_id"),
    ],
)
def test_summary_refuses_bad_queries(auth, ratings, query, field):
    response = auth.client("marketer").get(f"{API}/feedback/summary", query_string=query)
    assert response.status_code == 422 and field in response.get_json()["errors"]


def test_list_newest_first_filtered_by_category_and_time(auth, ratings):
    moderator = auth.client("moderator")
    listed = moderator.get(f"{API}/feedback").get_json()["items"]
    assert [item["id"] for item in listed] == sorted(ratings["ids"], reverse=True)
    beta = moderator.get(f"{API}/feedback", query_string={"category": ratings["beta"]}).get_json()["items"]
    assert [item["id"] for item in beta] == [ratings["ids"][3]]
    january = moderator.get(f"{API}/feedback", query_string={"from": "2026-01-01", "to": "2026-01-31"}).get_json()
    assert [item["id"] for item in january["items"]] == ratings["ids"][2::-1]
    page = moderator.get(f"{API}/feedback", query_string={"limit": 2}).get_json()
    rest = moderator.get(f"{API}/feedback", query_string={"limit": 5, "cursor": page["next_cursor"]}).get_json()
    assert len(page["items"]) + len(rest["items"]) == len(ratings["ids"]) and rest["next_cursor"] is None
    assert moderator.get(f"{API}/feedback", query_string={"category": 999_999}).status_code == 422


def test_staff_answer_a_rating_and_its_author_is_told(app, auth, answered):
    thread_id = answered["thread"]["id"]
    rating = rate(answered["asker"], thread_id, csat=2, ces=2).get_json()
    staff = auth.client("marketer")
    answer = staff.post(f"{API}/feedback/{rating['id']}/response", json={"body": "Sorry! **Fixed** now."})
    assert answer.status_code == 201
    assert answer.get_json()["body_html"] == "<p>Sorry! <strong>Fixed</strong> now.</p>\n"
    assert answer.get_json()["responder"]["id"] == staff.member.id
    shown = answered["asker"].get(f"{API}/threads/{thread_id}/feedback").get_json()["responses"]
    assert [r["id"] for r in shown] == [answer.get_json()["id"]]
    told = answered["asker"].get(f"{API}/me/notifications").get_json()["items"][0]
    assert (told["kind"], told["subject_type"], told["subject_id"]) == ("feedback_response", "feedback", rating["id"])
    assert told["data"] == {
        "thread_id": thread_id,
        "response_id": answer.get_json()["id"],
        "excerpt": "Sorry! **Fixed** now.",
    }


def test_staff_answer_a_recommendation_in_public(app, auth):
    with app.app_context():
        recommendation = RecommendationFactory(score=4)
        db.session.commit()
        author_id, product_id, rec_id = recommendation.member_id, recommendation.product_id, recommendation.id
    moderator = auth.client("moderator")
    answer = moderator.post(f"{API}/recommendations/{rec_id}/response", json={"body": "x" * 300})
    assert answer.status_code == 201 and answer.get_json()["recommendation_id"] == rec_id
    listed = auth.client("anonymous").get(f"{API}/products/{product_id}/recommendations").get_json()["items"]
    assert [r["id"] for r in listed[0]["responses"]] == [answer.get_json()["id"]]
    with app.app_context():
        told = db.session.scalars(sa.select(Notification).where(Notification.member_id == author_id)).one()
        assert (told.kind, told.subject_type, told.data["product_id"]) == (
            "feedback_response",
            "recommendation",
            product_id,
        )
        assert len(told.data["excerpt"]) == 140 and told.data["excerpt"].endswith("…")


@pytest.mark.parametrize("body", [{}, {"body": ""}, {"body": "   "}, {"body": "x" * 5001}, {"body": "ok", "to": 1}])
def test_responses_refuse_bad_bodies(auth, answered, body):
    rating = rate(answered["asker"], answered["thread"]["id"]).get_json()
    response = auth.client("admin").post(f"{API}/feedback/{rating['id']}/response", json=body)
    assert response.status_code == 422


def test_responses_to_nothing_and_from_a_banned_moderator(app, auth, answered):
    admin = auth.client("admin")
    assert admin.post(f"{API}/feedback/999999/response", json={"body": "Hi"}).status_code == 404
    assert admin.post(f"{API}/recommendations/999999/response", json={"body": "Hi"}).status_code == 404
    rating = rate(answered["asker"], answered["thread"]["id"]).get_json()
    moderator = auth.client("moderator")
    admin.post(f"{API}/moderation/members/{moderator.member.id}/ban")
    moderator = auth.client(moderator.member)  # signed in again after the ban ended their sessions
    assert moderator.post(f"{API}/feedback/{rating['id']}/response", json={"body": "Hi"}).status_code == 403


def test_erasure_keeps_the_numbers_not_the_words(app, auth, answered):
    rate(answered["asker"], answered["thread"]["id"], csat=1, ces=1, comment="Awful, call me on 555-0100")
    exported = answered["asker"].get(f"{API}/me/export").get_json()["domains"]["community"]["feedback"]
    assert [(f["csat"], f["comment"]) for f in exported] == [(1, "Awful, call me on 555-0100")]
    answered["asker"].delete(f"{API}/me")
    with app.app_context():
        row = db.session.execute(sa.text("SELECT csat, comment FROM thread_feedback")).one()
        assert tuple(row) == (1, "")
        assert db.session.scalar(sa.select(sa.func.count(Post.id))) == 2  # content stays
