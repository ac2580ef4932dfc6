"""Ranking by score as per-fit index scans merged: pages equal a plain sort, at any page size."""

import random
from datetime import UTC, datetime

import pytest

import leads.services.ranking as ranking
from core.extensions import db
from leads.models import Lead
from leads.services.ranking import list_leads
from leads.services.rules import current_rules, decay_factor
from tests.factories import MemberFactory
from tests.leads.conftest import RULES, install_rules
from tests.leads.factories import LeadFactory, MemberScoreFactory


@pytest.fixture
def population(app_ctx):
    install_rules(RULES)
    rng = random.Random(11)
    pairs = [(rng.uniform(15, 80), rng.choice([0, 5, 10, 15])) for _ in range(25)]
    pairs += pairs[:5]  # exact ties (same S, same fit): the member id breaks them
    leads = [LeadFactory(points=points, points__fit=fit) for points, fit in pairs]
    db.session.flush()
    return leads


def walk(limit: int, **filters) -> list[int]:
    ids, cursor = [], None
    while True:
        page, cursor = list_leads(limit=limit, cursor=cursor, **filters)
        ids += [lead.id for lead in page]
        if cursor is None:
            return ids


def expected_order(leads, min_score=None) -> list[int]:
    scored = [(lead.current_score, lead.member_id, lead.id) for lead in leads_with_scores(leads)]
    return [lead_id for score, _, lead_id in sorted(scored, reverse=True) if min_score is None or score >= min_score]


def leads_with_scores(leads):
    page, _ = list_leads(limit=100, cursor=None)
    return page


@pytest.mark.parametrize("limit", [1, 4, 7, 100])
def test_pages_match_a_full_sort(population, limit):
    assert walk(limit) == expected_order(population)


def test_min_score_filter_applies_across_fit_levels(population):
    assert walk(5, min_score=50) == expected_order(population, min_score=50)
    assert walk(5, min_score=50)  # not vacuous


def test_scores_are_engagement_plus_fit(population):
    page, _ = list_leads(limit=100, cursor=None)
    assert all(lead.current_score == pytest.approx(lead.engagement + lead.fit, rel=1e-9) for lead in page)
    assert [lead.current_score for lead in page] == sorted((lead.current_score for lead in page), reverse=True)


def test_many_fit_levels_fall_back_to_one_sorted_query_with_the_same_pages(population, monkeypatch):
    expected = walk(4)
    monkeypatch.setattr("leads.services.ranking.MAX_FIT_LEVELS", 2)
    assert walk(4) == expected
    assert walk(3, min_score=50) == expected_order(population, min_score=50)


@pytest.mark.parametrize("limit", [1, 2])
def test_near_ties_across_fit_levels_are_each_listed_once_in_order(app_ctx, monkeypatch, limit):
    install_rules(RULES)
    moment = datetime(2026, 11, 23, 12, tzinfo=UTC)  # a fixed instant: these exact floats
    monkeypatch.setattr(ranking, "utcnow", lambda: moment)
    factor = decay_factor(current_rules(), moment)
    for score, fit in [(50.0, 10.0), (50.0, 0.0), (20.0, 0.0)]:
        member = MemberFactory()
        db.session.flush()
        MemberScoreFactory(member=member, engagement_sum=(score - fit) / factor, fit=fit)
        db.session.add(Lead(member_id=member.id, stage="mql"))
        db.session.flush()
    everyone, _ = list_leads(limit=10, cursor=None)
    assert [lead.current_score for lead in everyone] == [50.0, 49.99999999999999, 20.0]
    assert walk(limit) == [lead.id for lead in everyone]


def test_lists_score_with_the_decay_of_the_rules_in_force(app_ctx):
    install_rules({**RULES, "half_life_days": 7})
    at = datetime(2026, 11, 1, 12, tzinfo=UTC)
    assert ranking.current_decay(at) == decay_factor(current_rules(), at)
    a_week_later = datetime(2026, 11, 8, 12, tzinfo=UTC)
    assert ranking.current_decay(a_week_later) == pytest.approx(ranking.current_decay(at) / 2, rel=1e-12)
