"""Categories, threads and replies through the HTTP API."""

import pytest

from tests.community.conftest import API, new_reply, new_thread
from tests.community.factories import ThreadFactory


def test_moderator_creates_category_and_everyone_lists_it(auth, client):
    created = auth.client("moderator").post(f"{API}/categories", json={"slug": "how-to", "name": "How-to"})
    assert created.status_code == 201
    listed = client.get(f"{API}/categories").get_json()
    assert [c["slug"] for c in listed["items"]] == ["how-to"]


def test_duplicate_category_slug_is_409(auth, category):
    response = auth.client("moderator").post(f"{API}/categories", json={"slug": "general", "name": "Again"})
    assert response.status_code == 409
    assert "slug" in response.get_json()["errors"]


@pytest.mark.parametrize(
    ("payload", "field"),
    [
        ({"name": "No slug"}, "slug"),
        ({"slug": "Bad Slug!", "name": "x"}, "slug"),
        ({"slug": "ok-slug", "name": ""}, "name"),
        ({"slug": "ok-slug", "name": "x", "colour": "red"}, "colour"),
    ],
)
def test_category_bad_input(auth, payload, field):
    response = auth.client("moderator").post(f"{API}/categories", json=payload)
    assert response.status_code == 422
    assert field in response.get_json()["errors"]


def test_create_thread_stores_markdown_and_serves_html(auth, category):
    body = new_thread(auth.client("member"), category.id, tags=["Pairing", "bluetooth"])
    assert body["body"] == "Help *please*"
    assert body["body_html"] == "<p>Help <em>please</em></p>\n"
    assert body["tags"] == ["bluetooth", "pairing"]
    assert body["category"]["slug"] == "general"
    assert body["reply_count"] == 0 and body["locked"] is False


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"category_id": None}, "category_id"),
        ({"category_id": "1"}, "category_id"),
        ({"category_id": 999999}, "category_id"),
        ({"title": "ab"}, "title"),
        ({"title": "x" * 201}, "title"),
        ({"body": ""}, "body"),
        ({"body": "x" * 20_001}, "body"),
        ({"tags": ["has space"]}, "tags"),
        ({"tags": ["a", "b", "c", "d", "e", "f"]}, "tags"),
        ({"tags": "single"}, "tags"),
        ({"author_id": 1}, "author_id"),
    ],
)
def test_create_thread_bad_input(auth, category, change, field):
    payload = {"category_id": category.id, "title": "A fine title", "body": "body", **change}
    response = auth.client("member").post(f"{API}/threads", json=payload)
    assert response.status_code == 422
    assert field in response.get_json()["errors"]


def test_thread_and_replies_are_public(auth, client, category):
    thread = new_thread(auth.client("member"), category.id)
    new_reply(auth.client("member"), thread["id"], body="First reply")
    assert client.get(f"{API}/threads/{thread['id']}").status_code == 200
    posts = client.get(f"{API}/threads/{thread['id']}/posts").get_json()["items"]
    assert [p["is_opener"] for p in posts] == [True, False]
    assert posts[1]["body"] == "First reply"
    assert posts[1]["reactions"] == {"like": 0, "helpful": 0, "insightful": 0}
    assert set(posts[1]) >= {"id", "thread_id", "author", "body", "body_html", "reactions", "hidden", "created_at"}


def test_reply_to_another_reply(auth, category):
    member = auth.client("member")
    thread = new_thread(member, category.id)
    first = new_reply(member, thread["id"])
    second = new_reply(auth.client("member"), thread["id"], reply_to_id=first["id"])
    assert second["reply_to_id"] == first["id"]


def test_reply_to_a_post_of_another_thread_is_422(auth, category, create):
    other = create(ThreadFactory)
    thread = new_thread(auth.client("member"), category.id)
    response = auth.client("member").post(
        f"{API}/threads/{thread['id']}/posts", json={"body": "x", "reply_to_id": other.opener_id}
    )
    assert response.status_code == 422
    assert "reply_to_id" in response.get_json()["errors"]


@pytest.mark.parametrize(
    ("payload", "field"),
    [({}, "body"), ({"body": ""}, "body"), ({"body": 5}, "body"), ({"body": "x", "reply_to_id": "a"}, "reply_to_id")],
)
def test_reply_bad_input(auth, category, payload, field):
    thread = new_thread(auth.client("member"), category.id)
    response = auth.client("member").post(f"{API}/threads/{thread['id']}/posts", json=payload)
    assert response.status_code == 422
    assert field in response.get_json()["errors"]


def test_reply_to_missing_thread_is_404(auth):
    assert auth.client("member").post(f"{API}/threads/424242/posts", json={"body": "x"}).status_code == 404


