"""POST /events and the Segment-compatible API: auth, gzip, dedup, all-or-nothing batches, identify."""

import base64
import gzip
import json
import zlib

import pytest
import sqlalchemy as sa

from core.accounts.models import Member
from core.extensions import db
from leads.models import Activity, Identity, MemberScore
from leads.schemas.events import MAX_BATCH
from tests.factories import MemberFactory
from tests.leads.conftest import RULES, install_rules


@pytest.fixture
def ingest_headers(app, auth):
    with app.app_context():
        install_rules(RULES)
        db.session.commit()
    marketer = auth.member("marketer")
    headers = auth.token(marketer, "ingest")
    token = headers["Authorization"].removeprefix("Bearer ")
    basic = base64.b64encode(f"{token}:".encode()).decode()
    return {"bearer": headers, "basic": {"Authorization": f"Basic {basic}"}}


def track(message_id, event="pricing_viewed", **fields):
    return {"type": "track", "event": event, "userId": "u-1", "messageId": message_id, **fields}


def stored(app, **where):
    with app.app_context():
        stmt = sa.select(Activity).filter_by(**where).order_by(Activity.id)
        return [(a.activity_type, a.message_id, a.member_id) for a in db.session.scalars(stmt)]


def test_segment_batch_with_basic_auth_is_stored_once(client, app, ingest_headers):
    body = {"batch": [track("m1"), track("m2", event="demo_requested")], "sentAt": "2026-01-01T00:00:00Z"}
    first = client.post("/api/v1/segment/v1/batch", json=body, headers=ingest_headers["basic"])
    again = client.post("/api/v1/segment/v1/batch", json=body, headers=ingest_headers["basic"])
    assert first.status_code == 200 and first.get_json()["stored"] == 2
    assert again.status_code == 200 and again.get_json() == {**again.get_json(), "stored": 0, "duplicates": 2}
    assert [row[:2] for row in stored(app)] == [("pricing_viewed", "m1"), ("demo_requested", "m2")]


def test_gzip_bodies_are_accepted(client, app, ingest_headers):
    raw = gzip.compress(json.dumps({"batch": [track("gz-1")]}).encode())
    headers = {**ingest_headers["basic"], "Content-Encoding": "gzip", "Content-Type": "application/json"}
    response = client.post("/api/v1/segment/v1/batch", data=raw, headers=headers)
    assert response.status_code == 200, response.get_json()
    assert [row[1] for row in stored(app)] == ["gz-1"]


def test_broken_gzip_is_400_naming_the_body(client, app, ingest_headers):
    headers = {**ingest_headers["basic"], "Content-Encoding": "gzip", "Content-Type": "application/json"}
    response = client.post("/api/v1/segment/v1/batch", data=b"not gzip at all", headers=headers)
    assert response.status_code == 400
    assert "body" in response.get_json()["errors"]


def test_gzip_bomb_is_413(client, app, ingest_headers):
    limit = app.config["MAX_CONTENT_LENGTH"]
    bomb = zlib.compressobj(9, zlib.DEFLATED, 16 + zlib.MAX_WBITS)
    raw = bomb.compress(b" " * (limit * 4)) + bomb.flush()
    assert len(raw) < limit
    headers = {**ingest_headers["basic"], "Content-Encoding": "gzip", "Content-Type": "application/json"}
    response = client.post("/api/v1/segment/v1/batch", data=raw, headers=headers)
    assert response.status_code == 413
    assert response.get_json()["code"] == 413


