"""Customer-health rules: read by marketers, replaced by admins, validated, applied to everyone at once."""

import copy

import pytest

from core.extensions import db
from journey.services.rules import DEFAULT_RULES
from tests.factories import MemberFactory
from tests.journey.conftest import API, ago

RULES = f"{API}/customers/health/rules"


def rules(**changes) -> dict:
    config = copy.deepcopy(DEFAULT_RULES)
    for path, value in changes.items():
        *parents, key = path.split("__")
        target = config
        for name in parents:
            target = target[name]
        target[key] = value
    return config


def test_marketers_read_the_defaults(auth):
    assert auth.client("marketer").get(RULES).get_json() == DEFAULT_RULES


def test_an_admin_replaces_them_and_every_customer_is_judged_again(app, auth):
    with app.app_context():
        quiet = MemberFactory(member_type="customer", created_at=ago(100))
        db.session.commit()
        quiet_id = quiet.id
    admin, marketer = auth.client("admin"), auth.client("marketer")
    stricter = rules(signals__silence__points=-30, signals__detractor__points=-10, at_risk_below=75)
    saved = admin.put(RULES, json=stricter)
    assert saved.status_code == 200 and saved.get_json() == stricter
    assert marketer.get(RULES).get_json() == stricter
    listed = {i["member"]["id"]: i for i in marketer.get(f"{API}/customers/health").get_json()["items"]}
    assert (listed[quiet_id]["health"], listed[quiet_id]["status"]) == (70, "at_risk")  # recomputed at once


@pytest.mark.parametrize(
    ("config", "field"),
    [
        (rules(signals__silence__points=-21), "signals"),  # the penalties could take health below 0
        (rules(baseline=101), "baseline"),
        (rules(baseline="100"), "baseline"),
        (rules(at_risk_below=0), "at_risk_below"),
        (rules(signals__silence__points=5), "signals"),
        (rules(signals__silence__days=0), "signals"),
        (rules(signals__low_ces__at_most=8), "signals"),
        (rules(signals__low_csat__at_most=6), "signals"),
        (rules(signals__engagement_falling__ratio=1.5), "signals"),
        (rules(signals__unanswered_question__after_days=30), "signals"),  # not shorter than the window
        (rules(signals__silence__hours=3), "signals"),
        (rules(signals__churn={"points": -5}), "signals"),
        (rules(extra=1), "extra"),
        ({"baseline": 100, "at_risk_below": 60}, "signals"),
    ],
)
def test_bad_rules_are_refused_and_nothing_changes(auth, config, field):
    admin = auth.client("admin")
    response = admin.put(RULES, json=config)
    assert response.status_code == 422 and field in response.get_json()["errors"]
    assert admin.get(RULES).get_json() == DEFAULT_RULES


def test_a_signal_with_no_points_is_switched_off(app, auth):
    with app.app_context():
        quiet_id = MemberFactory(member_type="customer", created_at=ago(100)).id
        db.session.commit()
    auth.client("admin").put(RULES, json=rules(signals__silence__points=0))
    items = auth.client("marketer").get(f"{API}/customers/health").get_json()["items"]
    [item] = [i for i in items if i["member"]["id"] == quiet_id]
    assert (item["health"], [r["signal"] for r in item["reasons"]]) == (100, ["baseline"])
