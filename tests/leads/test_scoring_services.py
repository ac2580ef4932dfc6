"""Ledger and incremental scoring at the service level."""

import copy
import math
from datetime import timedelta

import pytest
import sqlalchemy as sa

from core.extensions import db
from core.models import utcnow
from core.signals import activity_recorded
from leads.models import Activity, Lead, MemberScore, ScoringRules
from leads.services.announcements import lead_qualified
from leads.services.common import days_since_unix
from leads.services.points import scored_activities
from leads.services.rules import current_rules, decay_factor
from leads.services.scoring import record_activity
from tests.factories import MemberFactory
from tests.leads.conftest import RULES, install_rules


def engagement(member_id: int) -> float:
    return db.session.get(MemberScore, member_id).engagement_sum * decay_factor(current_rules())


def send(member_id, activity_type, occurred_at=None, **extra):
    activity_recorded.send(
        "community",
        member_id=member_id,
        activity_type=activity_type,
        occurred_at=occurred_at or utcnow(),
        subject_type=extra.get("subject_type"),
        subject_id=extra.get("subject_id"),
        properties={},
    )
    db.session.expire_all()


def test_signal_writes_ledger_row_and_score_in_the_same_session(rules):
    member = MemberFactory()
    send(member.id, "post_created", subject_type="thread", subject_id=7)
    row = db.session.scalar(sa.select(Activity).where(Activity.member_id == member.id))
    assert (row.activity_type, row.source, row.subject_id, row.scored) == ("post_created", "community", 7, True)
    assert engagement(member.id) == pytest.approx(3.0, rel=1e-6)


def test_a_60_day_old_event_counts_a_quarter_at_half_life_30(rules):
    member = MemberFactory()
    send(member.id, "thread_created", utcnow() - timedelta(days=60))
    assert engagement(member.id) == pytest.approx(5.0 / 4, rel=1e-4)


def test_out_of_order_events_give_the_same_score(rules):
    first, second = MemberFactory(), MemberFactory()
    times = [utcnow() - timedelta(days=d) for d in (1, 20, 45)]
    for moment in times:
        send(first.id, "post_created", moment)
    for moment in reversed(times):
        send(second.id, "post_created", moment)
    expected = sum(3.0 * 2 ** (-d / 30) for d in (1, 20, 45))
    assert engagement(first.id) == pytest.approx(expected, rel=1e-4)
    sums = [db.session.get(MemberScore, m.id).engagement_sum for m in (first, second)]
    assert sums[0] == pytest.approx(sums[1], rel=1e-12)


def test_daily_cap_stops_counting_and_negative_weights_subtract(rules):
    member = MemberFactory()
    for _ in range(4):
        send(member.id, "reaction_given")
    send(member.id, "email_unsubscribed")
    assert engagement(member.id) == pytest.approx(2 * 1.0 - 10.0, rel=1e-6)
    rules = current_rules()
    scored = scored_activities(rules.active_config, rules.epoch_days, Activity.member_id == member.id)
    points = db.session.scalars(sa.select(scored.c.points).where(scored.c.activity_type == "reaction_given"))
    assert sorted(points) == [0.0, 0.0, 1.0, 1.0]  # what the explanation shows agrees with the sum


def test_unknown_activity_types_are_stored_with_no_points(rules):
    member = MemberFactory()
    send(member.id, "mystery_happened")
    assert db.session.get(MemberScore, member.id).engagement_sum == 0.0
    assert db.session.scalar(sa.select(sa.func.count(Activity.id))) == 1


def test_crossing_mql_creates_one_lead_and_fires_lead_qualified(rules):
    member = MemberFactory()
    fired = []
    with lead_qualified.connected_to(lambda sender, lead: fired.append(lead.member_id)):
        send(member.id, "post_created")
        assert db.session.get(MemberScore, member.id).stage == "member"
        send(member.id, "thread_created")
        assert db.session.get(MemberScore, member.id).stage == "engaged"
        send(member.id, "demo_requested")
        send(member.id, "demo_requested")
    leads = db.session.scalars(sa.select(Lead).where(Lead.member_id == member.id)).all()
    assert [lead.stage for lead in leads] == ["mql"]
    assert fired == [member.id]