def test_reply_updates_thread_counters(auth, category):
    thread = new_thread(auth.client("member"), category.id)
    new_reply(auth.client("member"), thread["id"])
    after = auth.client("member").get(f"{API}/threads/{thread['id']}").get_json()
    assert after["reply_count"] == 1 and after["score"] == 2
    assert after["last_activity_at"] > thread["last_activity_at"]


def test_author_edits_thread_and_post(auth, category):
    author = auth.client("member")
    thread = new_thread(author, category.id)
    changed = author.patch(f"{API}/threads/{thread['id']}", json={"title": "Better title", "body": "**new**"})
    assert changed.status_code == 200
    assert changed.get_json()["title"] == "Better title"
    assert changed.get_json()["body_html"] == "<p><strong>new</strong></p>\n"
    reply = new_reply(author, thread["id"])
    edited = author.patch(f"{API}/posts/{reply['id']}", json={"body": "edited"})
    assert edited.status_code == 200 and edited.get_json()["edited_at"] is not None


def test_others_cannot_edit_or_delete_but_moderators_can(auth, category):
    author = auth.client("member")
    thread = new_thread(author, category.id)
    stranger = auth.client("member")
    assert stranger.patch(f"{API}/threads/{thread['id']}", json={"title": "Mine now"}).status_code == 403
    assert stranger.delete(f"{API}/threads/{thread['id']}").status_code == 403
    moderator = auth.client("moderator")
    assert moderator.patch(f"{API}/threads/{thread['id']}", json={"title": "Moderated"}).status_code == 200
    assert moderator.delete(f"{API}/threads/{thread['id']}").status_code == 204


def test_patch_thread_bad_input(auth, category):
    author = auth.client("member")
    thread = new_thread(author, category.id)
    response = author.patch(f"{API}/threads/{thread['id']}", json={"title": "", "locked": True})
    assert response.status_code == 422
    assert {"title", "locked"} <= set(response.get_json()["errors"])


def test_deleted_thread_is_gone(auth, client, category):
    author = auth.client("member")
    thread = new_thread(author, category.id)
    assert author.delete(f"{API}/threads/{thread['id']}").status_code == 204
    assert client.get(f"{API}/threads/{thread['id']}").status_code == 404
    assert client.get(f"{API}/threads").get_json()["items"] == []


def test_deleted_reply_leaves_the_list(auth, client, category):
    author = auth.client("member")
    thread = new_thread(author, category.id)
    reply = new_reply(author, thread["id"])
    assert author.delete(f"{API}/posts/{reply['id']}").status_code == 204
    posts = client.get(f"{API}/threads/{thread['id']}/posts").get_json()["items"]
    assert [p["is_opener"] for p in posts] == [True]
    assert client.get(f"{API}/threads/{thread['id']}").get_json()["reply_count"] == 0
    assert author.patch(f"{API}/posts/{reply['id']}", json={"body": "back"}).status_code == 404


def test_opening_post_cannot_be_deleted_alone(auth, client, category):
    author = auth.client("member")
    thread = new_thread(author, category.id)
    opener = client.get(f"{API}/threads/{thread['id']}/posts").get_json()["items"][0]
    response = author.delete(f"{API}/posts/{opener['id']}")
    assert response.status_code == 422


def test_list_filters_by_category_and_tag(auth, client, category, create):
    from tests.community.factories import CategoryFactory

    other = create(CategoryFactory)
    member = auth.client("member")
    tagged = new_thread(member, category.id, tags=["battery"])
    new_thread(member, category.id, tags=["screen"])
    elsewhere = new_thread(member, other.id, tags=["battery"])
    by_tag = client.get(f"{API}/threads?tag=Battery").get_json()["items"]
    assert {t["id"] for t in by_tag} == {tagged["id"], elsewhere["id"]}
    both = client.get(f"{API}/threads?tag=battery&category={category.id}").get_json()["items"]
    assert [t["id"] for t in both] == [tagged["id"]]


def test_sorts_and_keyset_pagination(auth, client, category):
    member = auth.client("member")
    first, second, third = (new_thread(member, category.id, title=f"Thread {n}") for n in range(3))
    new_reply(auth.client("member"), first["id"])  # first is now the most active and the top thread
    latest = client.get(f"{API}/threads?sort=latest").get_json()["items"]
    assert [t["id"] for t in latest] == [third["id"], second["id"], first["id"]]
    active = client.get(f"{API}/threads?sort=active").get_json()["items"]
    assert active[0]["id"] == first["id"]
    top = client.get(f"{API}/threads?sort=top").get_json()["items"]
    assert top[0]["id"] == first["id"]
    page_one = client.get(f"{API}/threads?sort=latest&limit=2").get_json()
    page_two = client.get(f"{API}/threads?sort=latest&limit=2&cursor={page_one['next_cursor']}").get_json()
    assert [t["id"] for t in page_one["items"] + page_two["items"]] == [t["id"] for t in latest]
    assert page_two["next_cursor"] is None


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ("sort=hot", "sort"),
        ("limit=0", "limit"),
        ("limit=101", "limit"),
        ("cursor=not-a-cursor", "cursor"),
        ("category=abc", "category"),
        ("tag=no%20spaces", "tag"),
    ],
)
def test_list_threads_bad_query(client, query, field):
    response = client.get(f"{API}/threads?{query}")
    assert response.status_code == 422
    assert field in response.get_json()["errors"]


