"""Blank or whitespace-padded names, titles and bodies: trimmed before validation, refused when blank."""

import pytest

from tests.community.conftest import API, new_reply, new_thread
from tests.community.factories import ProductFactory

BLANKS = ["   ", "\t\n ", ""]


@pytest.fixture
def setting(auth, category, create):
    member = auth.client("member")
    thread = new_thread(member, category.id)
    reply = new_reply(member, thread["id"])
    return {
        "member": member,
        "moderator": auth.client("moderator"),
        "marketer": auth.client("marketer"),
        "category": category,
        "thread": thread,
        "reply": reply,
        "product": create(ProductFactory),
    }


REQUESTS = {
    "thread title": (
        "member",
        "post",
        "threads",
        lambda s, v: {"category_id": s["category"].id, "title": v, "body": "x"},
    ),
    "thread body": (
        "member",
        "post",
        "threads",
        lambda s, v: {"category_id": s["category"].id, "title": "Hello", "body": v},
    ),
    "edited title": ("member", "patch", "threads/{thread}", lambda s, v: {"title": v}),
    "reply body": ("member", "post", "threads/{thread}/posts", lambda s, v: {"body": v}),
    "edited reply": ("member", "patch", "posts/{reply}", lambda s, v: {"body": v}),
    "category name": ("moderator", "post", "categories", lambda s, v: {"slug": "blank", "name": v}),
    "product name": ("marketer", "post", "products", lambda s, v: {"name": v}),
    "edited product name": ("marketer", "patch", "products/{product}", lambda s, v: {"name": v}),
    "recommendation body": (
        "member",
        "post",
        "products/{product}/recommendations",
        lambda s, v: {"score": 9, "body": v},
    ),
}
FIELDS = {
    "thread title": "title",
    "edited title": "title",
    "category name": "name",
    "product name": "name",
    "edited product name": "name",
}


@pytest.mark.parametrize("blank", BLANKS)
@pytest.mark.parametrize("what", list(REQUESTS))
def test_blank_values_are_422_naming_the_field(setting, what, blank):
    who, method, path, payload = REQUESTS[what]
    ids = {"thread": setting["thread"]["id"], "reply": setting["reply"]["id"], "product": setting["product"].id}
    response = getattr(setting[who], method)(f"{API}/{path.format(**ids)}", json=payload(setting, blank))
    assert response.status_code == 422, response.get_json()
    assert list(response.get_json()["errors"]) == [FIELDS.get(what, "body")]


def test_a_title_too_short_once_trimmed_is_422(auth, category):
    payload = {"category_id": category.id, "title": "  ab      ", "body": "x"}
    response = auth.client("member").post(f"{API}/threads", json=payload)
    assert response.status_code == 422 and "title" in response.get_json()["errors"]


def test_names_and_titles_are_stored_trimmed(auth, category):
    thread = new_thread(auth.client("member"), category.id, title="  Pairing fails \n")
    assert thread["title"] == "Pairing fails"
    created = auth.client("moderator").post(
        f"{API}/categories", json={"slug": "audio", "name": "  Audio ", "description": " All sound "}
    )
    assert (created.get_json()["name"], created.get_json()["description"]) == ("Audio", "All sound")
    product = auth.client("marketer").post(f"{API}/products", json={"name": " Buds ", "description": " Small "})
    assert (product.get_json()["name"], product.get_json()["description"]) == ("Buds", "Small")
