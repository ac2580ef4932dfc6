"""People integrations import: who sees them, whose history they join, and when they may not return."""

from datetime import timedelta

import pytest
import sqlalchemy as sa

from core.accounts.models import ErasedEmail, Member
from core.accounts.services import create_prospect, mark_email_verified
from core.accounts.tasks import erase_member_content
from core.errors import Conflict
from core.extensions import db
from core.models import utcnow
from leads.models import Activity, Identity, Lead, LeadNote, MemberScore
from leads.services.scoring import record_activity
from tests.authz import ROLES
from tests.factories import PASSWORD, MemberFactory
from tests.leads.conftest import RULES, install_rules

API = "/api/v1"


@pytest.fixture
def segment(app, auth):
    """Send Segment calls with a marketer's ingest token."""
    with app.app_context():
        install_rules(RULES)
        db.session.commit()
    headers = auth.token(auth.member("marketer"), "ingest")
    client = app.test_client()

    def send(*messages):
        response = client.post(f"{API}/segment/v1/batch", json={"batch": list(messages)}, headers=headers)
        assert response.status_code == 200, response.get_json()
        return response.get_json()

    return send


def sign_up(app, email: str) -> Member:
    """An account made through the API (unverified), detached."""
    body = {"email": email, "password": "long enough pw", "display_name": "Someone"}
    response = app.test_client().post(f"{API}/auth/signup", json=body)
    assert response.status_code == 201, response.get_json()
    return member_by(app, id=response.get_json()["id"])


def identify(user_id: str, email: str, **traits) -> dict:
    return {
        "type": "identify",
        "userId": user_id,
        "messageId": f"id-{user_id}-{email}",
        "traits": {"email": email, **traits},
    }


def track(user_id: str, message_id: str, event: str = "demo_requested", **properties) -> dict:
    return {"type": "track", "event": event, "userId": user_id, "messageId": message_id, "properties": properties}


def member_by(app, **where) -> Member | None:
    with app.app_context():
        member = db.session.scalar(sa.select(Member).filter_by(**where))
        if member is not None:
            db.session.expunge(member)
        return member


def activity_owners(app) -> dict[str, int | None]:
    with app.app_context():
        return dict(db.session.execute(sa.select(Activity.message_id, Activity.member_id)).all())


# --- visibility ----------------------------------------------------------------------------


@pytest.mark.parametrize("role", ROLES)
def test_an_imported_prospect_is_visible_to_staff_only(app, auth, segment, role):
    segment(identify("crm-1", "pat@initech.com", name="Pat Prospect"))
    prospect = member_by(app, email_normalized="pat@initech.com")
    response = auth.client(role).get(f"{API}/members/{prospect.id}")
    expected = 404 if role in ("anonymous", "member") else 200
    assert response.status_code == expected
    if expected == 200:
        assert response.get_json()["display_name"] == "Pat Prospect"
    else:
        assert "Pat" not in response.get_data(as_text=True)


def test_a_member_who_signed_up_stays_public(auth, client):
    member = auth.member()
    assert client.get(f"{API}/members/{member.id}").status_code == 200


# --- traits never overwrite a member's own profile --------------------------------------------


def test_an_ingest_token_cannot_set_a_signed_up_members_profile(app, auth, segment):
    member = auth.member(email="sam@initech.com", company=None, job_title=None)
    segment(identify("crm-2", "sam@initech.com", company={"name": "Evil Corp", "employee_count": 900}, title="CEO"))
    me = auth.client(member).get(f"{API}/me").get_json()
    assert (me["company"], me["job_title"]) == (None, None)
    with app.app_context():
        assert db.session.get(MemberScore, member.id).company_size == 900  # not a profile field


def test_traits_fill_a_prospects_profile_gaps(app, segment):
    segment(identify("crm-3", "lee@globex.com", company="Globex", title="Buyer"))
    segment(identify("crm-3", "lee@globex.com", company="Other", title="Other"))
    prospect = member_by(app, email_normalized="lee@globex.com")
    assert (prospect.company, prospect.job_title) == ("Globex", "Buyer")


# --- a prospect's history joins an account only once the address is verified --------------------


