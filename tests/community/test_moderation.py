"""Flags, the moderation queue, hiding, banning and rate limits through the HTTP API."""

import pytest

from tests.community.conftest import API, new_reply, new_thread


@pytest.fixture
def thread(auth, category):
    author = auth.client("member")
    thread = new_thread(author, category.id, title="Widgets thread", body="All about widgets")
    reply = new_reply(auth.client("member"), thread["id"], body="Buy cheap pills here")
    return {**thread, "reply": reply, "author": author}


def flag(client, post_id, reason="spam", **extra):
    return client.post(f"{API}/posts/{post_id}/flags", json={"reason": reason, **extra})


def test_flag_goes_to_the_moderation_queue(auth, thread):
    reporter = auth.client("member")
    created = flag(reporter, thread["reply"]["id"], details="Selling pills")
    assert created.status_code == 201
    queue = auth.client("moderator").get(f"{API}/moderation/flags").get_json()["items"]
    assert [(f["post_id"], f["reason"], f["status"]) for f in queue] == [(thread["reply"]["id"], "spam", "open")]
    assert queue[0]["post"]["body"] == "Buy cheap pills here"


def test_flagging_twice_is_409(auth, thread):
    reporter = auth.client("member")
    flag(reporter, thread["reply"]["id"])
    assert flag(reporter, thread["reply"]["id"], reason="abuse").status_code == 409


@pytest.mark.parametrize(
    ("payload", "field"),
    [({}, "reason"), ({"reason": "boring"}, "reason"), ({"reason": "spam", "details": "x" * 1001}, "details")],
)
def test_flag_bad_input(auth, thread, payload, field):
    response = auth.client("member").post(f"{API}/posts/{thread['reply']['id']}/flags", json=payload)
    assert response.status_code == 422
    assert field in response.get_json()["errors"]


def test_hidden_post_disappears_for_everyone_but_moderators(auth, client, thread):
    reporter = auth.client("member")
    flag(reporter, thread["reply"]["id"])
    moderator = auth.client("moderator")
    hidden = moderator.post(f"{API}/moderation/posts/{thread['reply']['id']}/hide")
    assert hidden.status_code == 200 and hidden.get_json()["hidden"] is True
    public = client.get(f"{API}/threads/{thread['id']}/posts").get_json()["items"]
    assert thread["reply"]["id"] not in [p["id"] for p in public]
    as_moderator = moderator.get(f"{API}/threads/{thread['id']}/posts").get_json()["items"]
    assert thread["reply"]["id"] in [p["id"] for p in as_moderator]
    assert client.get(f"{API}/search?q=pills").get_json()["items"] == []
    assert moderator.get(f"{API}/moderation/flags").get_json()["items"] == []
    actioned = moderator.get(f"{API}/moderation/flags?status=actioned").get_json()["items"]
    assert [f["post_id"] for f in actioned] == [thread["reply"]["id"]]
    moderator.post(f"{API}/moderation/posts/{thread['reply']['id']}/unhide")
    assert thread["reply"]["id"] in [
        p["id"] for p in client.get(f"{API}/threads/{thread['id']}/posts").get_json()["items"]
    ]


def test_hiding_the_opening_post_hides_the_thread(auth, client, thread):
    opener = client.get(f"{API}/threads/{thread['id']}/posts").get_json()["items"][0]
    moderator = auth.client("moderator")
    moderator.post(f"{API}/moderation/posts/{opener['id']}/hide")
    assert client.get(f"{API}/threads/{thread['id']}").status_code == 404
    assert client.get(f"{API}/threads").get_json()["items"] == []
    assert [t["id"] for t in moderator.get(f"{API}/threads").get_json()["items"]] == [thread["id"]]
    assert client.get(f"{API}/search?q=widgets").get_json()["items"] == []


