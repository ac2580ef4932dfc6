"""What community tells members: replies, mentions (`[@name](/members/<id>)`), accepted answers."""

import sqlalchemy as sa

from core.extensions import db
from core.notifications.models import Notification
from tests.community.conftest import API, new_reply, new_thread
from tests.factories import MemberFactory


def notes(app, member_id: int) -> list[tuple]:
    with app.app_context():
        rows = db.session.execute(
            sa.select(Notification.kind, Notification.actor_id, Notification.subject_id, Notification.data)
            .where(Notification.member_id == member_id)
            .order_by(Notification.id)
        )
        return [tuple(row) for row in rows]


def mention(member) -> str:
    return f"[@{member.display_name}](/members/{member.id})"


def test_a_reply_tells_the_thread_author_and_the_author_replied_to(app, auth, category):
    asker, helper, third = auth.client(), auth.client(), auth.client()
    thread = new_thread(asker, category.id)
    first = new_reply(helper, thread["id"])
    second = new_reply(third, thread["id"], reply_to_id=first["id"])
    new_reply(asker, thread["id"])  # the author's own reply: nobody to tell
    first_data = {"thread_id": thread["id"], "post_id": first["id"]}
    second_data = {"thread_id": thread["id"], "post_id": second["id"]}
    assert notes(app, asker.member.id) == [
        ("reply", helper.member.id, first["id"], first_data),
        ("reply", third.member.id, second["id"], second_data),
    ]
    assert notes(app, helper.member.id) == [("reply", third.member.id, second["id"], second_data)]
    assert notes(app, third.member.id) == []


def test_a_mention_names_a_member_by_id_once_and_outranks_a_reply(app, auth, category):
    asker, helper, named = auth.client(), auth.client(), auth.member(display_name="Nia")
    thread = new_thread(asker, category.id, body=f"Maybe {mention(named)} knows?")
    assert [kind for kind, *_ in notes(app, named.id)] == ["mention"]
    body = f"{mention(asker.member)} see {mention(named)} and {mention(named)}; not `{mention(helper.member)}`"
    reply = new_reply(helper, thread["id"], body=body)
    assert [(kind, subject) for kind, _, subject, _ in notes(app, asker.member.id)] == [("mention", reply["id"])]
    assert [kind for kind, *_ in notes(app, named.id)] == ["mention", "mention"]
    assert notes(app, helper.member.id) == []  # inside code: no mention; and never of oneself


def test_mentions_of_nobody_reachable_notify_nobody(app, auth, category):
    asker = auth.client()
    with app.app_context():
        prospect = MemberFactory(member_type="prospect", password_hash=None)
        db.session.commit()
        prospect_id = prospect.id
    new_thread(asker, category.id, body=f"[@P](/members/{prospect_id}) [@Ghost](/members/999999) [@Zero](/members/0)")
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count(Notification.id))) == 0


def test_an_edit_notifies_only_new_mentions(app, auth, category):
    author, old, new = auth.client(), auth.member(), auth.member()
    thread = new_thread(author, category.id, body=f"Hi {mention(old)}")
    reply = new_reply(author, thread["id"], body=f"cc {mention(old)}")
    edited = author.patch(f"{API}/posts/{reply['id']}", json={"body": f"cc {mention(old)} {mention(new)}"})
    assert edited.status_code == 200
    author.patch(f"{API}/threads/{thread['id']}", json={"body": f"Hi {mention(old)} and {mention(new)}"})
    opener_id = author.get(f"{API}/threads/{thread['id']}/posts").get_json()["items"][0]["id"]
    assert [(kind, subject) for kind, _, subject, _ in notes(app, old.id)] == [
        ("mention", opener_id),
        ("mention", reply["id"]),
    ]  # the edits named them again: no second notification
    assert [(kind, actor, subject) for kind, actor, subject, _ in notes(app, new.id)] == [
        ("mention", author.member.id, reply["id"]),
        ("mention", author.member.id, opener_id),
    ]


def test_an_accepted_answer_is_told_once(app, auth, category):
    asker, helper, other = auth.client(), auth.client(), auth.client()
    thread = new_thread(asker, category.id)
    answer, other_answer = new_reply(helper, thread["id"]), new_reply(other, thread["id"])
    for post in (answer, other_answer, answer):
        assert asker.post(f"{API}/threads/{thread['id']}/accept", json={"post_id": post["id"]}).status_code == 200
    accepted = [
        (actor, subject) for kind, actor, subject, _ in notes(app, helper.member.id) if kind == "answer_accepted"
    ]
    assert accepted == [(asker.member.id, answer["id"])]
    assert [kind for kind, *_ in notes(app, other.member.id)].count("answer_accepted") == 1


def test_the_recipient_reads_them_through_the_api(auth, category):
    asker, helper = auth.client(), auth.client()
    thread = new_thread(asker, category.id)
    new_reply(helper, thread["id"])
    body = asker.get(f"{API}/me/notifications?unread=true").get_json()
    assert body["unread_count"] == 1 and body["items"][0]["data"]["thread_id"] == thread["id"]
