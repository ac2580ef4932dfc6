"""Measure 5: a full rescore of 1,000,000 activities through the service path the Celery task
takes, vs one SQL aggregate over the same rows."""

from __future__ import annotations

import copy
import math
import time
from contextlib import contextmanager

import sqlalchemy as sa

from bench.harness import Row, median, say
from bench.populate import (
    activities,
    building,
    engine_for,
    leads_for_lead_stage,
    members,
    scores_from_activities,
    scoring_rules,
    sized,
    vacuum_analyze,
    weight_case,
)
from leads.services.rules import DEFAULT_RULES

ACTIVITIES_PER_MEMBER = 10
BASELINE_REPEAT = 3


def new_rules() -> dict:
    """What a marketer might change: heavier pricing page and demo request, lighter page views."""
    config = copy.deepcopy(DEFAULT_RULES)
    config["weights"].update(pricing_viewed=10.0, demo_requested=35.0, page_viewed=0.5)
    return config


def build(url: str, count: int) -> int:
    people = max(10, count // ACTIVITIES_PER_MEMBER)
    with building(url, f"{count:,} activities of {people:,} members, their scores and leads") as connection:
        members(connection, 1, people)
        scoring_rules(connection)
        activities(connection, 1, people, count, 180, "a-")
        scores_from_activities(connection, 1, people)
        leads_for_lead_stage(connection)
    vacuum_analyze(url, "members", "lead_activities", "lead_scores", "leads")
    return people


def aggregate_sql(config: dict) -> str:
    """Every member's new epoch-relative sum, in one statement, kept in a temporary table."""
    return f"""
        CREATE TEMPORARY TABLE bench_rescore AS
        SELECT member_id, sum({weight_case("activity_type", config["weights"])}
                              * power(2.0, (occurred_days - {float(config["epoch_days"])!r})
                                           / {float(config["half_life_days"])!r})) AS engagement_sum
        FROM lead_activities WHERE member_id IS NOT NULL GROUP BY member_id
    """


def capped_sql(config: dict) -> str:
    """The daily-capped sums the rescore computes (leads.services.points, the same SQL), alone, into
    a temporary table: how far above the plain aggregate the caps' window alone puts any rescore."""
    from sqlalchemy.dialects import postgresql

    from leads.services.points import scored_activities

    scored = scored_activities(config, config["epoch_days"], details=False)
    sums = sa.select(scored.c.member_id, sa.func.sum(scored.c.decayed).label("engagement_sum"))
    compiled = sums.group_by(scored.c.member_id).compile(
        dialect=postgresql.dialect(), compile_kwargs={"literal_binds": True}
    )
    return f"CREATE TEMPORARY TABLE bench_rescore AS {compiled}"


def baseline(url: str, sql: str) -> list[float]:
    engine = engine_for(url)
    times = []
    try:
        for _ in range(BASELINE_REPEAT):
            with engine.begin() as connection:
                started = time.perf_counter()
                connection.exec_driver_sql(sql)
                times.append(time.perf_counter() - started)
                connection.exec_driver_sql("DROP TABLE bench_rescore")
    finally:
        engine.dispose()
    return times


@contextmanager
def profiled_advance():
    """Time finish_rescore's advance_after_rescore and count the members whose stage it moves
    (as sets: leads.services.stages.advance_stages)."""
    from leads.services import rescore

    originals = (rescore.advance_after_rescore, rescore.advance_stages)
    tally = {"calls": 0, "seconds": 0.0}

    def advance_after(rules):
        started = time.perf_counter()
        try:
            return originals[0](rules)
        finally:
            tally["seconds"] = time.perf_counter() - started

    def advance_stages(standings, rules):
        tally["calls"] += len(standings)
        return originals[1](standings, rules)

    rescore.advance_after_rescore, rescore.advance_stages = advance_after, advance_stages
    try:
        yield tally
    finally:
        rescore.advance_after_rescore, rescore.advance_stages = originals


def rescore_through_service(app, config: dict) -> dict:
    """What leads.tasks.rescore does, phase by phase: plan, each chunk committed, finish committed."""
    from core.extensions import db
    from leads.models import ScoringJob
    from leads.services import rescore as rescoring
    from leads.services.rules import current_rules

    with app.app_context():
        rules = current_rules()
        rules.config = config
        job = ScoringJob(config=config, status="pending")
        db.session.add(job)
        db.session.commit()
        phases = {}
        started = time.perf_counter()
        chunks = rescoring.plan_chunks(job)
        db.session.commit()
        phases["plan"] = time.perf_counter() - started
        for low, high in chunks:
            rescoring.rescore_chunk(job, low, high)
            db.session.commit()
        phases["chunks"] = time.perf_counter() - started - phases["plan"]
        mark = time.perf_counter()
        with profiled_advance() as advance:
            rescoring.finish_rescore(job)
            db.session.commit()
        phases["finish"] = time.perf_counter() - mark
        phases["total"] = time.perf_counter() - started
        phases["advance_s"], phases["advance_calls"] = advance["seconds"], advance["calls"]
        phases["swap_s"] = phases["finish"] - advance["seconds"]
        phases["chunk_count"] = len(chunks)
        phases["leads_after"] = db.session.scalar(sa.text("SELECT count(*) FROM leads"))
    return phases


def run(app, url: str, scale: float) -> list[Row]:
    count = sized(1_000_000, scale, 1000)
    people = build(url, count)
    config = new_rules()
    from core.extensions import db
    from core.models import utcnow
    from leads.services.common import days_since_unix

    # The aggregate uses the epoch plan_chunks will pick (today), so both compute the same sums.
    epoch = float(math.floor(days_since_unix(utcnow())))
    with app.app_context():
        leads_before = db.session.scalar(sa.text("SELECT count(*) FROM leads"))
    say(f"rescore: one SQL aggregate over {count:,} activities, {BASELINE_REPEAT} times")
    base = baseline(url, aggregate_sql({**config, "epoch_days": epoch}))
    say(f"rescore: the same sums with the daily caps (the service's SQL, alone), {BASELINE_REPEAT} times")
    capped = baseline(url, capped_sql({**config, "epoch_days": epoch}))
    say(f"rescore: the service path over {count:,} activities of {people:,} members")
    phases = rescore_through_service(app, config)
    ratio = phases["total"] / median(base)
    return [
        Row(
            measure="5. full rescore (plan, chunks, finish)",
            size=f"{count:,} activities, {people:,} members",
            peerloop=phases["total"],
            baseline=median(base),
            unit="s",
            target="ratio ≤ 2",
            met=ratio <= 2,
            notes=(
                f"{phases['chunk_count']} chunks {phases['chunks']:.2f}s, swap {phases['swap_s']:.2f}s, "
                f"stage advance {phases['advance_s']:.2f}s over {phases['advance_calls']:,} members, as sets "
                f"(leads {leads_before:,} → {phases['leads_after']:,}); "
                f"aggregate runs {', '.join(f'{t:.2f}' for t in base)}s; "
                f"the capped sums alone (no writes) {median(capped):.2f}s = {median(capped) / median(base):.1f}× "
                f"the aggregate, the swap alone {phases['swap_s'] / median(base):.1f}×"
            ),
            extra={"phases": phases, "baseline_runs": base, "capped_runs": capped, "leads_before": leads_before},
        )
    ]