def test_dismissing_a_flag(auth, thread):
    flag_id = flag(auth.client("member"), thread["reply"]["id"]).get_json()["id"]
    moderator = auth.client("moderator")
    dismissed = moderator.post(f"{API}/moderation/flags/{flag_id}/dismiss")
    assert dismissed.status_code == 200 and dismissed.get_json()["status"] == "dismissed"
    assert moderator.post(f"{API}/moderation/flags/{flag_id}/dismiss").status_code == 409
    assert moderator.get(f"{API}/moderation/flags").get_json()["items"] == []


def test_flag_queue_bad_status_is_422(auth):
    response = auth.client("moderator").get(f"{API}/moderation/flags?status=closed")
    assert response.status_code == 422 and "status" in response.get_json()["errors"]


@pytest.mark.parametrize(
    "path", ["posts/424242/hide", "threads/424242/lock", "members/424242/ban", "flags/424242/dismiss"]
)
def test_moderating_missing_things_is_404(auth, path):
    assert auth.client("moderator").post(f"{API}/moderation/{path}").status_code == 404


def test_banned_member_cannot_post_react_recommend_or_flag(auth, category, thread, create):
    from tests.community.factories import ProductFactory

    product = create(ProductFactory)
    member = auth.client("member")
    moderator = auth.client("moderator")
    assert moderator.post(f"{API}/moderation/members/{member.member.id}/ban").get_json()["banned"] is True
    member = auth.client(member.member)  # the ban ended their sessions; they sign in again
    attempts = [
        member.post(f"{API}/threads", json={"category_id": category.id, "title": "Hello all", "body": "x"}),
        member.post(f"{API}/threads/{thread['id']}/posts", json={"body": "x"}),
        member.put(f"{API}/posts/{thread['reply']['id']}/reactions/like"),
        member.post(f"{API}/products/{product.id}/recommendations", json={"score": 1, "body": "x"}),
        member.post(f"{API}/posts/{thread['reply']['id']}/flags", json={"reason": "spam"}),
    ]
    assert [r.status_code for r in attempts] == [403] * 5
    assert all("banned" in r.get_json()["message"] for r in attempts)
    assert member.get(f"{API}/threads/{thread['id']}").status_code == 200  # still reads
    moderator.post(f"{API}/moderation/members/{member.member.id}/unban")
    assert member.post(f"{API}/threads/{thread['id']}/posts", json={"body": "back"}).status_code == 201


def test_moderator_cannot_ban_staff_or_self_but_admin_can(auth):
    moderator = auth.client("moderator")
    marketer = auth.member("marketer")
    assert moderator.post(f"{API}/moderation/members/{marketer.id}/ban").status_code == 403
    assert moderator.post(f"{API}/moderation/members/{moderator.member.id}/ban").status_code == 422
    assert auth.client("admin").post(f"{API}/moderation/members/{marketer.id}/ban").status_code == 200


def test_posting_is_rate_limited_per_member(auth, app, category, rate_limits, monkeypatch):
    monkeypatch.setitem(app.config, "RATELIMIT_POST", "2 per minute")
    member = auth.client("member")
    thread = new_thread(member, category.id)
    new_reply(member, thread["id"])
    limited = member.post(f"{API}/threads/{thread['id']}/posts", json={"body": "third"})
    other = auth.client("member").post(f"{API}/threads/{thread['id']}/posts", json={"body": "someone else"})
    assert limited.status_code == 429
    assert int(limited.headers["Retry-After"]) > 0
    assert limited.get_json()["code"] == 429
    assert other.status_code == 201


def test_flagging_is_rate_limited_per_member(auth, app, category, rate_limits, monkeypatch):
    monkeypatch.setitem(app.config, "RATELIMIT_FLAG", "1 per hour")
    author = auth.client("member")
    thread = new_thread(author, category.id)
    replies = [new_reply(author, thread["id"]) for _ in range(2)]
    reporter = auth.client("member")
    codes = [flag(reporter, reply["id"]).status_code for reply in replies]
    assert codes == [201, 429]


