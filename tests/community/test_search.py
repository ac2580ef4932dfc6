"""Full-text search over thread titles and post bodies (FTS5 on SQLite, tsvector on PostgreSQL)."""

import pytest

from tests.community.conftest import API, new_reply, new_thread


@pytest.fixture
def corpus(auth, category):
    member = auth.client("member")
    pairing = new_thread(member, category.id, title="Bluetooth pairing fails", body="My headphones will not connect.")
    battery = new_thread(member, category.id, title="Battery life", body="How long does the battery last?")
    reply = new_reply(auth.client("member"), battery["id"], body="Bluetooth drains the battery a little.")
    return {"pairing": pairing, "battery": battery, "reply": reply, "member": member}


def hits(client, q, **params):
    response = client.get(f"{API}/search", query_string={"q": q, **params})
    assert response.status_code == 200, response.get_json()
    return response.get_json()


def test_title_match_ranks_above_body_match(client, corpus):
    items = hits(client, "bluetooth")["items"]
    assert [(i["type"], i["thread_id"]) for i in items] == [
        ("thread", corpus["pairing"]["id"]),
        ("post", corpus["battery"]["id"]),
    ]
    assert items[0]["rank"] > items[1]["rank"]
    assert items[0]["thread_title"] == "Bluetooth pairing fails"


def test_body_words_are_found_with_stemming(client, corpus):
    items = hits(client, "connecting headphone")["items"]
    assert [i["post_id"] for i in items] == [items[0]["post_id"]] and items[0]["thread_id"] == corpus["pairing"]["id"]


def test_search_is_paginated(client, corpus):
    first = hits(client, "battery", limit=1)
    second = hits(client, "battery", limit=1, cursor=first["next_cursor"])
    third = hits(client, "battery", limit=1, cursor=second["next_cursor"]) if second["next_cursor"] else {"items": []}
    seen = [i["post_id"] for i in first["items"] + second["items"] + third["items"]]
    assert len(seen) == len(set(seen)) == len(hits(client, "battery")["items"]) == 2


def test_deleted_content_is_not_found(client, corpus):
    corpus["member"].delete(f"{API}/threads/{corpus['pairing']['id']}")
    assert [i["thread_id"] for i in hits(client, "pairing")["items"]] == []


def test_edited_title_and_body_are_searchable(client, corpus):
    corpus["member"].patch(
        f"{API}/threads/{corpus['pairing']['id']}", json={"title": "Firmware update", "body": "solved"}
    )
    assert hits(client, "pairing")["items"] == []
    assert [i["thread_id"] for i in hits(client, "firmware")["items"]] == [corpus["pairing"]["id"]]


@pytest.mark.parametrize(
    ("q", "same_as"),
    [
        ("bluetooth*", "bluetooth"),
        ("-battery", "battery"),
        ("BATTERY!", "battery"),
        ('"unbalanced', None),
        ("AND OR NOT", None),
        ("title:battery", None),
        ("a) OR (b", None),
        ("NEAR(x y)", None),
        ("'; DROP TABLE posts; --", None),
    ],
)
def test_query_syntax_is_never_interpreted(client, corpus, q, same_as):
    """Search takes the words of q, all required, on both backends; operators and punctuation are ignored."""
    found = [(i["post_id"], i["type"]) for i in hits(client, q)["items"]]
    expected = [(i["post_id"], i["type"]) for i in hits(client, same_as)["items"]] if same_as else []
    assert found == expected
    if same_as:
        assert len(found) == 2


@pytest.mark.parametrize(
    ("query", "field"),
    [("", "q"), ("q=", "q"), ("q=" + "x" * 201, "q"), ("q=%21%21%21", "q"), ("q=a&limit=0", "limit")],
)
def test_bad_search_input_is_422_naming_the_field(client, query, field):
    response = client.get(f"{API}/search?{query}")
    assert response.status_code == 422
    assert field in response.get_json()["errors"]
