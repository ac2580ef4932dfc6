"""Community test helpers: committed rows made with factories, and activity capture."""

from types import SimpleNamespace

import pytest
import sqlalchemy as sa

from core.accounts.models import Member
from core.extensions import db
from core.signals import activity_recorded
from tests.community.factories import CategoryFactory

API = "/api/v1"


@pytest.fixture
def create(app):
    """create(Factory, **fields) -> a plain namespace of the committed row's columns (+ opener_id for threads).

    Fields may be members from `auth.member()` or namespaces returned by `create`; they are loaded again.
    """

    def load(value):
        if isinstance(value, Member):
            return db.session.get(Member, value.id)
        if isinstance(value, SimpleNamespace):
            return db.session.get(value.model, value.id)
        return value

    def make(factory, **fields):
        with app.app_context():
            row = factory(**{name: load(value) for name, value in fields.items()})
            db.session.commit()
            values = {c.key: getattr(row, c.key) for c in sa.inspect(type(row)).column_attrs}
            values["model"] = type(row)
            if hasattr(row, "opening_post"):
                values["opener_id"] = row.opening_post.id
            return SimpleNamespace(**values)

    return make


@pytest.fixture
def category(create):
    return create(CategoryFactory, slug="general", name="General")


@pytest.fixture
def activities():
    """Every activity community announces during the test, as dicts."""
    seen = []

    def receiver(sender, **kwargs):
        if sender == "community":
            seen.append(kwargs)

    activity_recorded.connect(receiver)
    yield seen
    activity_recorded.disconnect(receiver)


def new_thread(client, category_id, **fields):
    payload = {"category_id": category_id, "title": "How do I pair it?", "body": "Help *please*", **fields}
    response = client.post(f"{API}/threads", json=payload)
    assert response.status_code == 201, response.get_json()
    return response.get_json()


def new_reply(client, thread_id, body="A reply", **fields):
    response = client.post(f"{API}/threads/{thread_id}/posts", json={"body": body, **fields})
    assert response.status_code == 201, response.get_json()
    return response.get_json()