@pytest.mark.parametrize(
    ("method", "path", "payload"),
    [
        ("patch", "threads/{thread}", {"title": "Defaced by a banned moderator"}),
        ("patch", "posts/{reply}", {"body": "Defaced"}),
        ("delete", "posts/{reply}", None),
        ("post", "moderation/posts/{reply}/hide", None),
        ("post", "moderation/threads/{thread}/lock", None),
        ("post", "moderation/threads/{thread}/pin", None),
        ("post", "moderation/members/{bystander}/ban", None),
        ("get", "moderation/flags", None),
        ("post", "categories", {"slug": "banned-mods", "name": "Banned mods"}),
    ],
)
def test_a_banned_moderator_has_no_moderator_powers(auth, client, thread, method, path, payload):
    moderator = auth.client("moderator")
    assert auth.client("admin").post(f"{API}/moderation/members/{moderator.member.id}/ban").status_code == 200
    moderator = auth.client(moderator.member)  # signed in again after the ban ended their sessions
    ids = {"thread": thread["id"], "reply": thread["reply"]["id"], "bystander": auth.member().id}
    response = getattr(moderator, method)(f"{API}/{path.format(**ids)}", json=payload)
    assert response.status_code == 403
    assert "banned" in response.get_json()["message"]
    after = client.get(f"{API}/threads/{thread['id']}").get_json()
    assert (after["title"], after["locked"], after["pinned"]) == ("Widgets thread", False, False)
    assert [p["body"] for p in client.get(f"{API}/threads/{thread['id']}/posts").get_json()["items"]] == [
        "All about widgets",
        "Buy cheap pills here",
    ]


def test_a_banned_moderator_no_longer_sees_hidden_posts(auth, thread):
    moderator = auth.client("moderator")
    moderator.post(f"{API}/moderation/posts/{thread['reply']['id']}/hide")
    auth.client("admin").post(f"{API}/moderation/members/{moderator.member.id}/ban")
    moderator = auth.client(moderator.member)
    listed = moderator.get(f"{API}/threads/{thread['id']}/posts").get_json()["items"]
    assert thread["reply"]["id"] not in [p["id"] for p in listed]


@pytest.mark.parametrize("action", ["accept", "share_thread", "share_recommendation"])
def test_a_banned_member_cannot_accept_answers_or_share(auth, client, thread, create, activities, action):
    from tests.community.factories import RecommendationFactory

    recommendation = create(RecommendationFactory)
    author = thread["author"]
    auth.client("admin").post(f"{API}/moderation/members/{author.member.id}/ban")
    author = auth.client(author.member)
    requests = {
        "accept": lambda: author.post(f"{API}/threads/{thread['id']}/accept", json={"post_id": thread["reply"]["id"]}),
        "share_thread": lambda: author.post(f"{API}/threads/{thread['id']}/share"),
        "share_recommendation": lambda: author.post(f"{API}/recommendations/{recommendation.id}/share"),
    }
    response = requests[action]()
    assert response.status_code == 403 and "banned" in response.get_json()["message"]
    assert client.get(f"{API}/threads/{thread['id']}").get_json()["accepted_post_id"] is None
    assert [a["activity_type"] for a in activities if a["member_id"] == author.member.id] == []


def public_counts(client, thread_id, author_id):
    thread = client.get(f"{API}/threads/{thread_id}").get_json()
    profile = client.get(f"{API}/members/{author_id}").get_json()
    board = {e["member"]["id"]: e["reputation"] for e in client.get(f"{API}/leaderboard").get_json()["items"]}
    return {
        "thread": (thread["reply_count"], thread["reaction_count"], thread["score"]),
        "profile": (profile["post_count"], profile["reactions_received"], profile["reputation"]),
        "leaderboard": board.get(author_id),
    }


