"""Backtest: replay the activity ledger under candidate rules and the current ones, and measure
how well each score at closing time separates won leads from lost ones.

The replay is one statement: closed leads joined with their activities before closing and with the
rules as a VALUES table (a row per activity type, a weight and daily cap per variant); daily caps
are a row_number per member, type and day, decay is power(2, −age/H) in SQL, and a running sum per
lead finds when each variant's score first crossed its MQL threshold. Only the per-lead results
come back to Python. The method and its caveats are in docs/leads.md.
"""

from __future__ import annotations

import statistics
from datetime import datetime

import sqlalchemy as sa

from core.accounts.models import Member
from core.extensions import db
from leads.models import Activity, MemberScore
from leads.services.insights import ratio, rounded
from leads.services.outcomes import closed_leads
from leads.services.rules import current_rules, fit_expression

VARIANTS = ("candidate", "current")
# Activities more than this many half-lives before closing weigh under 2^-500 of their points:
# left out, so no power() in the replay can overflow or underflow a double.
HORIZON_HALF_LIVES = 500.0
REPLAY_WORK_MEM = "64MB"
TINY_POINTS = 1e-9  # weights closer to 0 than this replay as 0 (their products could underflow)


def rules_table(configs: dict[str, dict]):
    """The rules of both variants as rows (activity_type, <variant>_weight, <variant>_cap, ...)."""
    weights = [config["weights"] for config in configs.values()]
    kinds = sorted({kind for given in weights for kind, weight in given.items() if abs(weight) >= TINY_POINTS})
    columns = [sa.column("activity_type", sa.String)]
    for name in VARIANTS:
        columns += [sa.column(f"{name}_weight", sa.Float), sa.column(f"{name}_cap", sa.Integer)]

    def row(kind):
        values = [kind]
        for name in VARIANTS:
            weight = float(configs[name]["weights"].get(kind, 0.0))
            values += [weight if abs(weight) >= TINY_POINTS else 0.0, configs[name]["daily_caps"].get(kind)]
        return tuple(values)

    rows = [row(kind) for kind in kinds] or [(None,) + (0.0, None) * len(VARIANTS)]  # joins nothing
    if db.session.get_bind().dialect.name == "postgresql":
        return sa.values(*columns, name="rules").data(rows)
    # SQLite cannot name a VALUES list's columns: the same rows as a UNION ALL of SELECTs.
    selects = [sa.select(*[sa.literal(v, c.type).label(c.name) for v, c in zip(r, columns, strict=True)]) for r in rows]
    return sa.union_all(*selects).subquery("rules")


def closed_with_fit(configs: dict[str, dict], start: datetime | None, end: datetime | None):
    """The closed leads, with each variant's fit points and the engagement it needs to reach MQL."""
    closed = closed_leads(start, end)
    columns = []
    for name in VARIANTS:
        fit = fit_expression(configs[name]["fit_rules"])
        columns += [fit.label(f"{name}_fit"), (float(configs[name]["thresholds"]["mql"]) - fit).label(f"{name}_needed")]
    return (
        sa.select(closed, *columns)
        .join(Member, Member.id == closed.c.member_id)
        .outerjoin(MemberScore, MemberScore.member_id == closed.c.member_id)
        .cte("closed_with_fit")
    )


def ranked_ledger(leads, configs: dict[str, dict]):
    """Each closed lead's activities before closing whose type some variant weighs, with both
    variants' weight and cap, and the activity's rank in its member's day for its type."""
    rules = rules_table(configs)
    # A VALUES column of NULLs only is text to PostgreSQL: say what each column holds.
    variant_rules = [
        sa.cast(rules.c[f"{name}_{part}"], kind).label(f"{name}_{part}")
        for name in VARIANTS
        for part, kind in (("weight", sa.Float), ("cap", sa.Integer))
    ]
    rank = sa.func.row_number().over(
        partition_by=(Activity.member_id, Activity.activity_type, Activity.day),
        order_by=(Activity.occurred_at, Activity.id),
    )
    needed = [leads.c[f"{name}_needed"] for name in VARIANTS]
    return (
        sa.select(leads.c.lead_id, leads.c.closed_days, *needed, Activity.id, Activity.occurred_days, *variant_rules)
        .add_columns(rank.label("rank"))
        .join(Activity, sa.and_(Activity.member_id == leads.c.member_id, Activity.occurred_at < leads.c.closed_at))
        .join(rules, rules.c.activity_type == Activity.activity_type)
        .subquery("ranked")
    )


def replay(configs: dict[str, dict], start: datetime | None, end: datetime | None) -> list:
    """Per closed lead: won, mql_days and, per variant, fit, engagement at closing and the day its
    score first reached the MQL threshold (None if never). One statement."""
    leads = closed_with_fit(configs, start, end)
    ranked = ranked_ledger(leads, configs)
    needed = [ranked.c[f"{name}_needed"] for name in VARIANTS]
    terms = sa.select(ranked.c.lead_id, ranked.c.id, ranked.c.occurred_days, *needed, *variant_terms(ranked, configs))
    terms = terms.subquery("terms")
    running = sa.select(terms, *variant_running(terms)).subquery("running")
    per_lead = sa.select(running.c.lead_id, *variant_totals(running)).group_by(running.c.lead_id).subquery("per_lead")
    outcome = [leads.c.lead_id, leads.c.won, leads.c.mql_days]
    for name in VARIANTS:
        outcome += [
            leads.c[f"{name}_fit"],
            sa.func.coalesce(per_lead.c[f"{name}_engagement"], 0.0).label(f"{name}_engagement"),
            per_lead.c[f"{name}_crossed"],
        ]
    stmt = sa.select(*outcome).outerjoin(per_lead, per_lead.c.lead_id == leads.c.lead_id).order_by(leads.c.lead_id)
    widen_sort_memory()
    return db.session.execute(stmt).all()


