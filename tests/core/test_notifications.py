"""Notifications: raised in the caller's transaction, listed newest first with the unread count, marked read."""

import pytest
import sqlalchemy as sa

from core.accounts import services as accounts
from core.accounts.models import Member
from core.extensions import db
from core.notifications import services
from core.notifications.models import KINDS, MENTION, REPLY, Notification
from tests.factories import MemberFactory

API = "/api/v1/me/notifications"


def raise_for(app, member_id: int, count: int, kind: str = REPLY, actor_id: int | None = None) -> list[int]:
    with app.app_context():
        made = [services.notify(member_id, kind, actor_id=actor_id, subject_type="post", subject_id=n + 1)
                for n in range(count)]  # fmt: skip
        db.session.commit()
        return [n.id for n in made]


@pytest.mark.usefixtures("app_ctx")
def test_nobody_hears_of_their_own_action_and_erased_members_hear_nothing():
    ann, ben = MemberFactory(), MemberFactory()
    assert services.notify(ann.id, REPLY, actor_id=ann.id) is None
    accounts.erase_member(ben)
    assert services.notify(ben.id, REPLY, actor_id=ann.id) is None
    assert services.notify(999_999, REPLY) is None
    assert db.session.scalar(sa.select(sa.func.count(Notification.id))) == 0


@pytest.mark.usefixtures("app_ctx")
def test_an_unknown_kind_is_a_programming_error():
    with pytest.raises(ValueError):
        services.notify(MemberFactory().id, "party_invite")
    assert set(KINDS) >= {"reply", "answer_accepted", "mention", "feedback_response", "lead_assigned"}


def test_list_newest_first_with_unread_count_and_cursor(app, auth):
    client = auth.client("member")
    actor = auth.member(display_name="Ada")
    ids = raise_for(app, client.member.id, 3, actor_id=actor.id)
    raise_for(app, auth.member().id, 2)  # someone else's
    first = client.get(API, query_string={"limit": 2}).get_json()
    assert [n["id"] for n in first["items"]] == [ids[2], ids[1]]
    assert first["unread_count"] == 3 and first["next_cursor"]
    assert first["items"][0]["actor"] == {"id": actor.id, "display_name": "Ada"}
    assert (first["items"][0]["kind"], first["items"][0]["read"], first["items"][0]["subject_id"]) == (REPLY, False, 3)
    rest = client.get(API, query_string={"limit": 2, "cursor": first["next_cursor"]}).get_json()
    assert [n["id"] for n in rest["items"]] == [ids[0]] and rest["next_cursor"] is None


def test_mark_read_only_your_own_and_filter_unread(app, auth):
    client = auth.client("member")
    mine = raise_for(app, client.member.id, 3, kind=MENTION)
    theirs = raise_for(app, auth.member().id, 1)
    marked = client.post(f"{API}/read", json={"ids": [mine[0], mine[1], theirs[0], 999_999]})
    assert marked.status_code == 200
    assert marked.get_json() == {"marked": 2, "unread_count": 1}
    assert client.post(f"{API}/read", json={"ids": [mine[0]]}).get_json() == {"marked": 0, "unread_count": 1}
    unread = client.get(API, query_string={"unread": "true"}).get_json()
    assert [n["id"] for n in unread["items"]] == [mine[2]]
    everything = client.get(API).get_json()["items"]
    assert [n["read"] for n in everything] == [False, True, True] and everything[1]["read_at"]
    with app.app_context():
        assert db.session.get(Notification, theirs[0]).read_at is None


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({}, "ids"),
        ({"ids": []}, "ids"),
        ({"ids": "1"}, "ids"),
        ({"ids": ["1"]}, "ids"),
        ({"ids": [0]}, "ids"),
        ({"ids": [2**31]}, "ids"),
        ({"ids": list(range(1, 102))}, "ids"),
        ({"ids": [1], "all": True}, "all"),
    ],
)
def test_mark_read_refuses_bad_input(auth, body, field):
    response = auth.client("member").post(f"{API}/read", json=body)
    assert response.status_code == 422 and field in response.get_json()["errors"]


@pytest.mark.parametrize("query", [{"unread": "maybe"}, {"limit": 0}, {"cursor": "!!"}, {"kind": "reply"}])
def test_list_refuses_bad_query(auth, query):
    response = auth.client("member").get(API, query_string=query)
    assert response.status_code == 422 and set(response.get_json()["errors"]) == set(query)


def test_erasure_takes_the_notifications_and_export_shows_them(app, auth):
    client = auth.client("member")
    raise_for(app, client.member.id, 2)
    exported = client.get("/api/v1/me/export").get_json()["domains"]["notifications"]
    assert [(n["kind"], n["subject_id"], n["read_at"]) for n in exported] == [(REPLY, 1, None), (REPLY, 2, None)]
    assert client.delete("/api/v1/me").status_code == 204
    with app.app_context():
        assert db.session.get(Member, client.member.id).content_erased_at is not None
        left = db.session.scalar(
            sa.select(sa.func.count(Notification.id)).where(Notification.member_id == client.member.id)
        )
    assert left == 0
