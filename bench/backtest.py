"""Measure 8: a backtest of candidate rules over the leads closed in a period, replaying 1,000,000
activities through the service, vs one plain SQL aggregate over the same ledger rows."""

from __future__ import annotations

import copy
import time

from bench.harness import Row, median, say
from bench.populate import activities, building, engine_for, members, scoring_rules, sized, vacuum_analyze
from bench.populate import run as run_sql
from bench.rescore import ACTIVITIES_PER_MEMBER
from leads.services.rules import DEFAULT_RULES

REPEAT = 3
TARGET_SECONDS = 10.0  # "answers in seconds" at scale 1


def candidate_rules() -> dict:
    config = copy.deepcopy(DEFAULT_RULES)
    config["weights"].update(demo_requested=45.0, pricing_viewed=12.0, page_viewed=0.5)
    return config


def closed_leads(connection) -> None:
    """Every member a lead that closed in the last 30 days, MQL up to 60 days before that; members
    who requested a demo win more often, so the scores have something to find."""
    run_sql(
        connection,
        """
        INSERT INTO leads (member_id, stage, created_at, updated_at)
        SELECT m.id,
               CASE WHEN random() < CASE WHEN d.member_id IS NULL THEN 0.15 ELSE 0.45 END THEN 'won'
                    WHEN random() < 0.2 THEN 'disqualified' ELSE 'lost' END,
               closed_at - random() * interval '60 days', closed_at
        FROM (SELECT id, now() - random() * interval '30 days' AS closed_at FROM members) AS m
        LEFT JOIN (SELECT DISTINCT member_id FROM lead_activities WHERE activity_type = 'demo_requested') AS d
               ON d.member_id = m.id
        """,
    )


def build(url: str, count: int) -> int:
    people = max(10, count // ACTIVITIES_PER_MEMBER)
    with building(url, f"{count:,} activities of {people:,} members, each a closed lead") as connection:
        members(connection, 1, people)
        scoring_rules(connection)
        activities(connection, 1, people, count, 180, "b-")
        closed_leads(connection)
    vacuum_analyze(url, "members", "lead_activities", "leads")
    return people


def aggregate_sql() -> str:
    """Every member's decayed sum of weights over the ledger: the replay's arithmetic, no windows."""
    whens = " ".join(f"WHEN '{kind}' THEN {float(w)!r}" for kind, w in DEFAULT_RULES["weights"].items())
    return f"""
        SELECT count(*), sum(s) FROM (
            SELECT member_id, sum((CASE activity_type {whens} ELSE 0.0 END)
                                  * power(2.0, (occurred_days - 20000.0) / 30.0)) AS s
            FROM lead_activities WHERE member_id IS NOT NULL GROUP BY member_id
        ) AS sums
    """


def baseline(url: str) -> list[float]:
    engine = engine_for(url)
    times = []
    try:
        with engine.connect() as connection:
            for _ in range(REPEAT):
                started = time.perf_counter()
                connection.exec_driver_sql(aggregate_sql()).all()
                times.append(time.perf_counter() - started)
    finally:
        engine.dispose()
    return times


def through_service(app) -> tuple[list[float], dict]:
    from core.extensions import db
    from leads.services.backtest import backtest

    times, result = [], {}
    with app.app_context():
        for _ in range(REPEAT):
            started = time.perf_counter()
            result = backtest(candidate_rules())
            times.append(time.perf_counter() - started)
            db.session.rollback()
    return times, result


def run(app, url: str, scale: float) -> list[Row]:
    count = sized(1_000_000, scale, 1000)
    people = build(url, count)
    say(f"backtest: one SQL aggregate over {count:,} activities, {REPEAT} times")
    base = baseline(url)
    say(f"backtest: the service over {people:,} closed leads, {REPEAT} times")
    times, result = through_service(app)
    candidate, current = result["candidate"], result["current"]
    return [
        Row(
            measure="8. scoring backtest (replay, both rule sets)",
            size=f"{count:,} activities, {result['leads']:,} closed leads",
            peerloop=median(times),
            baseline=median(base),
            unit="s",
            target=f"≤ {TARGET_SECONDS:g} s",
            met=median(times) <= TARGET_SECONDS,
            notes=(
                f"runs {', '.join(f'{t:.2f}' for t in times)}s; aggregate {', '.join(f'{t:.2f}' for t in base)}s; "
                f"AUC candidate {candidate['auc']} vs current {current['auc']}, "
                f"won qualified {candidate['won_leads_qualified']:,} vs {current['won_leads_qualified']:,}"
            ),
            extra={"runs": times, "baseline_runs": base, "result": result},
        )
    ]
