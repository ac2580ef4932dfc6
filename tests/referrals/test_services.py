"""The services other domains call: record_conversion and discovery_path."""

from datetime import timedelta

import pytest
import sqlalchemy as sa

from core.accounts.models import Member
from core.errors import ValidationFailed
from core.extensions import db
from core.models import utcnow
from referrals.models import Conversion, Credit
from referrals.services.conversions import (
    attribute_signup,
    discovery_path,
    record_conversion,
    record_conversions_of_kinds,
)
from tests.factories import MemberFactory
from tests.referrals.factories import CampaignFactory, ClickFactory


@pytest.fixture
def referred(app_ctx):
    """A member who signed up after clicking a campaign link and then a plain link of another member."""
    campaign = CampaignFactory(name="Spring")
    first = ClickFactory(
        days_ago=4, campaign_id=campaign.id, channel="campaign", utm_source="newsletter", utm_campaign="spring"
    )
    second = ClickFactory(days_ago=1, visitor_id=first.visitor_id, channel="share", content="thread-9")
    member = MemberFactory()
    attribute_signup(member, visitor_id=first.visitor_id, ip_hash="f" * 64)
    return member, first, second, campaign


def kinds(member_id: int) -> list[str]:
    stmt = sa.select(Conversion.kind).where(Conversion.member_id == member_id).order_by(Conversion.id)
    return list(db.session.scalars(stmt))


def credit_total(member_id: int, kind: str) -> dict:
    stmt = (
        sa.select(Credit.model, sa.func.sum(Credit.share))
        .join(Conversion, Conversion.id == Credit.conversion_id)
        .where(Conversion.member_id == member_id, Conversion.kind == kind, Credit.window_days == 30)
        .group_by(Credit.model)
    )
    return dict(db.session.execute(stmt).all())


def test_discovery_path_of_a_referred_member(referred):
    member, first, second, campaign = referred
    path = discovery_path(member.id)
    referrer = db.session.get(Member, second.referrer_id)
    assert path["referred_by"] == {"id": referrer.id, "display_name": referrer.display_name}
    assert path["referral_code"] == second.code
    assert path["campaign"] == {"id": campaign.id, "name": "Spring"}
    assert path["signup_at"] == member.created_at.isoformat()
    assert path["touches"] == [
        {
            "occurred_at": first.occurred_at.isoformat(),
            "channel": "campaign",
            "utm_source": "newsletter",
            "utm_medium": None,
            "utm_campaign": "spring",
            "referrer_id": first.referrer_id,
            "content": None,
        },
        {
            "occurred_at": second.occurred_at.isoformat(),
            "channel": "share",
            "utm_source": None,
            "utm_medium": None,
            "utm_campaign": None,
            "referrer_id": second.referrer_id,
            "content": "thread-9",
        },
    ]


def test_discovery_path_of_a_member_nobody_referred(app_ctx):
    member = MemberFactory()
    assert discovery_path(member.id) == {
        "referred_by": None,
        "referral_code": None,
        "campaign": None,
        "touches": [],
        "signup_at": None,
    }


def test_record_conversion_is_idempotent_per_kind(referred):
    member = referred[0]
    for kind in ("engaged", "lead", "lead", "customer", "customer", "engaged"):
        record_conversion(member.id, kind, utcnow())
    assert kinds(member.id) == ["signup", "engaged", "lead", "customer"]


def test_lead_and_customer_get_the_signups_credit(referred):
    member = referred[0]
    record_conversion(member.id, "lead", utcnow() + timedelta(days=40))
    record_conversion(member.id, "engaged", utcnow())
    assert credit_total(member.id, "lead") == credit_total(member.id, "signup")
    assert set(credit_total(member.id, "lead").values()) == {1_000_000}
    assert credit_total(member.id, "engaged") == {}


def test_several_kinds_at_once_are_what_one_call_per_kind_records(referred):
    """A batch's newly engaged members and its new leads in one call (one read of the signups)."""
    member = referred[0]
    other = MemberFactory()
    attribute_signup(other, visitor_id=ClickFactory(days_ago=2).visitor_id)
    nobody = MemberFactory()  # not referred: ignored
    record_conversions_of_kinds({"engaged": [member.id, other.id, nobody.id], "lead": [member.id]}, utcnow())
    assert (kinds(member.id), kinds(other.id), kinds(nobody.id)) == (
        ["signup", "engaged", "lead"],
        ["signup", "engaged"],
        [],
    )
    assert credit_total(member.id, "lead") == credit_total(member.id, "signup")
    assert credit_total(member.id, "engaged") == credit_total(other.id, "engaged") == {}
    with pytest.raises(ValidationFailed):
        record_conversions_of_kinds({"engaged": [member.id], "won": [member.id]}, utcnow())


def test_conversions_of_unreferred_members_are_ignored(app_ctx):
    member = MemberFactory()
    record_conversion(member.id, "customer", utcnow())
    assert kinds(member.id) == []


def test_flags_carry_over_to_later_conversions(app_ctx):
    click = ClickFactory(ua_class="bot")
    member = MemberFactory()
    attribute_signup(member, visitor_id=click.visitor_id)
    record_conversion(member.id, "customer", utcnow())
    customer = db.session.scalar(
        sa.select(Conversion).where(Conversion.member_id == member.id, Conversion.kind == "customer")
    )
    assert customer.flagged and customer.reasons == ["bot_user_agent"]


@pytest.mark.parametrize("kind", ["signup", "won", ""])
def test_record_conversion_rejects_unknown_kinds(app_ctx, kind):
    with pytest.raises(ValidationFailed) as error:
        record_conversion(MemberFactory().id, kind, utcnow())
    assert "kind" in error.value.errors


def test_attribute_signup_rejects_an_unknown_code(app_ctx):
    with pytest.raises(ValidationFailed) as error:
        attribute_signup(MemberFactory(), referral_code="doesnotexist")
    assert "referral_code" in error.value.errors


def test_an_invalid_visitor_id_is_ignored(app_ctx):
    ClickFactory(visitor_id="bad id")
    member = MemberFactory()
    assert attribute_signup(member, visitor_id="bad id") is None
