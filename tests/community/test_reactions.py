"""Reactions, accepted answers, reputation, profiles and the leaderboard through the HTTP API."""

import pytest

from tests.community.conftest import API, new_reply, new_thread


@pytest.fixture
def reply(auth, category):
    """A reply by `author` in a thread by `asker`."""
    asker, author = auth.client("member"), auth.client("member")
    thread = new_thread(asker, category.id)
    post = new_reply(author, thread["id"])
    return {"thread": thread, "post": post, "asker": asker, "author": author}


def react(client, post_id, kind="like", method="put"):
    return getattr(client, method)(f"{API}/posts/{post_id}/reactions/{kind}")


def test_reaction_counts_once_per_member_and_kind(auth, reply):
    fan = auth.client("member")
    assert react(fan, reply["post"]["id"]).get_json()["reactions"]["like"] == 1
    assert react(fan, reply["post"]["id"]).get_json()["reactions"]["like"] == 1
    counts = react(fan, reply["post"]["id"], "helpful").get_json()["reactions"]
    assert counts == {"like": 1, "helpful": 1, "insightful": 0}
    assert react(auth.client("member"), reply["post"]["id"]).get_json()["reactions"]["like"] == 2


def test_removing_a_reaction_is_idempotent(auth, reply):
    fan = auth.client("member")
    react(fan, reply["post"]["id"])
    assert react(fan, reply["post"]["id"], method="delete").get_json()["reactions"]["like"] == 0
    assert react(fan, reply["post"]["id"], method="delete").get_json()["reactions"]["like"] == 0


def test_reactions_feed_thread_counters(auth, client, reply):
    react(auth.client("member"), reply["post"]["id"])
    thread = client.get(f"{API}/threads/{reply['thread']['id']}").get_json()
    assert thread["reaction_count"] == 1 and thread["score"] == 1 + 2


def test_cannot_react_to_own_post(reply):
    response = react(reply["author"], reply["post"]["id"])
    assert response.status_code == 403


@pytest.mark.parametrize("kind", ["love", "LIKE", "like%20", "999"])
def test_unknown_reaction_kind_is_422(auth, reply, kind):
    response = react(auth.client("member"), reply["post"]["id"], kind)
    assert response.status_code == 422
    assert "kind" in response.get_json()["errors"]


def test_reaction_on_missing_post_is_404(auth):
    assert react(auth.client("member"), 424242).status_code == 404


def test_accept_answer_by_thread_author(auth, client, reply):
    response = reply["asker"].post(
        f"{API}/threads/{reply['thread']['id']}/accept", json={"post_id": reply["post"]["id"]}
    )
    assert response.status_code == 200
    assert response.get_json()["accepted_post_id"] == reply["post"]["id"]
    profile = client.get(f"{API}/members/{reply['author'].member.id}").get_json()
    assert profile["accepted_answers"] == 1 and profile["reputation"] == 15


def test_accept_answer_by_moderator_and_not_by_others(auth, reply):
    path = f"{API}/threads/{reply['thread']['id']}/accept"
    assert auth.client("member").post(path, json={"post_id": reply["post"]["id"]}).status_code == 403
    assert reply["author"].post(path, json={"post_id": reply["post"]["id"]}).status_code == 403
    assert auth.client("moderator").post(path, json={"post_id": reply["post"]["id"]}).status_code == 200


def test_switching_accepted_answer_moves_the_points(auth, client, reply):
    other = auth.client("member")
    second = new_reply(other, reply["thread"]["id"])
    path = f"{API}/threads/{reply['thread']['id']}/accept"
    reply["asker"].post(path, json={"post_id": reply["post"]["id"]})
    reply["asker"].post(path, json={"post_id": second["id"]})
    reply["asker"].post(path, json={"post_id": second["id"]})
    assert client.get(f"{API}/members/{reply['author'].member.id}").get_json()["reputation"] == 0
    assert client.get(f"{API}/members/{other.member.id}").get_json()["accepted_answers"] == 1


@pytest.mark.parametrize(
    ("payload", "field"), [({}, "post_id"), ({"post_id": "x"}, "post_id"), ({"post_id": 424242}, "post_id")]
)
def test_accept_bad_input(reply, payload, field):
    response = reply["asker"].post(f"{API}/threads/{reply['thread']['id']}/accept", json=payload)
    assert response.status_code == 422
    assert field in response.get_json()["errors"]


def test_opening_post_cannot_be_the_answer(client, reply):
    opener = client.get(f"{API}/threads/{reply['thread']['id']}/posts").get_json()["items"][0]
    response = reply["asker"].post(f"{API}/threads/{reply['thread']['id']}/accept", json={"post_id": opener["id"]})
    assert response.status_code == 422


