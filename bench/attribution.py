"""Measure 6: the attribution report over 1,000,000 clicks and 100,000 conversions with stored
credit, API vs the same grouped reads in one raw SQL statement."""

from __future__ import annotations

import time
from datetime import timedelta

import psycopg

from bench.harness import Row, alternating, median, ms, percentile, say
from bench.populate import building, members, sized, staff_token, vacuum_analyze
from bench.top_leads import libpq_url
from core.models import utcnow

MODEL = "linear"
PATH = f"/api/v1/referrals/attribution?model={MODEL}&group_by=referrer"
MODELS = ("first_touch", "last_touch", "linear", "time_decay", "position_based")

# Shares in millionths for touch `position` of `n` under each model; each conversion's sum is exactly 10^6.
SHARES = {
    "first_touch": "CASE WHEN position = 0 THEN 1000000 ELSE 0 END",
    "last_touch": "CASE WHEN position = n - 1 THEN 1000000 ELSE 0 END",
    "linear": "1000000 / n + CASE WHEN position = n - 1 THEN mod(1000000, n) ELSE 0 END",
    "time_decay": "1000000 / n + CASE WHEN position = n - 1 THEN mod(1000000, n) ELSE 0 END",
    "position_based": (
        "CASE WHEN n = 1 THEN 1000000 WHEN n = 2 THEN 500000 WHEN position IN (0, n - 1) THEN 400000 ELSE 200000 END"
    ),
}


