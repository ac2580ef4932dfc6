"""Customer-health rules: a baseline, a points penalty per signal with its parameters, the at-risk line."""

from __future__ import annotations

import copy

import sqlalchemy as sa

from core.database import upsert_statement
from core.errors import ValidationFailed
from core.extensions import db
from core.models import utcnow
from core.tasks import enqueue_after_commit
from journey.models import HealthRules

RULES_ID = 1
RECOMPUTE_HEALTH_TASK = "journey.recompute_health"  # journey.tasks.recompute_health
# Penalties add up to the baseline at most, so health stays within 0-100 with no clamping and the
# reasons always add up to it exactly. A signal with 0 points is switched off.
DEFAULT_RULES = {
    "baseline": 100,
    "at_risk_below": 60,
    "signals": {
        "engagement_falling": {"points": -20, "recent_days": 30, "earlier_days": 90, "ratio": 0.5, "min_earlier": 3},
        "detractor": {"points": -20, "within_days": 365},
        "low_csat": {"points": -15, "at_most": 2, "within_days": 90},
        "low_ces": {"points": -15, "at_most": 3, "within_days": 90},
        "unanswered_question": {"points": -10, "after_days": 3, "within_days": 30},
        "silence": {"points": -20, "days": 30},
    },
}
SIGNALS = tuple(DEFAULT_RULES["signals"])


def current_rules() -> HealthRules:
    """The single rules row, made with the defaults on first use."""
    stmt = sa.select(HealthRules).where(HealthRules.id == RULES_ID)
    rules = db.session.scalar(stmt)
    if rules is None:
        table = HealthRules.__table__
        db.session.execute(
            upsert_statement(table)
            .values(id=RULES_ID, config=copy.deepcopy(DEFAULT_RULES), updated_at=utcnow())
            .on_conflict_do_nothing(index_elements=[table.c.id])
        )
        rules = db.session.scalar(stmt)
    return rules


def check_reachable(config: dict) -> None:
    penalties = sum(rule["points"] for rule in config["signals"].values())
    if config["baseline"] + penalties < 0:
        raise ValidationFailed(
            f"The penalties ({penalties}) exceed the baseline ({config['baseline']}): health could fall below 0.",
            field="signals",
        )


def update_rules(config: dict, actor_id: int) -> HealthRules:
    """Save the rules and recompute every customer's health under them in the background."""
    check_reachable(config)
    rules = current_rules()
    rules.config = copy.deepcopy(config)
    rules.updated_at, rules.updated_by_id = utcnow(), actor_id
    db.session.flush()
    enqueue_after_commit(RECOMPUTE_HEALTH_TASK)
    return rules
