"""The signals of customer health, each read set-based for a batch of customers and judged by its rule.

Each judge returns a reason {signal, detail, points} or None. What counts as a member's own activity
leaves out what happens *to* them (a reaction received, someone signing up with their link) and
identify calls, which an integration makes about them.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from community.services import products, voice
from core.signals import REACTION_RECEIVED, REFERRAL_SIGNUP
from leads.services import history

NOT_THEIR_DOING = (REACTION_RECEIVED, REFERRAL_SIGNUP, "identify")


def days(n: float) -> timedelta:
    return timedelta(days=n)


def gather(member_ids: list[int], signals: dict, now: datetime) -> dict[str, dict]:
    """What every judge needs for these members, a few grouped queries in all."""
    falling = signals["engagement_falling"]
    recent_start = now - days(falling["recent_days"])
    earlier_start = recent_start - days(falling["earlier_days"])
    rating_days = max(signals["low_csat"]["within_days"], signals["low_ces"]["within_days"])
    unanswered = signals["unanswered_question"]
    scores = voice.latest_recommendations(member_ids, since=now - days(signals["detractor"]["within_days"]))
    return {
        "recent": history.activity_counts(member_ids, start=recent_start, end=None, excluded_types=NOT_THEIR_DOING),
        "earlier": history.activity_counts(
            member_ids, start=earlier_start, end=recent_start, excluded_types=NOT_THEIR_DOING
        ),
        "last": history.last_activity_at(member_ids, excluded_types=NOT_THEIR_DOING),
        "ratings": voice.latest_ratings(member_ids, since=now - days(rating_days)),
        "scores": scores,
        "products": products.product_names([score["product_id"] for score in scores.values()]),
        "unanswered": voice.unanswered_questions(
            member_ids,
            asked_since=now - days(unanswered["within_days"]),
            asked_before=now - days(unanswered["after_days"]),
        ),
    }


def reason(signal: str, detail: str, points: int) -> dict:
    return {"signal": signal, "detail": detail, "points": points}


def engagement_falling(member, facts, rule, now):
    earlier, recent = facts["earlier"].get(member.id, 0), facts["recent"].get(member.id, 0)
    usual = earlier * rule["recent_days"] / rule["earlier_days"]  # their earlier pace, per recent window
    if earlier < rule["min_earlier"] or recent >= rule["ratio"] * usual:
        return None
    detail = (
        f"{recent} {'activity' if recent == 1 else 'activities'} in the last {rule['recent_days']} days, "
        f"against {usual:.1f} per {rule['recent_days']} days in the {rule['earlier_days']} days before"
    )
    return reason("engagement_falling", detail, rule["points"])


def detractor(member, facts, rule, now):
    latest = facts["scores"].get(member.id)
    if latest is None or latest["score"] > 6:
        return None
    product = facts["products"].get(latest["product_id"], f"product {latest['product_id']}")
    detail = f"Scored {product} {latest['score']}/10 on {latest['updated_at']:%Y-%m-%d}"
    return reason("detractor", detail, rule["points"])


def low_rating(name: str, field: str, scale: int):
    def judge(member, facts, rule, now):
        latest = facts["ratings"].get(member.id)
        if latest is None or latest["updated_at"] < now - days(rule["within_days"]) or latest[field] > rule["at_most"]:
            return None
        detail = f"Rated the help on thread {latest['thread_id']} {field.upper()} {latest[field]}/{scale}"
        return reason(name, f"{detail} on {latest['updated_at']:%Y-%m-%d}", rule["points"])

    return judge


def unanswered_question(member, facts, rule, now):
    found = facts["unanswered"].get(member.id)
    if found is None:
        return None
    waiting = (now - found["oldest_at"]).days
    noun = "question" if found["count"] == 1 else "questions"
    return reason("unanswered_question", f"{found['count']} {noun} unanswered, the oldest for {waiting} days",
                  rule["points"])  # fmt: skip


def silence(member, facts, rule, now):
    last = facts["last"].get(member.id)
    since = last or member.created_at
    quiet = (now - since).days
    if quiet < rule["days"]:
        return None
    detail = f"No activity for {quiet} days" if last else f"No activity since joining {quiet} days ago"
    return reason("silence", detail, rule["points"])


JUDGES = {
    "engagement_falling": engagement_falling,
    "detractor": detractor,
    "low_csat": low_rating("low_csat", "csat", 5),
    "low_ces": low_rating("low_ces", "ces", 7),
    "unanswered_question": unanswered_question,
    "silence": silence,
}


def judge(member, facts: dict, config: dict, now: datetime) -> tuple[int, list[dict]]:
    """(health, reasons): the baseline and every penalty that applies, adding up to the health exactly."""
    reasons = [reason("baseline", "Every customer starts here", config["baseline"])]
    for name, rule in config["signals"].items():
        found = JUDGES[name](member, facts, rule, now) if rule["points"] else None
        if found is not None:
            reasons.append(found)
    return sum(r["points"] for r in reasons), reasons