def build(url: str, referrers: int, clicks: int, signups: int, windows: tuple[int, ...]) -> None:
    visitors = max(10, clicks * 6 // 10)
    share = "CASE m.model " + " ".join(f"WHEN '{m}' THEN {sql}" for m, sql in SHARES.items()) + " END"
    with building(url, f"{clicks:,} clicks, {signups:,} referred signups with touches and credit") as c:
        members(c, 1, referrers + signups)
        c.exec_driver_sql(f"""
            INSERT INTO referral_clicks (occurred_at, code, referrer_id, visitor_id, channel, utm_source,
                                         utm_medium, ua_class, ip_hash)
            SELECT now() - random() * interval '28 days', 'bm' || r, r, 'v' || floor(random() * {visitors}),
                   'link', (ARRAY['newsletter', 'twitter', 'linkedin', NULL])[1 + floor(random() * 4)::int],
                   'referral', 'browser', md5(n::text)
            FROM generate_series(1, {clicks}) AS n
            CROSS JOIN LATERAL (SELECT 1 + floor(random() * {referrers})::int + 0 * n AS r) AS pick
        """)
        c.exec_driver_sql(f"""
            INSERT INTO referral_conversions (member_id, kind, occurred_at, referred_by_id, referral_code,
                                              visitor_id, flagged)
            SELECT {referrers} + j, 'signup', now() - random() * interval '25 days', r, 'bm' || r,
                   'v' || j, random() < 0.02
            FROM generate_series(1, {signups}) AS j
            CROSS JOIN LATERAL (SELECT 1 + floor(random() * {referrers})::int + 0 * j AS r) AS pick
        """)
        # One to three touches per signup, oldest first; the last one is the referrer of record.
        c.exec_driver_sql("""
            CREATE TEMPORARY TABLE touch_counts AS
            SELECT id AS conversion_id, occurred_at, referred_by_id, 1 + floor(random() * 3)::int AS n
            FROM referral_conversions WHERE kind = 'signup'
        """)
        c.exec_driver_sql(f"""
            INSERT INTO referral_touches (conversion_id, position, occurred_at, age_seconds, referrer_id, channel,
                                          utm_source, utm_medium)
            SELECT conversion_id, p, occurred_at - age * interval '1 second', age,
                   CASE WHEN p = n - 1 THEN referred_by_id ELSE 1 + floor(random() * {referrers})::int END,
                   'link', 'newsletter', 'referral'
            FROM touch_counts
            CROSS JOIN LATERAL generate_series(0, n - 1) AS p
            CROSS JOIN LATERAL (SELECT ((n - 1 - p) * 5 * 86400 + floor(random() * 5 * 86400))::bigint AS age) AS a
        """)
        # Credit per attribution window, each over the touches inside it (the newest ones), as stored.
        c.exec_driver_sql(f"""
            INSERT INTO referral_credits (conversion_id, window_days, model, touch_id, share)
            SELECT conversion_id, window_days, m.model, id, {share}
            FROM (
                SELECT t.conversion_id, t.id, w.days AS window_days,
                       count(*) OVER (PARTITION BY t.conversion_id, w.days) AS n,
                       t.position - (tc.n - count(*) OVER (PARTITION BY t.conversion_id, w.days)) AS position
                FROM referral_touches AS t JOIN touch_counts AS tc USING (conversion_id)
                CROSS JOIN unnest(ARRAY[{", ".join(map(str, windows))}]) AS w(days)
                WHERE t.age_seconds <= w.days * 86400
            ) AS inside
            CROSS JOIN unnest(ARRAY[{", ".join(f"'{m}'" for m in MODELS)}]) AS m(model)
        """)
        # Some referred members became leads (2 in 7) and customers (1 in 7): their credit is the signup's.
        # A day or three after the signup, but never later than now: no conversion is in the future.
        c.exec_driver_sql("""
            INSERT INTO referral_conversions (member_id, kind, occurred_at, referred_by_id, referral_code,
                                              visitor_id, flagged)
            SELECT s.member_id, k.kind, least(s.occurred_at + k.after * interval '1 day', now()), s.referred_by_id,
                   s.referral_code, s.visitor_id, s.flagged
            FROM referral_conversions AS s
            CROSS JOIN (VALUES ('lead', 1, 2), ('customer', 3, 1)) AS k(kind, after, every)
            WHERE s.kind = 'signup' AND mod(s.member_id, 7) < k.every
        """)
        c.exec_driver_sql("""
            INSERT INTO referral_credits (conversion_id, window_days, model, touch_id, share)
            SELECT later.id, credit.window_days, credit.model, credit.touch_id, credit.share
            FROM referral_conversions AS later
            JOIN referral_conversions AS signup ON signup.member_id = later.member_id AND signup.kind = 'signup'
            JOIN referral_credits AS credit ON credit.conversion_id = signup.id
            WHERE later.kind IN ('lead', 'customer')
        """)
    vacuum_analyze(url, "members", "referral_clicks", "referral_conversions", "referral_touches", "referral_credits")


def roll_up(app, url: str) -> float:
    """The rollups of the bulk-loaded rows, as `flask referrals rebuild-rollups` makes them; seconds taken."""
    from core.extensions import db
    from referrals.services import rollups

    started = time.monotonic()
    with app.app_context(), db.engine.begin() as connection:
        rollups.rebuild(connection)
    seconds = time.monotonic() - started
    say(f"rolled up clicks and credit in {seconds:.1f}s")
    vacuum_analyze(url, "referral_click_rollups", "referral_credit_rollups")
    return seconds


RAW_REPORT = """
    WITH clicks AS (
        SELECT referrer_id AS key, count(id) AS clicks, count(DISTINCT visitor_id) AS visitors
        FROM referral_clicks WHERE occurred_at >= %(start)s AND occurred_at < %(end)s
        GROUP BY referrer_id
    ), credit AS (
        SELECT t.referrer_id AS key,
               sum(cr.share) FILTER (WHERE cv.kind = 'signup') AS signups,
               sum(cr.share) FILTER (WHERE cv.kind = 'lead') AS leads,
               sum(cr.share) FILTER (WHERE cv.kind = 'customer') AS customers
        FROM referral_credits AS cr
        JOIN referral_touches AS t ON t.id = cr.touch_id
        JOIN referral_conversions AS cv ON cv.id = cr.conversion_id
        WHERE cr.model = %(model)s AND cr.window_days = %(window)s
          AND cv.occurred_at >= %(start)s AND cv.occurred_at < %(end)s AND NOT cv.flagged
        GROUP BY t.referrer_id
    )
    SELECT coalesce(clicks.key, credit.key) AS key, m.display_name, clicks.clicks, clicks.visitors,
           credit.signups, credit.leads, credit.customers
    FROM clicks FULL JOIN credit ON credit.key = clicks.key
    LEFT JOIN members AS m ON m.id = coalesce(clicks.key, credit.key)
"""


def same_numbers(body: dict, raw_rows) -> bool:
    """Every row of the API's report has the raw SQL's clicks, visitors and credit."""
    api = {
        item["key"]: (item["clicks"], item["unique_visitors"], item["signups"], item["leads"], item["customers"])
        for item in body["items"]
    }
    raw = {
        str(key): (clicks or 0, visitors or 0, *(round((c or 0) / 1_000_000, 6) for c in (signups, leads, customers)))
        for key, _, clicks, visitors, signups, leads, customers in raw_rows
    }
    if api != raw:
        say(f"attribution: API and raw SQL differ on {len(set(api.items()) ^ set(raw.items()))} rows")
    return api == raw


def explain_analyze(connection, params: dict) -> list[str]:
    rows = connection.execute("EXPLAIN (ANALYZE, BUFFERS OFF) " + RAW_REPORT, params).fetchall()
    return [row[0] for row in rows]


def run(app, url: str, scale: float) -> list[Row]:
    clicks, signups = sized(1_000_000, scale, 1000), sized(70_000, scale, 70)
    referrers = sized(5_000, scale, 10)
    from referrals.services.conversions import attribution_windows

    with app.app_context():
        windows = attribution_windows()
    build(url, referrers, clicks, signups, windows)
    rollup_seconds = roll_up(app, url)
    token = staff_token(app, "marketer@bench.example", "marketer", ["read"])
    headers = {"Authorization": f"Bearer {token}"}
    client = app.test_client()
    end = utcnow()
    params = {"start": end - timedelta(days=30), "end": end, "model": MODEL, "window": max(windows)}
    with psycopg.connect(libpq_url(url)) as raw:
        conversions = raw.execute("SELECT count(*) FROM referral_conversions").fetchone()[0]
        first = client.get(PATH, headers=headers)
        assert first.status_code == 200, first.get_data(as_text=True)
        items = len(first.get_json()["items"])
        same = same_numbers(first.get_json(), raw.execute(RAW_REPORT, params).fetchall())

        def api() -> None:
            assert client.get(PATH, headers=headers).status_code == 200

        def direct() -> None:
            raw.execute(RAW_REPORT, params).fetchall()

        say(f"attribution: {conversions:,} conversions, {items:,} report rows; API and raw SQL in turn")
        times = alternating({"api": api, "raw": direct}, minimum=10, maximum=200, budget=max(3.0, 40 * min(scale, 1)))
        plan = explain_analyze(raw, params)
    api_times, raw_times = times["api"], times["raw"]
    p50 = median(api_times)
    return [
        Row(
            measure=f"6. attribution report ({MODEL}, by referrer)",
            size=f"{clicks:,} clicks, {conversions:,} conversions, {items:,} rows",
            peerloop=ms(p50),
            baseline=ms(median(raw_times)),
            unit="ms (p50)",
            target="p50 ≤ 300 ms",
            met=ms(p50) <= 300,
            notes=(
                f"p99 {ms(percentile(api_times, 99)):.0f} vs {ms(percentile(raw_times, 99)):.0f} ms "
                f"({len(api_times)} requests); same numbers as the raw SQL: {'yes' if same else 'NO'}; "
                f"rollups built from the bulk load in {rollup_seconds:.1f}s; raw SQL plan: {plan[-1].strip()}"
            ),
            extra={"p99_ms": ms(percentile(api_times, 99)), "raw_plan": plan, "same_numbers": same},
        )
    ]
