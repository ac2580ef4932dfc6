"""GET/PUT /leads/scoring and the background rescore (run in-process here)."""

import copy
from datetime import timedelta

import pytest
import sqlalchemy as sa

from core.extensions import db
from core.models import utcnow
from leads.models import Lead, MemberScore, ScoringJob
from leads.services import rescore as rescoring
from leads.services.rules import current_rules, decay_factor
from leads.services.scoring import record_activity
from leads.tasks import rescore
from tests.factories import MemberFactory
from tests.leads.conftest import RULES, install_rules


def test_get_returns_products_shape(auth):
    client = auth.client("marketer")
    body = client.get("/api/v1/leads/scoring").get_json()
    assert set(body) == {"weights", "daily_caps", "half_life_days", "thresholds", "fit_rules"}
    assert body["half_life_days"] == 30
    assert set(body["thresholds"]) == {"engaged", "mql"}


def test_put_saves_and_rescores_in_the_background(app, auth):
    with app.app_context():
        install_rules(RULES)
        member = MemberFactory(email="lee@globex.com")
        for days in (0, 30):
            record_activity(member.id, "post_created", utcnow() - timedelta(days=days), source="community")
        db.session.commit()
        member_id = member.id
    new = {**copy.deepcopy(RULES), "weights": {**RULES["weights"], "post_created": 10.0}, "half_life_days": 15}
    new["fit_rules"] = [{"attribute": "email_domain", "operator": "eq", "value": "business", "points": 7}]
    client = auth.client("admin")
    response = client.put("/api/v1/leads/scoring", json=new)
    assert response.status_code == 200, response.get_json()
    job = response.get_json()["rescore_job"]
    assert job["id"]
    assert client.get("/api/v1/leads/scoring").get_json()["weights"]["post_created"] == 10.0
    progress = client.get(f"/api/v1/leads/scoring/jobs/{job['id']}").get_json()
    assert (progress["status"], progress["progress"]) == ("succeeded", 1.0)
    with app.app_context():
        score = db.session.get(MemberScore, member_id)
        engagement = score.engagement_sum * decay_factor(current_rules())
        assert engagement == pytest.approx(10.0 + 10.0 / 4, rel=1e-3)
        assert score.fit == 7.0


def test_threshold_only_change_needs_no_rescore(app, auth):
    with app.app_context():
        install_rules(RULES)
        db.session.commit()
    response = auth.client("marketer").put(
        "/api/v1/leads/scoring", json={**RULES, "thresholds": {"engaged": 1, "mql": 2}}
    )
    assert response.status_code == 200
    assert response.get_json()["rescore_job"] is None


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"weights": None}, "weights"),
        ({"weights": {"post_created": "lots"}}, "weights"),
        ({"weights": {"": 1}}, "weights"),
        ({"half_life_days": 0}, "half_life_days"),
        ({"half_life_days": 99999}, "half_life_days"),
        ({"daily_caps": {"post_created": -1}}, "daily_caps"),
        ({"daily_caps": {f"type_{n}": 1 for n in range(201)}}, "daily_caps"),
        ({"weights": {"fit": 40}}, "weights"),
        ({"daily_caps": {"fit": 1}}, "daily_caps"),
        ({"thresholds": {"engaged": 10}}, "thresholds"),
        ({"thresholds": {"engaged": 50, "mql": 10}}, "thresholds"),
        ({"fit_rules": [{"attribute": "shoe_size", "operator": "eq", "value": 1, "points": 1}]}, "fit_rules"),
        ({"fit_rules": [{"attribute": "company_size", "operator": "contains", "value": 1, "points": 1}]}, "fit_rules"),
        ({"fit_rules": [{"attribute": "email_domain", "operator": "eq", "value": "mine", "points": 1}]}, "fit_rules"),
        ({"fit_rules": [{"attribute": "member_type", "operator": "eq", "value": "alien", "points": 1}]}, "fit_rules"),
        ({"fit_rules": [{"attribute": "job_title", "operator": "contains", "value": "cto"}]}, "fit_rules"),
        ({"surprise": 1}, "surprise"),
    ],
)
def test_put_rejects_bad_rules_naming_the_field(auth, change, field):
    response = auth.client("admin").put("/api/v1/leads/scoring", json={**RULES, **change})
    assert response.status_code == 422
    assert field in response.get_json()["errors"]


