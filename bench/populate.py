"""Set-based population builders: every row made by INSERT ... SELECT generate_series, never a Python loop.

Randomness comes from PostgreSQL's random() after setseed(), so a run at one scale builds the
same population every time.
"""

from __future__ import annotations

import re
import time
from contextlib import contextmanager

import sqlalchemy as sa

from bench.harness import say
from core.models import utcnow
from leads.services.common import days_since_unix
from leads.services.rules import DEFAULT_EPOCH_DAYS, DEFAULT_RULES

SEED = 0.42


def sized(base: int, scale: float, minimum: int = 1) -> int:
    return max(minimum, round(base * scale))


def engine_for(url: str) -> sa.Engine:
    return sa.create_engine(url)


@contextmanager
def building(url: str, what: str):
    """One transaction for a builder step, with its duration on stderr."""
    engine = engine_for(url)
    started = time.monotonic()
    try:
        with engine.begin() as connection:
            connection.exec_driver_sql(f"SELECT setseed({SEED})")
            connection.exec_driver_sql("SET LOCAL synchronous_commit = off")
            yield connection
    finally:
        engine.dispose()
    say(f"built {what} in {time.monotonic() - started:.1f}s")


def run(connection, sql: str, **params) -> None:
    """Integers are written into the SQL (psycopg would send small ones as smallint, which
    generate_series cannot choose an overload for); everything else is a bound parameter."""
    for name in [n for n, v in params.items() if isinstance(v, int) and not isinstance(v, bool)]:
        sql = re.sub(rf":{name}\b", str(int(params.pop(name))), sql)
    connection.execute(sa.text(sql), params)


def vacuum_analyze(url: str, *tables: str) -> None:
    engine = sa.create_engine(url, isolation_level="AUTOCOMMIT")
    started = time.monotonic()
    with engine.connect() as connection:
        for table in tables:
            connection.exec_driver_sql(f"VACUUM ANALYZE {table}")
    engine.dispose()
    say(f"vacuum analyze {', '.join(tables)} in {time.monotonic() - started:.1f}s")


def current_factor() -> float:
    """2^(−(now − E)/H) under the default rules: current engagement = S · this."""
    return 2.0 ** (-(days_since_unix(utcnow()) - DEFAULT_EPOCH_DAYS) / DEFAULT_RULES["half_life_days"])


def members(connection, first: int, count: int) -> None:
    """Members first..first+count-1: one in 50 an employee, half with a business email domain,
    some with a job title and company that fit rules match."""
    run(
        connection,
        """
        INSERT INTO members (id, email, email_normalized, display_name, referral_code, member_type,
                             company, job_title, created_at, updated_at)
        SELECT i, e, e, 'Bench member ' || i, 'bm' || i,
               CASE WHEN i % 50 = 0 THEN 'employee' WHEN i % 7 = 0 THEN 'prospect' ELSE 'customer' END,
               CASE WHEN i % 3 = 0 THEN 'Company ' || (i % 5000) END,
               CASE WHEN i % 11 = 0 THEN 'Head of Data' WHEN i % 5 = 0 THEN 'Engineer' END,
               now() - (i % 700) * interval '1 hour', now()
        FROM (
            SELECT i, 'm' || i || CASE WHEN i % 2 = 0 THEN '@gmail.com' ELSE '@co' || (i % 5000) || '.example' END AS e
            FROM generate_series(:first, :last) AS i
        ) AS numbered
        """,
        first=first,
        last=first + count - 1,
    )
    fix_sequence(connection, "members")


def fix_sequence(connection, table: str) -> None:
    connection.exec_driver_sql(
        f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), (SELECT coalesce(max(id), 1) FROM {table}))"
    )


def scoring_rules(connection) -> None:
    """The single rules row, as the service would make it on first use."""
    import json

    run(
        connection,
        """
        INSERT INTO lead_scoring_rules (id, config, active_config, epoch_days, updated_at)
        VALUES (1, CAST(:config AS json), CAST(:config AS json), :epoch, now())
        ON CONFLICT (id) DO NOTHING
        """,
        config=json.dumps(DEFAULT_RULES),
        epoch=DEFAULT_EPOCH_DAYS,
    )


def weight_case(column: str = "activity_type", weights: dict | None = None) -> str:
    """CASE <column> WHEN 'type' THEN weight ... ELSE 0 END, from a rules' weights."""
    weights = DEFAULT_RULES["weights"] if weights is None else weights
    whens = " ".join(f"WHEN '{kind}' THEN {float(w)!r}" for kind, w in weights.items())
    return f"(CASE {column} {whens} ELSE 0.0 END)"


ACTIVITY_TYPES = (
    "page_viewed", "page_viewed", "page_viewed", "post_created", "reaction_given", "reaction_received",
    "thread_created", "content_shared", "pricing_viewed", "recommendation_made", "answer_accepted", "demo_requested",
)  # fmt: skip


