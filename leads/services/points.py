"""Each activity's points under a set of rules, in SQL: what a rescore sums per member and what the
explanation of a score shows. Points are never stored per activity, so the two cannot disagree.

An activity earns its type's weight, or 0 past the type's daily cap; the order within a day is
arrival order (the ledger id), as incremental scoring counts it (leads.services.scoring)."""

from __future__ import annotations

import sqlalchemy as sa

from leads.models import Activity


def points_case(config: dict, activity_type, rank):
    weights, caps = config["weights"], config["daily_caps"]
    weight = sa.case(weights, value=activity_type, else_=0.0) if weights else sa.literal(0.0)
    if not caps:
        return weight
    cap = sa.case(caps, value=activity_type, else_=None)
    return sa.case((sa.and_(cap.is_not(None), rank > cap), 0.0), else_=weight)


SUMMED = (Activity.member_id, Activity.activity_type, Activity.occurred_days)
DETAILS = (Activity.id, Activity.occurred_at, Activity.source, Activity.subject_type, Activity.subject_id)


def scored_activities(config: dict, epoch_days: float, *where, details: bool = True) -> sa.Subquery:
    """The activities `where` selects with `points` and `decayed` (points · 2^((t − E)/H), relative
    to the epoch E the sums use); with `details`, what the explanation lists too (a rescore only
    sums). Every row is ranked within its member's type and day: ix_lead_activities_member_scores
    holds them in that order, so one index range feeds the window without a sort (a union of the
    capped and uncapped types read the range twice). Caps rank a member's whole day, whatever
    `where` keeps of it, so `where` should select whole members."""
    columns = (*SUMMED, *DETAILS) if details else SUMMED
    rank = sa.func.row_number().over(
        partition_by=(Activity.member_id, Activity.activity_type, Activity.day), order_by=Activity.id
    )
    ranked = sa.select(*columns, rank.label("rank")).where(Activity.member_id.is_not(None), *where).subquery("ranked")
    points = points_case(config, ranked.c.activity_type, ranked.c.rank)
    exponent = (ranked.c.occurred_days - sa.literal(float(epoch_days))) / sa.literal(float(config["half_life_days"]))
    decayed = points * sa.func.power(sa.literal(2.0), exponent)
    return sa.select(ranked, points.label("points"), decayed.label("decayed")).subquery("scored")
