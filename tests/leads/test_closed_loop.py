"""Closed-loop scoring: insights from won and lost leads, and backtests of candidate rules."""

from __future__ import annotations

import copy
import uuid
from datetime import timedelta

import pytest

from core.extensions import db
from core.models import utcnow
from leads.models import Activity, LeadStageChange
from leads.services.backtest import auc, backtest
from leads.services.common import days_since_unix
from leads.services.insights import scoring_insights
from leads.services.outcomes import closed_leads
from tests.leads.conftest import install_rules
from tests.leads.factories import LeadFactory

CLOSE = utcnow().replace(microsecond=0) - timedelta(days=3)
SMALL_RULES = {
    "weights": {"a": 10.0, "b": 4.0},
    "daily_caps": {},
    "half_life_days": 30.0,
    "thresholds": {"engaged": 5.0, "mql": 9.0},
    "fit_rules": [],
}
# Leads that closed won requested a demo four times as often as lost ones; everyone read pages.
UNTUNED = {
    "weights": {"demo_requested": 0.0, "page_viewed": 5.0, "post_created": 3.0},
    "daily_caps": {},
    "half_life_days": 30.0,
    "thresholds": {"engaged": 5.0, "mql": 20.0},
    "fit_rules": [],
}


def activity(member_id: int, kind: str, at) -> None:
    days = days_since_unix(at)
    db.session.add(
        Activity(
            message_id=f"test:{uuid.uuid4().hex}",
            member_id=member_id,
            source="test",
            activity_type=kind,
            occurred_at=at,
            occurred_days=days,
            day=int(days // 1),
            properties={},
        )
    )


def closed_lead(stage: str, kinds=(), *, closed_at=CLOSE, mql_at=None, before=timedelta(minutes=1)):
    """A lead closed at `closed_at` (MQL at `mql_at`) with one activity of each kind `before` closing."""
    lead = LeadFactory(stage=stage, created_at=mql_at or closed_at - timedelta(days=5), updated_at=closed_at)
    for kind in kinds:
        activity(lead.member_id, kind, closed_at - before)
    db.session.flush()
    return lead


def predictive_history() -> None:
    for index in range(20):
        closed_lead("won", ["page_viewed", "post_created"] + (["demo_requested"] if index < 16 else []))
        stage = "lost" if index % 2 else "disqualified"
        closed_lead(stage, ["page_viewed", "post_created"] + (["demo_requested"] if index < 4 else []))
    closed_lead("sql", ["demo_requested"])  # still open: not counted


def test_closed_leads_reads_outcome_and_times(app_ctx):
    won = closed_lead("won", mql_at=CLOSE - timedelta(days=2))
    closed_lead("mql")
    rows = db.session.execute(db.select(closed_leads())).all()
    assert [(row.lead_id, row.won, row.closed_at, row.mql_at) for row in rows] == [
        (won.id, True, CLOSE, CLOSE - timedelta(days=2))
    ]
    assert rows[0].closed_days == pytest.approx(days_since_unix(CLOSE), abs=1e-6)


def test_closed_leads_dates_a_recycled_lead_by_its_history_not_its_last_edit(app_ctx):
    """A lead closed, recycled and closed again: its latest cycle counts, whatever touched it since."""
    lead = closed_lead("lost", closed_at=CLOSE + timedelta(days=2))  # a later edit moved updated_at
    moves = [
        (None, "mql", CLOSE - timedelta(days=60)),
        ("mql", "disqualified", CLOSE - timedelta(days=50)),
        ("disqualified", "mql", CLOSE - timedelta(days=9)),
        ("mql", "lost", CLOSE),
    ]
    for from_stage, to_stage, at in moves:
        db.session.add(LeadStageChange(lead_id=lead.id, from_stage=from_stage, to_stage=to_stage, at=at))
    db.session.flush()
    row = db.session.execute(db.select(closed_leads())).one()
    assert (row.won, row.closed_at, row.mql_at) == (False, CLOSE, CLOSE - timedelta(days=9))
    assert db.session.execute(db.select(closed_leads(CLOSE + timedelta(days=1)))).all() == []


def test_insights_rank_the_predictive_type_first(app_ctx):
    install_rules(UNTUNED)
    predictive_history()
    result = scoring_insights()
    assert (result["leads"], result["won"], result["won_rate"]) == (40, 20, 0.5)
    first = result["items"][0]
    assert first["activity_type"] == "demo_requested"
    assert (first["leads_with"], first["won_with"]) == (20, 16)
    assert (first["won_rate_with"], first["won_rate_without"], first["lift"]) == (0.8, 0.2, 4.0)
    assert first["enough_data"] and first["suggested_weight"] > first["weight"]
    everywhere = {item["activity_type"]: item for item in result["items"]}["page_viewed"]
    assert everywhere["won_rate_without"] is None  # every closed lead read pages: nothing to compare
    assert (everywhere["enough_data"], everywhere["suggested_weight"]) == (False, 5.0)


def test_insights_smooth_and_need_support(app_ctx):
    install_rules(UNTUNED)
    for index in range(30):
        closed_lead("won" if index % 2 else "lost", ["page_viewed"])
    for _ in range(3):
        closed_lead("won", ["page_viewed", "rare"])  # 3 of 3 won: too few to say
    rare = {item["activity_type"]: item for item in scoring_insights()["items"]}["rare"]
    assert (rare["won_rate_with"], rare["lift"], rare["smoothed_lift"]) == (1.0, 2.0, None)
    assert (rare["enough_data"], rare["weight"], rare["suggested_weight"]) == (False, 0.0, 0.0)


def test_insights_period_filters_on_closing_time(app_ctx):
    closed_lead("won", ["a"], closed_at=CLOSE - timedelta(days=40))
    closed_lead("lost", ["a"])
    assert scoring_insights(start=CLOSE - timedelta(days=1))["leads"] == 1
    assert scoring_insights(end=CLOSE - timedelta(days=1))["won"] == 1


def test_backtest_weighting_the_predictor_has_a_higher_auc(app_ctx):
    install_rules(UNTUNED)
    predictive_history()
    candidate = copy.deepcopy(UNTUNED)
    candidate["weights"]["demo_requested"] = 30.0
    result = backtest(candidate)
    assert (result["leads"], result["won"], result["lost"]) == (40, 20, 20)
    # Won with a demo beat lost without (16·16), tie with lost with one and so do won without a
    # demo with lost without (½·(16·4 + 4·16)), lose to lost with one: 320 of 400 pairs.
    assert result["candidate"]["auc"] == 0.8
    assert result["current"]["auc"] == 0.5  # every lead scores the same
    assert result["candidate"]["auc"] > result["current"]["auc"]
    assert (result["candidate"]["won_leads_qualified"], result["current"]["won_leads_qualified"]) == (16, 0)


def test_backtest_small_case_by_hand(app_ctx):
    """Won: 10 and 4 points; lost: 4, 0 and 10. Pairs won > lost: 2 wins, 2 ties (½ each), 1 of 6
    lost: AUC 4/6. Over the threshold 9: W1 and L3, so precision ½ and recall ½."""
    install_rules(SMALL_RULES)
    closed_lead("won", ["a"], mql_at=CLOSE - timedelta(days=5))
    closed_lead("won", ["b"])
    closed_lead("lost", ["b"])
    closed_lead("lost")
    closed_lead("disqualified", ["a"])
    result = backtest(copy.deepcopy(SMALL_RULES))
    expected = {
        "mql_threshold": 9.0,
        "auc": 0.6667,
        "precision": 0.5,
        "recall": 0.5,
        "won_leads_qualified": 1,
        "median_days_earlier": -5.0,  # crossed a minute before closing, five days after MQL
    }
    assert result["candidate"] == result["current"] == expected


def test_auc_with_ties_and_one_class():
    assert auc([(1.0, True), (1.0, False)]) == 0.5
    assert auc([(3.0, True), (2.0, False), (2.0, True), (1.0, False)]) == 0.875
    assert auc([(1.0, True), (2.0, True)]) is None


def test_backtest_applies_daily_caps_and_decay(app_ctx):
    install_rules(SMALL_RULES)
    lead = LeadFactory(stage="won", created_at=CLOSE - timedelta(days=1), updated_at=CLOSE)
    for minutes in (1, 2, 3):
        activity(lead.member_id, "b", CLOSE - timedelta(minutes=minutes))  # 12 points uncapped
    old = LeadFactory(stage="won", created_at=CLOSE - timedelta(days=1), updated_at=CLOSE)
    activity(old.member_id, "a", CLOSE - timedelta(days=30))  # 10 points, a half-life ago: 5
    activity(old.member_id, "a", CLOSE - timedelta(days=400))
    closed_lead("lost")
    db.session.flush()
    capped = {**copy.deepcopy(SMALL_RULES), "daily_caps": {"b": 1}}
    result = backtest(capped)
    assert (result["current"]["won_leads_qualified"], result["candidate"]["won_leads_qualified"]) == (1, 0)
    assert result["current"]["recall"] == 0.5


def test_backtest_survives_activities_thousands_of_half_lives_old(app_ctx):
    install_rules({**SMALL_RULES, "half_life_days": 1.0})
    lead = LeadFactory(stage="won", created_at=CLOSE - timedelta(days=1), updated_at=CLOSE)
    activity(lead.member_id, "a", CLOSE - timedelta(days=1500))  # 2^1500 overflows a double
    activity(lead.member_id, "a", CLOSE - timedelta(days=400))  # 10 points then, 10·2^-400 at closing
    closed_lead("lost")
    tiny = {**copy.deepcopy(SMALL_RULES), "weights": {"a": 1e-300}, "half_life_days": 1.0}
    result = backtest(tiny)
    assert result["current"]["median_days_earlier"] == pytest.approx(399.0)  # qualified at day −400
    assert (result["current"]["auc"], result["candidate"]["auc"]) == (0.5, 0.5)


def test_backtest_days_earlier(app_ctx):
    install_rules({**SMALL_RULES, "weights": {"a": 1.0}})
    lead = LeadFactory(stage="won", created_at=CLOSE - timedelta(days=10), updated_at=CLOSE)
    activity(lead.member_id, "a", CLOSE - timedelta(days=20))
    activity(lead.member_id, "a", CLOSE - timedelta(days=40))  # after a half-life: 5 points
    closed_lead("lost")
    candidate = {**copy.deepcopy(SMALL_RULES), "weights": {"a": 6.0}}  # 6·½ + 6 = 9 at day −20
    result = backtest(candidate)
    assert result["candidate"]["median_days_earlier"] == pytest.approx(10.0, abs=0.01)
    assert result["current"]["median_days_earlier"] is None  # never qualifies under the current rules
    assert result["candidate"]["won_leads_qualified"] == 0  # by closing its score had decayed below 9


def test_routes_answer_and_period_applies(app, auth):
    with app.app_context():
        install_rules(SMALL_RULES)
        closed_lead("won", ["a"])
        closed_lead("lost", ["b"], closed_at=CLOSE - timedelta(days=60))
        db.session.commit()
    client = auth.client("marketer")
    insights = client.get("/api/v1/leads/scoring/insights").get_json()
    assert (insights["leads"], insights["won"]) == (2, 1)
    body = {"rules": SMALL_RULES, "from": (CLOSE - timedelta(days=1)).date().isoformat()}
    response = client.post("/api/v1/leads/scoring/backtest", json=body)
    assert response.status_code == 200, response.get_json()
    result = response.get_json()
    assert (result["leads"], result["won"], result["lost"]) == (1, 1, 0)
    assert result["candidate"]["auc"] is None  # one class only: nothing to rank
    assert result["candidate"]["recall"] == 1.0


def test_a_read_only_token_may_backtest(auth, client):
    marketer = auth.member("marketer")
    response = client.post(
        "/api/v1/leads/scoring/backtest", json={"rules": SMALL_RULES}, headers=auth.token(marketer, "read")
    )
    assert response.status_code == 200, response.get_json()
    assert response.get_json()["leads"] == 0


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({}, "rules"),
        ({"rules": "all"}, "rules"),
        ({"rules": {**SMALL_RULES, "weights": {"a": "lots"}}}, "rules"),
        ({"rules": {**SMALL_RULES, "thresholds": {"engaged": 9, "mql": 1}}}, "rules"),
        ({"rules": SMALL_RULES, "from": "yesterday"}, "from"),
        ({"rules": SMALL_RULES, "from": "2026-05-02", "to": "2026-05-01"}, "from"),
        ({"rules": SMALL_RULES, "extra": 1}, "extra"),
    ],
)
def test_backtest_bad_input(auth, body, field):
    response = auth.client("admin").post("/api/v1/leads/scoring/backtest", json=body)
    assert response.status_code == 422
    assert field in response.get_json()["errors"]


@pytest.mark.parametrize(("query", "field"), [("from=soon", "from"), ("form=2026-01-01", "form")])
def test_insights_bad_query(auth, query, field):
    response = auth.client("marketer").get(f"/api/v1/leads/scoring/insights?{query}")
    assert response.status_code == 422
    assert field in response.get_json()["errors"]