@pytest.mark.parametrize(
    ("event", "field"),
    [
        ({"type": "track", "userId": "u", "messageId": "x"}, "batch.1.event"),
        ({"type": "track", "event": "a", "messageId": "x"}, "batch.1.userId"),
        ({"type": "track", "event": "a", "userId": "u"}, "batch.1.messageId"),
        ({"type": "explode", "event": "a", "userId": "u", "messageId": "x"}, "batch.1.type"),
        ({**track("x"), "timestamp": "yesterday"}, "batch.1.timestamp"),
        ({**track("x"), "timestamp": "2999-01-01T00:00:00Z"}, "batch.1.timestamp"),
        ({**track("x"), "properties": [1, 2]}, "batch.1.properties"),
        ({**track("x"), "event": ""}, "batch.1.event"),
        ({**track("x"), "event": "fit"}, "batch.1.event"),
        ({"type": "identify", "userId": "u", "messageId": "x", "traits": {"email": "nope"}}, "batch.1.traits.email"),
        ({**track("x"), "properties": {"path": "/a\u0000b"}}, "batch.1.properties"),
        ({**track("x"), "context": {"page": {"title": "\ud800"}}}, "batch.1.context"),
        ({**track("x"), "messageId": "x\u0000"}, "batch.1.messageId"),
    ],
)
def test_one_bad_event_rejects_the_whole_batch_naming_it(client, app, ingest_headers, event, field):
    body = {"batch": [track("good-1"), event]}
    response = client.post("/api/v1/segment/v1/batch", json=body, headers=ingest_headers["basic"])
    assert response.status_code == 422
    assert field in response.get_json()["errors"], response.get_json()
    assert stored(app) == []


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({}, "events"),
        ({"events": []}, "events"),
        ({"events": "x"}, "events"),
        ({"events": [{}]}, "events.0.messageId"),
        ({"events": ["a\u0000"]}, "events.0._schema"),
        ({"events": [track("e-1")], "extra\u0000": 1}, "body"),
    ],
)
def test_events_endpoint_validates(client, ingest_headers, body, field):
    response = client.post("/api/v1/events", json=body, headers=ingest_headers["bearer"])
    assert response.status_code == 422
    assert field in response.get_json()["errors"]


def test_events_endpoint_stores_track_events(client, app, ingest_headers):
    response = client.post("/api/v1/events", json={"events": [track("e-1")]}, headers=ingest_headers["bearer"])
    assert response.status_code == 200
    assert response.get_json()["stored"] == 1


def test_identify_creates_a_prospect_and_attaches_earlier_anonymous_events(client, app, ingest_headers):
    headers = ingest_headers["basic"]
    anonymous = {"type": "track", "event": "pricing_viewed", "anonymousId": "anon-9", "messageId": "t-1"}
    assert client.post("/api/v1/segment/v1/track", json=anonymous, headers=headers).status_code == 200
    identify = {
        "anonymousId": "anon-9",
        "userId": "crm-42",
        "messageId": "i-1",
        "traits": {"email": "Pat@Initech.com", "name": "Pat Lee", "title": "VP Sales", "company": {"name": "Initech"}},
    }
    assert client.post("/api/v1/segment/v1/identify", json=identify, headers=headers).status_code == 200
    page = {"userId": "crm-42", "messageId": "p-1", "name": "Pricing"}
    assert client.post("/api/v1/segment/v1/page", json=page, headers=headers).status_code == 200
    with app.app_context():
        member = db.session.scalar(sa.select(Member).where(Member.email_normalized == "pat@initech.com"))
        assert (member.member_type, member.display_name, member.job_title, member.company) == (
            "prospect", "Pat Lee", "VP Sales", "Initech",
        )  # fmt: skip
        assert db.session.get(Identity, ("user_id", "crm-42")).member_id == member.id
        assert db.session.get(MemberScore, member.id).engagement_sum > 0
    assert [row[0] for row in stored(app, member_id=member.id)] == ["pricing_viewed", "identify", "page_viewed"]


def test_identify_links_to_an_existing_member(client, app, auth, ingest_headers):
    existing = auth.member(email="known@acme.io")
    identify = {"userId": "crm-1", "messageId": "i-2", "traits": {"email": "KNOWN@acme.io"}}
    assert client.post("/api/v1/segment/v1/identify", json=identify, headers=ingest_headers["basic"]).status_code == 200
    with app.app_context():
        assert db.session.get(Identity, ("user_id", "crm-1")).member_id == existing.id
        assert db.session.scalar(sa.select(sa.func.count(Member.id)).where(Member.member_type == "prospect")) == 0


def test_segment_ignores_unknown_fields_as_segment_does(client, app, ingest_headers):
    message = track("meta-1", _metadata={"bundled": ["Segment.io"], "unbundled": []})
    body = {"batch": [message], "timestamp": "2026-11-20T00:00:00Z", "sentAt": "2026-11-20T00:00:00Z", "context": {}}
    response = client.post("/api/v1/segment/v1/batch", json=body, headers=ingest_headers["basic"])
    assert response.status_code == 200, response.get_json()
    single = client.post(
        "/api/v1/segment/v1/track", json=track("meta-2", _metadata={}), headers=ingest_headers["basic"]
    )
    assert single.status_code == 200, single.get_json()
    assert [row[1] for row in stored(app)] == ["meta-1", "meta-2"]


def test_post_events_stays_strict_about_unknown_fields(client, ingest_headers):
    response = client.post(
        "/api/v1/events", json={"events": [track("strict-1", _metadata={})]}, headers=ingest_headers["bearer"]
    )
    assert response.status_code == 422
    assert "events.0._metadata" in response.get_json()["errors"]