@pytest.mark.parametrize(("made_for", "used_for"), [("top", "active"), ("active", "top"), ("top", "latest")])
def test_cursor_from_another_sort_is_422_naming_cursor(auth, client, category, made_for, used_for):
    member = auth.client("member")
    for n in range(3):
        new_thread(member, category.id, title=f"Thread {n}")
    cursor = client.get(f"{API}/threads?sort={made_for}&limit=1").get_json()["next_cursor"]
    response = client.get(f"{API}/threads?sort={used_for}&limit=1&cursor={cursor}")
    assert response.status_code == 422
    assert list(response.get_json()["errors"]) == ["cursor"]


def test_locked_thread_takes_no_replies_but_moderators_may(auth, category):
    thread = new_thread(auth.client("member"), category.id)
    moderator = auth.client("moderator")
    assert moderator.post(f"{API}/moderation/threads/{thread['id']}/lock").get_json()["locked"] is True
    refused = auth.client("member").post(f"{API}/threads/{thread['id']}/posts", json={"body": "late"})
    assert refused.status_code == 403
    assert "locked" in refused.get_json()["message"]
    assert moderator.post(f"{API}/threads/{thread['id']}/posts", json={"body": "closing"}).status_code == 201
    moderator.post(f"{API}/moderation/threads/{thread['id']}/unlock")
    assert auth.client("member").post(f"{API}/threads/{thread['id']}/posts", json={"body": "ok"}).status_code == 201


def test_pinned_thread_comes_first(auth, client, category):
    member = auth.client("member")
    old = new_thread(member, category.id, title="Old news")
    new_thread(member, category.id, title="Fresh news")
    auth.client("moderator").post(f"{API}/moderation/threads/{old['id']}/pin")
    assert client.get(f"{API}/threads").get_json()["items"][0]["id"] == old["id"]
    auth.client("moderator").post(f"{API}/moderation/threads/{old['id']}/unpin")
    assert client.get(f"{API}/threads").get_json()["items"][0]["id"] != old["id"]


def test_share_thread_gives_a_referral_link(auth, app, category):
    sharer = auth.client("member")
    thread = new_thread(auth.client("member"), category.id)
    response = sharer.post(f"{API}/threads/{thread['id']}/share")
    assert response.status_code == 201
    code = sharer.member.referral_code
    assert response.get_json() == {
        "url": f"{app.config['PUBLIC_SITE_URL']}/r/{code}?content=thread-{thread['id']}",
        "code": code,
        "content": f"thread-{thread['id']}",
    }


def test_retagging_a_thread_keeps_shared_tags(auth, client, category):
    author = auth.client("member")
    thread = new_thread(author, category.id, tags=["a", "b"])
    changed = author.patch(f"{API}/threads/{thread['id']}", json={"tags": ["b", "c"]})
    assert changed.status_code == 200 and changed.get_json()["tags"] == ["b", "c"]
    assert [t["id"] for t in client.get(f"{API}/threads?tag=c").get_json()["items"]] == [thread["id"]]
    assert client.get(f"{API}/threads?tag=a").get_json()["items"] == []


def test_sharing_twice_gives_the_same_link_and_is_announced_once(auth, create, category, activities):
    from tests.community.factories import RecommendationFactory

    thread = new_thread(auth.client("member"), category.id)
    recommendation = create(RecommendationFactory)
    sharer, other = auth.client("member"), auth.client("member")
    paths = [f"{API}/threads/{thread['id']}/share", f"{API}/recommendations/{recommendation.id}/share"]
    for path in paths:
        links = [sharer.post(path).get_json() for _ in range(3)]
        assert links[0] == links[1] == links[2]
        other.post(path)
    shared = [(a["member_id"], a["subject_type"]) for a in activities if a["activity_type"] == "content_shared"]
    assert shared == [
        (sharer.member.id, "thread"),
        (other.member.id, "thread"),
        (sharer.member.id, "recommendation"),
        (other.member.id, "recommendation"),
    ]
