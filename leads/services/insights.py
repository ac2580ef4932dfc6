"""Scoring insights: how much more often leads that did an activity were won, and what weight
that evidence suggests. The method (and its caveats) is in docs/leads.md."""

from __future__ import annotations

import math
from datetime import datetime

import sqlalchemy as sa

from core.extensions import db
from leads.models import Activity
from leads.services.outcomes import closed_leads
from leads.services.rules import current_rules

# Pseudo-leads at the overall won rate added to each side before the rates are compared: a type
# seen on 3 leads, all won, moves its rate a little, not to 100%.
PRIOR_LEADS = 10
# Below this many closed leads with (or without) a type there is no suggestion: the weight stays.
MIN_SUPPORT = 5
# Suggested points for a type that doubles the won rate, as a share of the MQL threshold.
DOUBLING_SHARE_OF_MQL = 0.25
MAX_POINTS = 1000.0  # the rules schema's bound on a weight


def ratio(part: float, whole: float) -> float | None:
    return part / whole if whole else None


def rounded(value: float | None, places: int = 4) -> float | None:
    return None if value is None else round(value, places)


def type_counts(closed) -> dict[str, tuple[int, int]]:
    """{activity type: (closed leads with it before closing, won ones among them)}, one grouped read."""
    done = (
        sa.select(closed.c.lead_id, closed.c.won, Activity.activity_type)
        .join(Activity, sa.and_(Activity.member_id == closed.c.member_id, Activity.occurred_at < closed.c.closed_at))
        .distinct()
        .subquery()
    )
    won = sa.func.sum(sa.case((done.c.won, 1), else_=0))
    stmt = sa.select(done.c.activity_type, sa.func.count(), won).group_by(done.c.activity_type)
    return {kind: (int(leads), int(won or 0)) for kind, leads, won in db.session.execute(stmt)}


def smoothed_lift(leads_with: int, won_with: int, leads: int, won: int) -> float | None:
    """Won rate with the type over won rate without it, each pulled towards the overall rate by
    PRIOR_LEADS pseudo-leads; None when there is too little evidence to compare."""
    leads_without, won_without = leads - leads_with, won - won_with
    if min(leads_with, leads_without) < MIN_SUPPORT or won in (0, leads):
        return None
    overall = won / leads
    rate_with = (won_with + PRIOR_LEADS * overall) / (leads_with + PRIOR_LEADS)
    rate_without = (won_without + PRIOR_LEADS * overall) / (leads_without + PRIOR_LEADS)
    return rate_with / rate_without


def suggested_weight(lift: float | None, weight: float, mql_threshold: float) -> float:
    """Points proportional to log2 of the smoothed lift (a quarter of the MQL threshold per
    doubling); the current weight when there is no evidence either way."""
    if lift is None:
        return weight
    points = DOUBLING_SHARE_OF_MQL * mql_threshold * math.log2(lift)
    return round(max(-MAX_POINTS, min(MAX_POINTS, points)), 1)


def insight(kind: str, counts: tuple[int, int], leads: int, won: int, config: dict) -> dict:
    leads_with, won_with = counts
    rate_with = ratio(won_with, leads_with)
    rate_without = ratio(won - won_with, leads - leads_with)
    lift = smoothed_lift(leads_with, won_with, leads, won)
    weight = float(config["weights"].get(kind, 0.0))
    return {
        "activity_type": kind,
        "leads_with": leads_with,
        "won_with": won_with,
        "won_rate_with": rounded(rate_with),
        "won_rate_without": rounded(rate_without),
        "lift": rounded(ratio(rate_with, rate_without)) if rate_with is not None else None,
        "smoothed_lift": rounded(lift),
        "enough_data": lift is not None,
        "weight": weight,
        "suggested_weight": suggested_weight(lift, weight, config["thresholds"]["mql"]),
    }


def scoring_insights(start: datetime | None = None, end: datetime | None = None) -> dict:
    """Per activity type, the won rate of closed leads with and without it, best predictors first."""
    config = current_rules().config
    closed = closed_leads(start, end)
    leads, won = db.session.execute(
        sa.select(sa.func.count(), sa.func.coalesce(sa.func.sum(sa.case((closed.c.won, 1), else_=0)), 0))
    ).one()
    counts = type_counts(closed)
    kinds = set(counts) | set(config["weights"])
    items = [insight(kind, counts.get(kind, (0, 0)), leads, won, config) for kind in kinds]
    items.sort(key=lambda item: (not item["enough_data"], -(item["smoothed_lift"] or 0.0), item["activity_type"]))
    return {
        "from": start,
        "to": end,
        "leads": leads,
        "won": won,
        "won_rate": rounded(ratio(won, leads)),
        "min_support": MIN_SUPPORT,
        "prior_leads": PRIOR_LEADS,
        "items": items,
    }