def activities(connection, member_first: int, member_count: int, count: int, days_back: float, prefix: str) -> None:
    """`count` scored activities spread over members member_first.., up to `days_back` days old."""
    types = "ARRAY[" + ", ".join(f"'{t}'" for t in ACTIVITY_TYPES) + "]"
    run(
        connection,
        f"""
        INSERT INTO lead_activities (message_id, member_id, source, activity_type, occurred_at, occurred_days,
                                     day, properties, scored, received_at)
        SELECT :prefix || n, member_id, 'bench', kind, at,
               extract(epoch FROM at) / 86400.0, floor(extract(epoch FROM at) / 86400.0)::int, '{{}}', true, at
        FROM (
            SELECT n, :member_first + (n % :member_count) AS member_id,
                   ({types})[1 + floor(random() * {len(ACTIVITY_TYPES)})::int] AS kind,
                   now() - random() * :days_back * interval '1 day' AS at
            FROM generate_series(1, :count) AS n
        ) AS generated
        """,
        prefix=prefix,
        member_first=member_first,
        member_count=member_count,
        count=count,
        days_back=days_back,
    )


def scores_from_activities(connection, member_first: int, member_count: int) -> None:
    """lead_scores rows whose S is the sum of the members' epoch-relative points under the default
    weights (caps not applied), fit from the default fit rules' spirit, and stages consistent with
    the default thresholds."""
    factor = current_factor()
    thresholds = DEFAULT_RULES["thresholds"]
    run(
        connection,
        f"""
        INSERT INTO lead_scores (member_id, engagement_sum, fit, stage, organization, last_activity_at)
        SELECT m.id, coalesce(a.s, 0.0), f.fit,
               CASE WHEN coalesce(a.s, 0.0) * :factor + f.fit >= :mql AND m.member_type <> 'employee' THEN 'lead'
                    WHEN coalesce(a.s, 0.0) * :factor + f.fit >= :engaged THEN 'engaged'
                    ELSE 'member' END,
               {organization_sql()}, a.last_at
        FROM members AS m
        CROSS JOIN LATERAL ({fit_sql()}) AS f
        LEFT JOIN (
            SELECT member_id, sum({weight_case()} * power(2.0, (occurred_days - :epoch) / :h)) AS s,
                   max(occurred_at) AS last_at
            FROM lead_activities WHERE member_id BETWEEN :first AND :last GROUP BY member_id
        ) AS a ON a.member_id = m.id
        WHERE m.id BETWEEN :first AND :last
        """,
        factor=factor,
        mql=thresholds["mql"],
        engaged=thresholds["engaged"],
        first=member_first,
        last=member_first + member_count - 1,
        epoch=DEFAULT_EPOCH_DAYS,
        h=float(DEFAULT_RULES["half_life_days"]),
    )


def fit_sql() -> str:
    """The default fit rules for member m (business domain 10, senior title 5)."""
    return """
        SELECT (CASE WHEN m.email_normalized NOT LIKE '%@gmail.com' THEN 10.0 ELSE 0.0 END
              + CASE WHEN lower(coalesce(m.job_title, '')) LIKE '%head%' THEN 5.0 ELSE 0.0 END) AS fit
    """


def organization_sql() -> str:
    return (
        "CASE WHEN m.company IS NOT NULL THEN lower(m.company) "
        "WHEN m.email_normalized NOT LIKE '%@gmail.com' THEN split_part(m.email_normalized, '@', 2) END"
    )


def leads_for_lead_stage(connection) -> None:
    """A lead for every member whose score stage is `lead`, spread over the lead stages."""
    run(
        connection,
        """
        INSERT INTO leads (member_id, stage, created_at, updated_at)
        SELECT member_id, (ARRAY['mql', 'mql', 'sal', 'sql', 'won', 'lost'])[1 + floor(random() * 6)::int],
               now() - random() * interval '90 days', now()
        FROM lead_scores WHERE stage = 'lead' ORDER BY member_id
        """,
    )


def scores_synthetic(connection, member_first: int, member_count: int) -> None:
    """lead_scores without a ledger behind them: current engagement 0..100 skewed low (S = e / factor)."""
    run(
        connection,
        f"""
        INSERT INTO lead_scores (member_id, engagement_sum, fit, stage, organization, last_activity_at)
        SELECT m.id, e.s, f.fit,
               CASE WHEN e.s * :factor + f.fit >= :mql AND m.member_type <> 'employee' THEN 'lead'
                    WHEN e.s * :factor + f.fit >= :engaged THEN 'engaged'
                    ELSE 'member' END,
               {organization_sql()}, now() - random() * interval '60 days'
        FROM members AS m
        CROSS JOIN LATERAL ({fit_sql()}) AS f
        CROSS JOIN LATERAL (SELECT 80.0 * power(random(), 4) / :factor + 0 * m.id AS s) AS e
        WHERE m.id BETWEEN :first AND :last
        """,
        factor=current_factor(),
        mql=DEFAULT_RULES["thresholds"]["mql"],
        engaged=DEFAULT_RULES["thresholds"]["engaged"],
        first=member_first,
        last=member_first + member_count - 1,
    )


def staff_token(app, email: str, role: str, scopes: list[str]) -> str:
    """A staff member with `role` and an API token with `scopes`, made through the real services."""
    from core.accounts import services
    from core.extensions import db

    with app.app_context():
        member = services.create_member(email, None, f"Bench {role}", roles=(role,), member_type="employee")
        token = services.create_token(member, "bench", scopes)
        db.session.commit()
        return token.plaintext