def test_unknown_job_is_404(auth):
    assert auth.client("admin").get("/api/v1/leads/scoring/jobs/424242").status_code == 404


def test_rescore_keeps_old_scores_until_the_swap_and_catches_late_activities(app_ctx):
    install_rules(RULES)
    early, late = MemberFactory(), MemberFactory()
    record_activity(early.id, "post_created", utcnow(), source="community")
    job = ScoringJob(config={**RULES, "weights": {**RULES["weights"], "post_created": 6.0}})
    db.session.add(job)
    current_rules().config = copy.deepcopy(job.config)
    db.session.flush()
    for low, high in rescoring.plan_chunks(job):
        rescoring.rescore_chunk(job, low, high)
    old = db.session.get(MemberScore, early.id).engagement_sum * decay_factor(current_rules())
    assert old == pytest.approx(3.0, rel=1e-6)  # shadow columns filled, the live score untouched
    record_activity(late.id, "post_created", utcnow(), source="community")  # arrives mid-rescore, old rules
    rescoring.finish_rescore(job)
    factor = decay_factor(current_rules())
    for member in (early, late):
        assert db.session.get(MemberScore, member.id).engagement_sum * factor == pytest.approx(6.0, rel=1e-3)
    assert job.status == "succeeded"


def test_rescore_that_lifts_members_over_mql_makes_them_leads(app_ctx):
    install_rules(RULES)
    member = MemberFactory()
    record_activity(member.id, "pricing_viewed", utcnow(), source="events")
    job = ScoringJob(config={**RULES, "weights": {**RULES["weights"], "pricing_viewed": 50.0}})
    db.session.add(job)
    current_rules().config = copy.deepcopy(job.config)
    db.session.flush()
    rescore(job.id)
    assert db.session.scalar(sa.select(Lead.stage).where(Lead.member_id == member.id)) == "mql"


def test_rescore_task_is_idempotent_and_an_older_job_yields_to_newer_rules(app_ctx):
    install_rules(RULES)
    member = MemberFactory()
    record_activity(member.id, "post_created", utcnow(), source="community")
    older = rescoring.update_rules({**RULES, "weights": {"post_created": 7.0}}, actor_id=None)[1]
    newer = rescoring.update_rules({**RULES, "weights": {"post_created": 9.0}}, actor_id=None)[1]
    rescore(older.id)  # the task runs in its own app context and session
    db.session.expire_all()
    assert older.status == "superseded"
    rescore(newer.id)
    rescore(newer.id)  # a redelivered task changes nothing
    db.session.expire_all()
    assert newer.status == "succeeded"
    score = db.session.get(MemberScore, member.id)
    assert score.engagement_sum * decay_factor(current_rules()) == pytest.approx(9.0, rel=1e-3)


def test_lowering_a_threshold_applies_at_once(app, auth):
    with app.app_context():
        install_rules(RULES)
        member = MemberFactory(email="th@acme.io")
        for _ in range(2):
            record_activity(member.id, "pricing_viewed", utcnow(), source="events")  # 16 points: engaged
        db.session.commit()
        member_id = member.id
    response = auth.client("marketer").put(
        "/api/v1/leads/scoring", json={**RULES, "thresholds": {"engaged": 5.0, "mql": 10.0}}
    )
    assert response.status_code == 200 and response.get_json()["rescore_job"] is None
    with app.app_context():
        assert db.session.get(MemberScore, member_id).stage == "lead"
        assert db.session.scalar(sa.select(Lead.member_id)) == member_id
