"""Measure 3: cost of scoring one new activity, for a member with 10 activities vs one with 100,000."""

from __future__ import annotations

from itertools import cycle

from bench.harness import Row, alternating, median, ms, percentile, say, statements
from bench.populate import activities, building, members, scores_from_activities, scoring_rules, sized, vacuum_analyze

SMALL_HISTORY = 10
TYPES = ("pricing_viewed", "page_viewed", "content_shared", "reaction_given")  # capped and uncapped types


def build(url: str, history: int) -> None:
    with building(url, f"2 members with {SMALL_HISTORY} and {history:,} activities") as connection:
        members(connection, 1, 2)
        scoring_rules(connection)
        activities(connection, 1, 1, SMALL_HISTORY, 365, "small-")
        activities(connection, 2, 1, history, 365, "large-")
        scores_from_activities(connection, 1, 2)
        # Both are leads already, so each new activity takes the same path for both.
        connection.exec_driver_sql("UPDATE lead_scores SET stage = 'lead'")
        connection.exec_driver_sql(
            "INSERT INTO leads (member_id, stage, created_at, updated_at) SELECT id, 'mql', now(), now() FROM members"
        )
    vacuum_analyze(url, "lead_activities", "lead_scores", "leads", "members")


def recorder(member_id: int):
    from core.extensions import db
    from core.models import utcnow
    from leads.services.scoring import record_activity

    kinds = cycle(TYPES)

    def record() -> None:
        record_activity(member_id, next(kinds), utcnow(), source="bench")
        db.session.commit()

    return record


def run(app, url: str, scale: float) -> list[Row]:
    history = sized(100_000, scale, 100)
    build(url, history)
    from core.extensions import db

    with app.app_context():
        calls = {"small": recorder(1), "large": recorder(2)}
        with statements(db.engine) as seen:
            calls["large"]()
        say(f"scoring: recording activities in turn for both members ({len(seen)} statements each)")
        times = alternating(calls, minimum=50, maximum=500, budget=max(3.0, 20 * min(scale, 1)))
    small, large = times["small"], times["large"]
    return [
        Row(
            measure="3. scoring: record_activity + commit",
            size=f"{history:,} vs {SMALL_HISTORY} activities",
            peerloop=ms(median(large)),
            baseline=ms(median(small)),
            unit="ms/activity (p50)",
            target="ratio ≤ 1.2",
            met=median(large) / median(small) <= 1.2,
            notes=(
                f"{len(large)} activities each, in turn; p90 {ms(percentile(large, 90)):.2f} vs "
                f"{ms(percentile(small, 90)):.2f} ms; {len(seen)} SQL statements per activity"
            ),
            extra={"statements_per_activity": len(seen), "samples": len(large)},
        )
    ]