def test_reputation_points_per_kind_and_leaderboard(auth, client, reply):
    for kind in ("like", "helpful", "insightful"):
        react(auth.client("member"), reply["post"]["id"], kind)
    profile = client.get(f"{API}/members/{reply['author'].member.id}").get_json()
    assert profile["reputation"] == 1 + 3 + 2
    assert profile["reactions_received"] == 3 and profile["post_count"] == 1
    assert "email" not in profile
    board = client.get(f"{API}/leaderboard").get_json()["items"]
    assert board[0]["member"]["id"] == reply["author"].member.id and board[0]["reputation"] == 6


def test_leaderboard_is_ordered_and_paginated(auth, client, category):
    members = [auth.client("member") for _ in range(3)]
    thread = new_thread(auth.client("member"), category.id)
    for n, author in enumerate(members):
        post = new_reply(author, thread["id"])
        for _ in range(n + 1):
            react(auth.client("member"), post["id"])
    first = client.get(f"{API}/leaderboard?limit=2").get_json()
    second = client.get(f"{API}/leaderboard?limit=2&cursor={first['next_cursor']}").get_json()
    reputations = [e["reputation"] for e in first["items"] + second["items"]]
    assert reputations == [3, 2, 1]


def test_profile_of_unknown_member_is_404(client):
    assert client.get(f"{API}/members/424242").status_code == 404


def test_profile_of_new_member_has_zero_reputation(auth, client):
    member = auth.member()
    profile = client.get(f"{API}/members/{member.id}").get_json()
    assert profile["reputation"] == 0 and profile["display_name"] == member.display_name


def test_deleting_the_accepted_answer_withdraws_it(client, reply):
    path = f"{API}/threads/{reply['thread']['id']}/accept"
    reply["asker"].post(path, json={"post_id": reply["post"]["id"]})
    assert reply["author"].delete(f"{API}/posts/{reply['post']['id']}").status_code == 204
    assert client.get(f"{API}/threads/{reply['thread']['id']}").get_json()["accepted_post_id"] is None
    profile = client.get(f"{API}/members/{reply['author'].member.id}").get_json()
    assert (profile["accepted_answers"], profile["reputation"]) == (0, 0)


@pytest.mark.parametrize("then", ["stays", "moves_to_another_reply", "is_deleted"])
def test_accepting_your_own_reply_marks_it_but_earns_nothing(auth, client, reply, activities, then):
    asker = reply["asker"]
    own = new_reply(asker, reply["thread"]["id"], body="Solved it myself")
    path = f"{API}/threads/{reply['thread']['id']}/accept"
    response = asker.post(path, json={"post_id": own["id"]})
    assert response.status_code == 200 and response.get_json()["accepted_post_id"] == own["id"]
    if then == "moves_to_another_reply":
        asker.post(path, json={"post_id": reply["post"]["id"]})
    elif then == "is_deleted":
        assert asker.delete(f"{API}/posts/{own['id']}").status_code == 204
    profile = client.get(f"{API}/members/{asker.member.id}").get_json()
    assert (profile["reputation"], profile["accepted_answers"]) == (0, 0)
    accepted = [a["member_id"] for a in activities if a["activity_type"] == "answer_accepted"]
    assert accepted == ([reply["author"].member.id] if then == "moves_to_another_reply" else [])
    assert asker.member.id not in [e["member"]["id"] for e in client.get(f"{API}/leaderboard").get_json()["items"]]


def test_reacting_again_after_taking_it_back_counts_but_is_announced_once(auth, client, reply, activities):
    fan = auth.client("member")
    for method in ("put", "delete", "put", "delete", "put", "put"):
        react(fan, reply["post"]["id"], method=method)
    assert react(fan, reply["post"]["id"]).get_json()["reactions"]["like"] == 1
    thread = client.get(f"{API}/threads/{reply['thread']['id']}").get_json()
    assert (thread["reaction_count"], thread["score"]) == (1, 1 + 2)
    profile = client.get(f"{API}/members/{reply['author'].member.id}").get_json()
    assert (profile["reactions_received"], profile["reputation"]) == (1, 1)
    announced = [(a["activity_type"], a["member_id"]) for a in activities if a["activity_type"].startswith("reaction")]
    assert announced == [("reaction_given", fan.member.id), ("reaction_received", reply["author"].member.id)]


def test_moving_the_accepted_answer_back_and_forth_announces_each_answer_once(auth, client, reply, activities):
    other = auth.client("member")
    second = new_reply(other, reply["thread"]["id"])
    path = f"{API}/threads/{reply['thread']['id']}/accept"
    for post_id in (reply["post"]["id"], second["id"], reply["post"]["id"], second["id"], reply["post"]["id"]):
        assert reply["asker"].post(path, json={"post_id": post_id}).status_code == 200
    announced = [(a["member_id"], a["subject_id"]) for a in activities if a["activity_type"] == "answer_accepted"]
    assert announced == [(reply["author"].member.id, reply["post"]["id"]), (other.member.id, second["id"])]
    assert client.get(f"{API}/members/{reply['author'].member.id}").get_json()["reputation"] == 15
    assert client.get(f"{API}/members/{other.member.id}").get_json()["reputation"] == 0