def test_signing_up_with_a_prospects_email_does_not_hand_over_its_history(app, client, segment, mailbox):
    segment(identify("crm-4", "pat@initech.com", company="Initech"), track("crm-4", "t-1"))
    prospect = member_by(app, email_normalized="pat@initech.com")
    signup = client.post(
        f"{API}/auth/signup", json={"email": "Pat@Initech.com", "password": "long enough pw", "display_name": "Pat"}
    )
    assert signup.status_code == 201
    account_id = signup.get_json()["id"]
    assert account_id != prospect.id
    export = client.get(f"{API}/me/export").get_json()
    assert export["member"]["company"] is None and export["domains"]["leads"]["activities"] == []
    segment(track("crm-4", "t-2"), identify("crm-5", "pat@initech.com"), track("crm-5", "t-3"))
    assert activity_owners(app) == {
        "t-1": prospect.id,
        "t-2": prospect.id,
        "t-3": prospect.id,
        "id-crm-4-pat@initech.com": prospect.id,
        "id-crm-5-pat@initech.com": prospect.id,
    }
    token = mailbox.link("Pat@Initech.com", "verify-email")
    assert client.post(f"{API}/auth/verify-email", json={"token": token}).status_code == 204
    assert set(activity_owners(app).values()) == {account_id}
    assert member_by(app, id=prospect.id) is None
    with app.app_context():
        assert set(db.session.scalars(sa.select(Identity.member_id))) == {account_id}
        lead = db.session.scalar(sa.select(Lead))
        assert lead.member_id == account_id  # demo_requested x2 crossed MQL as the prospect
        assert db.session.get(MemberScore, account_id).stage == "lead"
    assert len(client.get(f"{API}/me/export").get_json()["domains"]["leads"]["activities"]) == 5
    segment(track("crm-5", "t-4"))
    assert activity_owners(app)["t-4"] == account_id


def test_the_merged_score_is_the_sum_of_both_histories(app, auth, segment):
    segment(identify("crm-6", "kim@initech.com"), track("crm-6", "t-6", event="pricing_viewed"))
    member = sign_up(app, "kim@initech.com")
    segment(identify("crm-7", "kim@initech.com"), track("crm-7", "t-7", event="pricing_viewed"))
    with app.app_context():
        prospect = db.session.scalar(sa.select(Member).where(Member.claim_email == "kim@initech.com"))
        theirs = db.session.get(MemberScore, prospect.id).engagement_sum
        record_activity(member.id, "post_created", utcnow(), source="community")
        own = db.session.get(MemberScore, member.id).engagement_sum
        mark_email_verified(db.session.get(Member, member.id))
        db.session.commit()
        assert db.session.get(MemberScore, member.id).engagement_sum == pytest.approx(theirs + own)
        assert db.session.get(MemberScore, prospect.id) is None
        assert db.session.get(Member, prospect.id) is None


def test_a_prospects_lead_notes_join_the_members_lead(app, auth, segment):
    segment(identify("crm-8", "ana@initech.com"), track("crm-8", "t-8"), track("crm-8", "t-9"))
    member = sign_up(app, "ana@initech.com")
    with app.app_context():
        prospect_lead = db.session.scalar(sa.select(Lead))
        prospect_lead.notes.append(LeadNote(body="Asked for a demo"))
        mine = Lead(member_id=member.id, stage="sal")
        db.session.add(mine)
        db.session.commit()
        mark_email_verified(db.session.get(Member, member.id))
        db.session.commit()
        assert [(lead.member_id, lead.stage) for lead in db.session.scalars(sa.select(Lead))] == [(member.id, "sal")]
        assert [n.body for n in db.session.scalar(sa.select(Lead)).notes] == ["Asked for a demo"]


def test_a_prospects_lost_lead_may_still_be_recycled_as_the_members(app, auth, segment):
    segment(identify("crm-10", "bo@initech.com"), track("crm-10", "t-10"), track("crm-10", "t-11"))
    member = sign_up(app, "bo@initech.com")
    closed = utcnow() - timedelta(days=45)
    with app.app_context():
        lead = db.session.scalar(sa.select(Lead))
        lead.stage, lead.closed_at = "lost", closed
        db.session.commit()
        mark_email_verified(db.session.get(Member, member.id))
        db.session.commit()
        assert db.session.get(MemberScore, member.id).recyclable_since == closed
    segment(identify("crm-11", "bo@initech.com"), track("crm-11", "t-12"))
    with app.app_context():
        assert db.session.scalar(sa.select(Lead.stage).where(Lead.member_id == member.id)) == "mql"


def test_an_account_that_leaves_the_address_unverified_gives_it_back(app, auth, segment):
    segment(identify("crm-9", "max@initech.com"))
    prospect = member_by(app, email_normalized="max@initech.com")
    browser = auth.client(auth.member(email="mine@example.com", email_verified_at=None))
    changes = {"email": "max@initech.com", "current_password": PASSWORD}
    assert browser.patch(f"{API}/me", json=changes).status_code == 200
    assert member_by(app, id=prospect.id).claim_email == "max@initech.com"
    changes = {"email": "elsewhere@example.com", "current_password": PASSWORD}
    assert browser.patch(f"{API}/me", json=changes).status_code == 200
    back = member_by(app, id=prospect.id)
    assert (back.email_normalized, back.claim_email) == ("max@initech.com", None)