def widen_sort_memory() -> None:
    """The replay sorts the ledger rows twice (daily caps, then running sums): give this
    transaction's sorts room in memory on PostgreSQL instead of spilling them to disk."""
    if db.session.get_bind().dialect.name == "postgresql":
        db.session.execute(sa.text(f"SET LOCAL work_mem = '{REPLAY_WORK_MEM}'"))


def variant_terms(ranked, configs: dict[str, dict]) -> list:
    """Each variant's points (0 past the daily cap) decayed to the closing time, and the age in half-lives."""
    columns = []
    for name in VARIANTS:
        cap = ranked.c[f"{name}_cap"]
        points = sa.case((sa.and_(cap.is_not(None), ranked.c.rank > cap), 0.0), else_=ranked.c[f"{name}_weight"])
        age = (ranked.c.closed_days - ranked.c.occurred_days) / float(configs[name]["half_life_days"])
        decayed = sa.case((age < HORIZON_HALF_LIVES, points * sa.func.power(2.0, -age)), else_=0.0)
        columns += [decayed.label(f"{name}_term"), age.label(f"{name}_age")]
    return columns


def variant_running(terms) -> list:
    """Σ of a lead's terms up to each activity (still decayed to the closing time)."""
    window = {"partition_by": terms.c.lead_id, "order_by": (terms.c.occurred_days, terms.c.id), "rows": (None, 0)}
    return [sa.func.sum(terms.c[f"{name}_term"]).over(**window).label(f"{name}_running") for name in VARIANTS]


def variant_totals(running) -> list:
    """Engagement at closing, and the first activity after which score ≥ the MQL threshold: the
    running sum brought back from closing time to that activity's time, plus fit."""
    columns = []
    for name in VARIANTS:
        age = running.c[f"{name}_age"]
        needed = running.c[f"{name}_needed"]
        # A CASE, not an AND: only a CASE keeps power() from seeing an age past the horizon.
        at_activity = sa.case((age < HORIZON_HALF_LIVES, running.c[f"{name}_running"] * sa.func.power(2.0, age)))
        reached = at_activity >= needed
        columns += [
            sa.func.sum(running.c[f"{name}_term"]).label(f"{name}_engagement"),
            sa.func.min(sa.case((reached, running.c.occurred_days), else_=None)).label(f"{name}_crossed"),
        ]
    return columns


def auc(scores: list[tuple[float, bool]]) -> float | None:
    """Area under the ROC curve: the chance a won lead outscores a lost one, ties counting half
    (Mann-Whitney U from average ranks)."""
    positives = sum(1 for _, won in scores if won)
    negatives = len(scores) - positives
    if not positives or not negatives:
        return None
    ordered = sorted(scores, key=lambda pair: pair[0])
    rank_sum, index = 0.0, 0
    while index < len(ordered):
        end = index
        while end + 1 < len(ordered) and ordered[end + 1][0] == ordered[index][0]:
            end += 1
        average_rank = (index + end) / 2 + 1
        rank_sum += average_rank * sum(1 for _, won in ordered[index : end + 1] if won)
        index = end + 1
    return (rank_sum - positives * (positives + 1) / 2) / (positives * negatives)


def variant_figures(rows: list, name: str, threshold: float) -> dict:
    scores = [(round(row[f"{name}_engagement"] + row[f"{name}_fit"], 9), bool(row["won"])) for row in rows]
    qualified = [won for score, won in scores if score >= threshold]
    won_qualified = sum(qualified)
    won = sum(1 for _, won in scores if won)
    earlier = [
        row["mql_days"] - row[f"{name}_crossed"] for row in rows if row["won"] and row[f"{name}_crossed"] is not None
    ]
    return {
        "mql_threshold": threshold,
        "auc": rounded(auc(scores)),
        "precision": rounded(ratio(won_qualified, len(qualified))),
        "recall": rounded(ratio(won_qualified, won)),
        "won_leads_qualified": won_qualified,
        "median_days_earlier": rounded(statistics.median(earlier), 2) if earlier else None,
    }


def backtest(candidate: dict, start: datetime | None = None, end: datetime | None = None) -> dict:
    """The candidate rules and the current ones, side by side, over the leads closed in [start, end)."""
    configs = {"candidate": candidate, "current": current_rules().config}
    rows = [row._mapping for row in replay(configs, start, end)]
    won = sum(1 for row in rows if row["won"])
    result = {"from": start, "to": end, "leads": len(rows), "won": won, "lost": len(rows) - won}
    for name in VARIANTS:
        result[name] = variant_figures(rows, name, float(configs[name]["thresholds"]["mql"]))
    return result
