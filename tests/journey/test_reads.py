"""What journey reads from the other domains' services, at its edges: nothing asked, nothing read;
ranges bounded on both sides; members who are gone."""

from datetime import timedelta

import pytest

from community.services import voice
from core.extensions import db
from core.models import utcnow
from core.reporting import month_key
from journey.models import JourneyMember
from journey.services import health, stages
from leads.services import history
from referrals.services import discovery
from tests.factories import MemberFactory
from tests.journey.conftest import act, ago


@pytest.mark.usefixtures("app_ctx")
def test_no_members_no_reads():
    since = utcnow()
    assert voice.latest_ratings([], since) == voice.latest_recommendations([], since) == {}
    assert voice.promoted_at([]) == voice.unanswered_questions([], asked_since=since, asked_before=since) == {}
    assert discovery.first_touches([]) == discovery.referrals_converted_at([]) == discovery.campaign_names([]) == {}
    assert history.first_activity_at([]) == history.last_activity_at([]) == history.won_at([]) == {}
    assert history.activity_counts([], start=since, end=None) == {}


@pytest.mark.usefixtures("app_ctx")
def test_activity_reads_honour_both_ends_and_exclusions():
    member = MemberFactory()
    act(member, ago(40), "page_viewed", source="events")
    act(member, ago(10))
    act(member, ago(5), "reaction_received")
    assert history.activity_counts([member.id], start=ago(50), end=ago(20)) == {member.id: 1}
    assert history.activity_counts([member.id], start=ago(50), end=None, excluded_types=["reaction_received"]) == {
        member.id: 2
    }
    assert history.first_activity_at([member.id], source="community")[member.id] > ago(11)
    months = history.active_months(start=ago(50), end=ago(20))
    assert months == {(member.id, month_key(ago(40)))}


@pytest.mark.usefixtures("app_ctx")
def test_gone_members_are_left_alone():
    erased = MemberFactory(erased_at=utcnow())
    stages.refresh_journeys([erased])
    stages.refresh_member(999_999)
    assert db.session.get(JourneyMember, erased.id) is None


@pytest.mark.usefixtures("app_ctx")
def test_the_health_list_bounds_status_since_on_both_ends():
    member = MemberFactory(member_type="customer", created_at=ago(1))
    health.update_batch([member])
    rows, _ = health.list_health(limit=10, cursor=None, start=ago(1), end=utcnow() + timedelta(minutes=1))
    assert [row.member_id for row in rows] == [member.id]
    assert health.list_health(limit=10, cursor=None, end=ago(1))[0] == []