def test_a_long_email_domain_fits_the_organization_column(client, app, ingest_headers):
    domain = ("a" * 60 + ".") * 2 + "b" * 20 + ".com"
    message = {"type": "identify", "userId": "long-1", "messageId": "long-1", "traits": {"email": f"pat@{domain}"}}
    response = client.post("/api/v1/segment/v1/identify", json=message, headers=ingest_headers["basic"])
    assert response.status_code == 200, response.get_json()
    with app.app_context():
        organization = db.session.scalar(sa.select(MemberScore.organization))
    assert organization == domain[:120]


def test_identify_traits_recompute_fit_and_the_stage(client, app, auth, ingest_headers):
    fit_rules = [
        {"attribute": "job_title", "operator": "contains", "value": ["vp"], "points": 25.0},
        {"attribute": "company_size", "operator": "gte", "value": 50, "points": 5.0},
    ]
    with app.app_context():
        install_rules({**RULES, "fit_rules": fit_rules})
        db.session.commit()
    # A prospect: traits fill only the profiles of people who have not signed up.
    member = auth.member("member", email="pat@initech.com", member_type="prospect", password_hash=None)
    traits = {"email": "pat@initech.com", "title": "VP Sales", "company": {"name": "Initech", "employee_count": 250}}
    message = {"type": "identify", "userId": "crm-1", "messageId": "fit-1", "traits": traits}
    assert client.post("/api/v1/segment/v1/identify", json=message, headers=ingest_headers["basic"]).status_code == 200
    with app.app_context():
        score = db.session.get(MemberScore, member.id)
        assert (score.company_size, score.fit, score.stage) == (250, 30.0, "lead")


def test_an_email_in_properties_never_attributes_the_activity(client, app, auth, ingest_headers):
    pat = auth.member("member", email="pat@initech.com")
    friend = auth.member("member", email="friend@globex.com")
    body = {
        "events": [
            {"type": "identify", "userId": "crm-42", "messageId": "p1", "traits": {"email": "pat@initech.com"}},
            {"type": "track", "event": "invite_sent", "userId": "crm-42", "messageId": "p2",
             "properties": {"email": "friend@globex.com"}},
            {"type": "track", "event": "invite_sent", "userId": "crm-43", "messageId": "p3",
             "properties": {"email": "friend@globex.com"}},
        ]
    }  # fmt: skip
    assert client.post("/api/v1/events", json=body, headers=ingest_headers["bearer"]).status_code == 200
    assert stored(app, activity_type="invite_sent") == [("invite_sent", "p2", pat.id), ("invite_sent", "p3", None)]
    assert friend.id != pat.id


def test_gzip_is_inflated_only_for_an_authorised_ingestion_call(client, auth, ingest_headers):
    headers = {"Content-Encoding": "gzip", "Content-Type": "application/json"}
    anonymous = client.post("/api/v1/segment/v1/batch", data=b"not gzip at all", headers=headers)
    assert anonymous.status_code == 401
    seller = auth.client("sales")
    listed = seller.get("/api/v1/leads", data=b"not gzip at all", headers={"Content-Encoding": "gzip"})
    assert listed.status_code == 200


def test_a_full_batch_for_many_people_is_stored_and_scored_at_once(client, app, ingest_headers):
    """MAX_BATCH events for 100 members: the multi-row statements hold on both databases."""
    with app.app_context():
        members = [MemberFactory() for _ in range(100)]
        db.session.flush()
        db.session.add_all(Identity(kind="user_id", external_id=f"full-{m.id}", member_id=m.id) for m in members)
        db.session.commit()
        ids = [m.id for m in members]
    events = ("pricing_viewed", "page_viewed", "content_shared")
    batch = [track(f"full-{n}", event=events[n % 3], userId=f"full-{ids[n % 100]}") for n in range(MAX_BATCH)]
    response = client.post("/api/v1/segment/v1/batch", json={"batch": batch}, headers=ingest_headers["basic"])
    assert response.status_code == 200, response.get_json()
    assert response.get_json()["stored"] == MAX_BATCH
    with app.app_context():
        per_member = dict(
            db.session.execute(
                sa.select(Activity.member_id, sa.func.count())
                .where(Activity.member_id.in_(ids))
                .group_by(Activity.member_id)
            ).all()
        )
        scored = db.session.scalars(sa.select(MemberScore).where(MemberScore.member_id.in_(ids))).all()
    assert per_member == {member_id: MAX_BATCH // 100 for member_id in ids}
    assert len(scored) == 100 and all(score.engagement_sum > 0 for score in scored)