def test_hiding_a_reply_takes_it_out_of_public_counts_and_unhiding_puts_it_back(auth, client, thread):
    reply, writer = thread["reply"], thread["reply"]["author"]["id"]
    for kind in ("like", "helpful"):
        auth.client("member").put(f"{API}/posts/{reply['id']}/reactions/{kind}")
    before = public_counts(client, thread["id"], writer)
    assert before == {"thread": (1, 2, 2 + 2), "profile": (1, 2, 1 + 3), "leaderboard": 4}
    moderator = auth.client("moderator")
    moderator.post(f"{API}/moderation/posts/{reply['id']}/hide")
    moderator.post(f"{API}/moderation/posts/{reply['id']}/hide")  # twice changes nothing more
    assert public_counts(client, thread["id"], writer) == {
        "thread": (0, 0, 0),
        "profile": (0, 0, 0),
        "leaderboard": None,
    }
    moderator.put(f"{API}/posts/{reply['id']}/reactions/insightful")  # counts on the post only, while hidden
    moderator.post(f"{API}/moderation/posts/{reply['id']}/unhide")
    moderator.post(f"{API}/moderation/posts/{reply['id']}/unhide")
    assert public_counts(client, thread["id"], writer) == {
        "thread": (1, 3, 3 + 2),
        "profile": (1, 3, 1 + 3 + 2),
        "leaderboard": 6,
    }


def test_hiding_the_newest_reply_does_not_keep_the_thread_active(auth, client, thread):
    opener, reply = client.get(f"{API}/threads/{thread['id']}/posts").get_json()["items"]
    assert client.get(f"{API}/threads/{thread['id']}").get_json()["last_activity_at"] == reply["created_at"]
    auth.client("moderator").post(f"{API}/moderation/posts/{reply['id']}/hide")
    assert client.get(f"{API}/threads/{thread['id']}").get_json()["last_activity_at"] == opener["created_at"]
    auth.client("moderator").post(f"{API}/moderation/posts/{reply['id']}/unhide")
    assert client.get(f"{API}/threads/{thread['id']}").get_json()["last_activity_at"] == reply["created_at"]


def test_hiding_the_accepted_answer_withdraws_it(auth, client, thread):
    reply, writer = thread["reply"], thread["reply"]["author"]["id"]
    thread["author"].post(f"{API}/threads/{thread['id']}/accept", json={"post_id": reply["id"]})
    assert client.get(f"{API}/members/{writer}").get_json()["reputation"] == 15
    moderator = auth.client("moderator")
    moderator.post(f"{API}/moderation/posts/{reply['id']}/hide")
    assert client.get(f"{API}/threads/{thread['id']}").get_json()["accepted_post_id"] is None
    profile = client.get(f"{API}/members/{writer}").get_json()
    assert (profile["reputation"], profile["accepted_answers"]) == (0, 0)
    moderator.post(f"{API}/moderation/posts/{reply['id']}/unhide")
    assert client.get(f"{API}/threads/{thread['id']}").get_json()["accepted_post_id"] is None
    assert client.get(f"{API}/members/{writer}").get_json()["reputation"] == 0


def test_hiding_an_opening_post_takes_its_reactions_out_of_its_authors_reputation(auth, client, thread):
    opener = client.get(f"{API}/threads/{thread['id']}/posts").get_json()["items"][0]
    asker = thread["author"].member.id
    auth.client("member").put(f"{API}/posts/{opener['id']}/reactions/helpful")
    profile = client.get(f"{API}/members/{asker}").get_json()
    assert (profile["thread_count"], profile["reputation"]) == (1, 3)
    moderator = auth.client("moderator")
    moderator.post(f"{API}/moderation/posts/{opener['id']}/hide")
    profile = client.get(f"{API}/members/{asker}").get_json()
    assert (profile["thread_count"], profile["reputation"]) == (0, 0)
    moderator.post(f"{API}/moderation/posts/{opener['id']}/unhide")
    profile = client.get(f"{API}/members/{asker}").get_json()
    assert (profile["thread_count"], profile["reputation"]) == (1, 3)


def test_deleting_a_hidden_reply_does_not_count_it_out_twice(auth, client, thread):
    new_reply(auth.client("member"), thread["id"], body="A second reply")
    moderator = auth.client("moderator")
    moderator.post(f"{API}/moderation/posts/{thread['reply']['id']}/hide")
    assert moderator.delete(f"{API}/posts/{thread['reply']['id']}").status_code == 204
    counts = client.get(f"{API}/threads/{thread['id']}").get_json()
    assert (counts["reply_count"], counts["score"]) == (1, 2)