def test_employees_never_become_leads(rules):
    employee = MemberFactory(member_type="employee")
    for _ in range(3):
        send(employee.id, "demo_requested")
    assert engagement(employee.id) == pytest.approx(90.0, rel=1e-6)
    assert db.session.scalar(sa.select(Lead).where(Lead.member_id == employee.id)) is None


def test_fit_rules_add_points(app_ctx):
    config = {
        **RULES,
        "fit_rules": [
            {"attribute": "email_domain", "operator": "eq", "value": "business", "points": 10},
            {"attribute": "job_title", "operator": "contains", "value": ["director"], "points": 5},
            {"attribute": "member_type", "operator": "in", "value": ["prospect", "fan"], "points": 2},
        ],
    }
    install_rules(config)
    business = MemberFactory(email="kim@acme.io", job_title="Director of IT", member_type="prospect")
    free = MemberFactory(email="kim@gmail.com", job_title="Student")
    send(business.id, "page_viewed")
    send(free.id, "page_viewed")
    assert db.session.get(MemberScore, business.id).fit == 17.0
    assert db.session.get(MemberScore, free.id).fit == 0.0
    assert db.session.get(MemberScore, business.id).organization == "acme.io"


def test_duplicate_message_ids_are_ignored(rules):
    member = MemberFactory()
    moment = utcnow()
    first = record_activity(member.id, "post_created", moment, source="events", message_id="m-1")
    again = record_activity(member.id, "post_created", moment, source="events", message_id="m-1")
    assert first is not None and again is None
    assert engagement(member.id) == pytest.approx(3.0, rel=1e-6)


def rules_with_epoch(half_life_days: float, epoch_age_days: float):
    rules = current_rules()
    config = {**copy.deepcopy(RULES), "half_life_days": half_life_days}
    rules.config, rules.active_config = copy.deepcopy(config), copy.deepcopy(config)
    rules.epoch_days = days_since_unix(utcnow()) - epoch_age_days
    db.session.flush()
    return rules


def test_an_old_epoch_with_a_short_half_life_is_rebased_not_overflowed(app_ctx):
    rules = rules_with_epoch(1.0, 1030.0)  # 2^1030 would overflow a float
    member = MemberFactory()
    earlier = MemberFactory()
    db.session.flush()
    db.session.add(MemberScore(member_id=earlier.id, engagement_sum=3.0 * 2.0**1000, fit=0.0, stage="member"))
    db.session.flush()
    record_activity(member.id, "post_created", utcnow(), source="community")
    assert rules.epoch_days == math.floor(days_since_unix(utcnow()))
    factor = decay_factor(rules)
    assert db.session.get(MemberScore, member.id).engagement_sum * factor == pytest.approx(3.0, rel=1e-6)
    assert db.session.get(MemberScore, earlier.id).engagement_sum * factor == pytest.approx(3.0 * 2.0**-30, rel=1e-3)


@pytest.mark.parametrize(("half_lives", "rebased"), [(127.9, False), (128.1, True)])
def test_the_epoch_is_rebased_past_128_half_lives(app_ctx, half_lives, rebased):
    rules = rules_with_epoch(1.0, half_lives)
    epoch = rules.epoch_days
    member = MemberFactory()
    db.session.flush()
    record_activity(member.id, "post_created", utcnow(), source="community")
    assert (rules.epoch_days != epoch) is rebased
    assert db.session.get(MemberScore, member.id).engagement_sum * decay_factor(rules) == pytest.approx(3.0, rel=1e-6)


def test_scoring_reads_the_rules_as_they_are_when_it_locks_them(app_ctx):
    """Rules loaded earlier in the transaction, then changed underneath (as a rescore's swap commits
    between a batch's first read and its lock): scoring must not keep the stale copy."""
    rules = current_rules()
    epoch = rules.epoch_days
    swapped = {**copy.deepcopy(rules.active_config), "half_life_days": 7.0}
    db.session.execute(
        sa.update(ScoringRules)
        .values(epoch_days=epoch + 3.0, active_config=swapped)
        .execution_options(synchronize_session=False)
    )
    locked = current_rules(for_scoring=True)
    assert (locked.epoch_days, locked.active_config["half_life_days"]) == (epoch + 3.0, 7.0)
