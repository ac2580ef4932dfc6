"""Deleting a reply takes it out of its author's counts as hiding does; threads filter by solved."""

import pytest

from tests.community.conftest import API, new_reply, new_thread


def counts(client, thread_id, author_id):
    thread = client.get(f"{API}/threads/{thread_id}").get_json()
    profile = client.get(f"{API}/members/{author_id}").get_json()
    return {
        "thread": (thread["reply_count"], thread["reaction_count"], thread["score"]),
        "profile": (profile["post_count"], profile["reactions_received"], profile["reputation"]),
    }


def test_deleting_a_reply_lowers_its_authors_counts(auth, client, category):
    asker, writer = auth.client("member"), auth.client("member")
    thread = new_thread(asker, category.id)
    reply = new_reply(writer, thread["id"])
    for kind in ("like", "helpful"):
        auth.client("member").put(f"{API}/posts/{reply['id']}/reactions/{kind}")
    asker.post(f"{API}/threads/{thread['id']}/accept", json={"post_id": reply["id"]})
    assert counts(client, thread["id"], writer.member.id) == {"thread": (1, 2, 4), "profile": (1, 2, 1 + 3 + 15)}
    assert writer.delete(f"{API}/posts/{reply['id']}").status_code == 204
    assert counts(client, thread["id"], writer.member.id) == {"thread": (0, 0, 0), "profile": (0, 0, 0)}
    assert client.get(f"{API}/members/{writer.member.id}").get_json()["accepted_answers"] == 0


def test_deleting_a_hidden_reply_does_not_take_it_out_twice(auth, client, category):
    writer = auth.client("member")
    thread = new_thread(auth.client("member"), category.id)
    new_reply(writer, thread["id"], body="kept")
    hidden = new_reply(writer, thread["id"], body="hidden")
    auth.client("member").put(f"{API}/posts/{hidden['id']}/reactions/like")
    moderator = auth.client("moderator")
    moderator.post(f"{API}/moderation/posts/{hidden['id']}/hide")
    assert moderator.delete(f"{API}/posts/{hidden['id']}").status_code == 204  # its author no longer sees it
    assert counts(client, thread["id"], writer.member.id) == {"thread": (1, 0, 2), "profile": (1, 0, 0)}


@pytest.fixture
def two_threads(auth, category):
    asker = auth.client("member")
    solved, open_ = new_thread(asker, category.id, title="Solved one"), new_thread(asker, category.id, title="Open one")
    answer = new_reply(auth.client("member"), solved["id"])
    asker.post(f"{API}/threads/{solved['id']}/accept", json={"post_id": answer["id"]})
    return {"solved": solved["id"], "open": open_["id"]}


@pytest.mark.parametrize(("value", "expected"), [("true", ["solved"]), ("false", ["open"]), (None, ["open", "solved"])])
def test_threads_filter_by_solved(client, two_threads, value, expected):
    query = {} if value is None else {"solved": value}
    items = client.get(f"{API}/threads", query_string=query).get_json()["items"]
    assert [item["id"] for item in items] == [two_threads[name] for name in expected]


def test_solved_must_be_a_boolean(client):
    response = client.get(f"{API}/threads?solved=maybe")
    assert response.status_code == 422 and "solved" in response.get_json()["errors"]
