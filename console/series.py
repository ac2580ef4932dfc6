"""Attribution over time: the referrals report, asked once per period, as chart series."""

from __future__ import annotations

import math
from datetime import datetime, timedelta

from referrals.services import reports

MAX_PERIODS = 16
TOP_SERIES = 5
OTHER = "Everyone else"


def periods(start: datetime, end: datetime) -> list[tuple[datetime, datetime]]:
    """At most MAX_PERIODS consecutive [start, end) spans covering the range: days, weeks, 30-day months, or wider."""
    days = (end - start).total_seconds() / 86400
    step = next((d for d in (1, 7, 30) if days / d <= MAX_PERIODS), math.ceil(days / MAX_PERIODS))
    edges, moment = [], start
    while moment < end:
        edges.append((moment, min(moment + timedelta(days=step), end)))
        moment += timedelta(days=step)
    return edges


def top_groups(items: list[dict], measure: str) -> list[dict]:
    ranked = sorted(items, key=lambda item: (-item[measure], item["label"]))
    return [item for item in ranked if item[measure] > 0][:TOP_SERIES]


def attribution_over_time(args: dict, measure: str, top: list[dict]) -> tuple[list[str], list[tuple[str, list]]]:
    """Period labels, and `measure` per period for each of the `top` groups and everyone else together."""
    labels, values = [], {item["key"]: [] for item in top}
    others: list[float] = []
    for start, end in periods(args["start"], args["end"]):
        report = reports.attribution(**{**args, "start": start, "end": end})
        found = {item["key"]: item[measure] for item in report["items"]}
        for key, column in values.items():
            column.append(found.pop(key, 0))
        others.append(sum(found.values()))
        labels.append(start.strftime("%-d %b"))
    series = [(item["label"], values[item["key"]]) for item in top]
    return labels, [*series, (OTHER, others)] if any(others) else series