def test_erasing_an_unverified_account_gives_the_address_back(app, client, segment):
    segment(identify("crm-10", "joe@initech.com"))
    prospect = member_by(app, email_normalized="joe@initech.com")
    body = {"email": "joe@initech.com", "password": "long enough pw", "display_name": "Not Joe"}
    assert client.post(f"{API}/auth/signup", json=body).status_code == 201
    assert client.delete(f"{API}/me").status_code == 204
    assert member_by(app, id=prospect.id).email_normalized == "joe@initech.com"


def test_a_password_reset_proves_the_address_and_claims_the_prospect(app, auth, client, segment, mailbox):
    segment(identify("crm-11", "eve@initech.com"), track("crm-11", "t-11"))
    squatter = sign_up(app, "eve@initech.com")  # someone signed up with Eve's address, never verified it
    client.post(f"{API}/auth/password-reset/request", json={"email": "eve@initech.com"})
    token = mailbox.link("eve@initech.com", "reset-password")
    assert (
        client.post(f"{API}/auth/password-reset", json={"token": token, "password": "mine for real"}).status_code == 204
    )
    assert activity_owners(app)["t-11"] == squatter.id


# --- erased people do not come back ----------------------------------------------------------


def test_identify_cannot_recreate_an_erased_person(app, auth, segment):
    browser = auth.client("member", email="gone@initech.com")
    assert browser.delete(f"{API}/me").status_code == 204
    result = segment(identify("crm-12", "Gone@Initech.com", name="Gone"), track("crm-12", "t-12"))
    assert result["stored"] == 2
    assert member_by(app, email_normalized="gone@initech.com") is None
    assert activity_owners(app)["t-12"] is None
    with app.app_context():
        [row] = db.session.scalars(sa.select(ErasedEmail.email_hash)).all()
        assert "gone" not in row and len(row) == 64


def test_erasure_scrubs_the_address_from_others_activities(app, auth, segment):
    friend = auth.member(email="friend@globex.com")
    browser = auth.client("member", email="gone@initech.com")
    segment(
        identify("crm-13", "friend@globex.com"),
        track("crm-13", "t-13", event="invited", invitee={"email": "GONE@initech.com", "role": "admin"}),
        track("crm-14", "t-14", event="form_filled", note="contact gone@initech.com soon"),
    )
    browser.delete(f"{API}/me")
    with app.app_context():
        properties = dict(db.session.execute(sa.select(Activity.message_id, Activity.properties)).all())
    assert properties["t-13"] == {"invitee": {"email": "[erased]", "role": "admin"}}
    assert properties["t-14"] == {"note": "contact [erased] soon"}
    assert activity_owners(app)["t-13"] == friend.id


def test_identify_for_an_unverified_accounts_address_makes_a_waiting_prospect(app, segment, mailbox):
    account = sign_up(app, "zoe@initech.com")
    segment(identify("crm-15", "zoe@initech.com", company="Initech"), track("crm-15", "t-15"))
    waiting = member_by(app, claim_email="zoe@initech.com")
    assert waiting is not None and waiting.id != account.id and waiting.company == "Initech"
    assert activity_owners(app)["t-15"] == waiting.id
    token = mailbox.link("zoe@initech.com", "verify-email")
    assert app.test_client().post(f"{API}/auth/verify-email", json={"token": token}).status_code == 204
    assert activity_owners(app)["t-15"] == account.id
    assert member_by(app, id=account.id).company is None  # the prospect's traits stay out of the profile


def test_no_second_prospect_for_an_address_someone_answers_to(app_ctx):
    verified = MemberFactory(email="taken@initech.com")
    with pytest.raises(Conflict):
        create_prospect(verified.email, "Again")


def test_erasure_scrubs_the_address_inside_lists(app, auth, segment):
    browser = auth.client("member", email="gone@initech.com")
    segment(track("crm-16", "t-16", event="shared", recipients=["gone@initech.com", "kept@globex.com", 3]))
    browser.delete(f"{API}/me")
    with app.app_context():
        properties = db.session.scalar(sa.select(Activity.properties).where(Activity.message_id == "t-16"))
    assert properties == {"recipients": ["[erased]", "kept@globex.com", 3]}


def test_an_erasure_row_that_carries_the_address_still_scrubs_it(app, auth, segment):
    """Outbox rows written before the address was held apart carry it as the task's argument."""
    gone = auth.member(email="gone@initech.com")
    segment(track("crm-17", "t-17", event="form_filled", note="call gone@initech.com"))
    with app.app_context():
        erase_member_content(gone.id, "gone@initech.com")
        properties = db.session.scalar(sa.select(Activity.properties).where(Activity.message_id == "t-17"))
    assert properties == {"note": "call [erased]"}
