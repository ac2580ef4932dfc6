"""Measure 4: the top-100 leads by current score out of 1,000,000 members, API vs the same SQL run raw."""

from __future__ import annotations

import re

import psycopg

from bench.harness import Row, alternating, median, ms, percentile, say, statements
from bench.populate import (
    building,
    leads_for_lead_stage,
    members,
    scores_synthetic,
    scoring_rules,
    sized,
    staff_token,
    vacuum_analyze,
)

PATH = "/api/v1/leads?limit=100&sort=score"
PLAN_LINES = 6


def build(url: str, count: int) -> None:
    with building(url, f"{count:,} members with scores, and their leads") as connection:
        members(connection, 1, count)
        scoring_rules(connection)
        scores_synthetic(connection, 1, count)
        leads_for_lead_stage(connection)
    vacuum_analyze(url, "members", "lead_scores", "leads")


def libpq_url(url: str) -> str:
    from sqlalchemy.engine import make_url

    return make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)


def listing_statements(app, client, headers) -> list[tuple[str, dict]]:
    """Every statement one list request sends to the driver (auth, rules, ranking, loading)."""
    from core.extensions import db

    client.get(PATH, headers=headers)  # the token's last_used_at is written once, not on every request
    with app.app_context(), statements(db.engine) as seen:
        response = client.get(PATH, headers=headers)
        assert response.status_code == 200, response.get_data(as_text=True)
    return [(sql, params) for sql, params in seen]


def explain(connection, sql: str, params) -> list[str]:
    with connection.cursor() as cursor:
        cursor.execute("EXPLAIN " + sql, params)
        return [row[0] for row in cursor.fetchall()]


def sorts_everything(plan: list[str]) -> bool:
    """A Sort node (not an Incremental Sort fed by an index) means the whole candidate set is sorted."""
    return any(re.match(r"^\s*(->\s+)?Sort\b", line) for line in plan)


def ranking_plans(connection, sent: list[tuple[str, dict]]) -> list[list[str]]:
    """EXPLAIN of each statement that orders lead_scores rows (the ranking), largest plan first. (The
    fit-level look-up sorts the few distinct fit values its loose index scan found, not leads.)"""
    plans = [explain(connection, sql, params) for sql, params in sent if RANKING.search(sql)]
    return sorted(plans, key=len, reverse=True)


RANKING = re.compile(r"ORDER BY lead_scores\.")


def run(app, url: str, scale: float) -> list[Row]:
    count = sized(1_000_000, scale, 1000)
    build(url, count)
    token = staff_token(app, "seller@bench.example", "sales", ["read"])
    headers = {"Authorization": f"Bearer {token}"}
    client = app.test_client()
    sent = listing_statements(app, client, headers)
    with psycopg.connect(libpq_url(url)) as raw:
        plans = ranking_plans(raw, sent)
        leads = raw.execute("SELECT count(*) FROM leads").fetchone()[0]

        def api() -> None:
            response = client.get(PATH, headers=headers)
            assert response.status_code == 200

        def direct() -> None:
            for sql, params in sent:
                raw.execute(sql, params).fetchall()
            raw.rollback()

        say(f"top_leads: {leads:,} leads; API and its {len(sent)} statements sent raw, in turn")
        times = alternating({"api": api, "raw": direct}, minimum=30, maximum=300, budget=max(3.0, 25 * min(scale, 1)))
    api_times, raw_times = times["api"], times["raw"]
    p50, ratio = median(api_times), median(api_times) / median(raw_times)
    sorted_all = any(sorts_everything(plan) for plan in plans)
    plan = plans[0] if plans else ["(no ordered statement on lead_scores)"]
    return [
        Row(
            measure="4. top-100 leads: GET /leads?sort=score",  # baseline: the same statements sent raw
            size=f"{count:,} members, {leads:,} leads",
            peerloop=ms(p50),
            baseline=ms(median(raw_times)),
            unit="ms (p50)",
            target="p50 ≤ 50 ms, ratio ≤ 2, index scan",
            met=ms(p50) <= 50 and ratio <= 2 and not sorted_all,
            notes=(
                f"p99 {ms(percentile(api_times, 99)):.1f} vs {ms(percentile(raw_times, 99)):.1f} ms "
                f"({len(api_times)} requests, {len(sent)} statements each, {len(plans)} ordering lead_scores rows); "
                f"plan: " + " | ".join(line.strip() for line in plan[:PLAN_LINES])
            ),
            extra={
                "p99_ms": ms(percentile(api_times, 99)),
                "raw_p99_ms": ms(percentile(raw_times, 99)),
                "sorts_whole_set": sorted_all,
                "statements": len(sent),
                "plans": plans,
                "sql": [sql for sql, _ in sent],
            },
        )
    ]
