"""Marketing pages: attribution over time and by group, the referral funnel and K-factor, rewards."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from flask import request

from console.blueprint import pages
from console.charts import bars, stacked_columns
from console.common import checked, humanize, load, render
from console.pages import MARKETING
from console.series import attribution_over_time, top_groups
from referrals.models import GROUPS, MODELS
from referrals.schemas.reports import AttributionArgsSchema, KFactorArgsSchema
from referrals.schemas.rewards import LedgerArgsSchema
from referrals.services import reports, rewards

attribution_schema = AttributionArgsSchema()
growth_schema = KFactorArgsSchema()
ledger_schema = LedgerArgsSchema()
DEFAULT_DAYS = 84  # twelve weekly columns
# What the attribution chart can show, as the report names its columns.
MEASURES = {
    "signups": "Credited signups",
    "leads": "Credited leads",
    "customers": "Credited customers",
    "revenue": "Credited revenue",
    "clicks": "Clicks",
}


def with_default_range(query) -> dict:
    data = query.to_dict()
    if not data.get("from"):
        data["from"] = (datetime.now(UTC) - timedelta(days=DEFAULT_DAYS - 1)).date().isoformat()
    return data


def last_day(end: datetime):
    """The last day a range ending at `end` covers ('to' is exclusive: midnight after the chosen day)."""
    return (end - timedelta(microseconds=1)).date()


@pages.page("/attribution", roles=MARKETING, title="Attribution", section="Marketing")
def attribution():
    """Credited conversions per referrer, campaign or channel under one model and window, over time."""
    data = with_default_range(request.args)
    measure = data.pop("measure", "signups")
    args, errors = load(attribution_schema, data)
    if measure not in MEASURES:
        errors = {**errors, "measure": [f"Must be one of: {', '.join(MEASURES)}."]}
    report, errors = checked(reports.attribution, **args) if not errors else (None, errors)
    if errors:
        return render("attribution.html", 422, errors=errors, report=None, **choices(measure, data.get("model")))
    labels, series = attribution_over_time(args, measure, top_groups(report["items"], measure))
    return render(
        "attribution.html",
        errors={},
        report=report,
        totals={name: sum(item[name] for item in report["items"]) for name in MEASURES},
        chart=stacked_columns(labels, series),
        last_day=last_day(args["end"]),
        **choices(measure, report["model"], report["window_days"]),
    )


def choices(measure: str, model: str | None, window: int | None = None) -> dict:
    """The switchers' options and what is chosen."""
    return {
        "model_options": [(name, humanize(name)) for name in MODELS],
        "window_options": [(days, f"{days} days") for days in reports.attribution_windows()],
        "groups": GROUPS,
        "measures": MEASURES,
        "measure": measure,
        "model": model,
        "window": window,
    }


@pages.page("/growth", roles=MARKETING, title="Funnel & K-factor", section="Marketing")
def growth():
    """The referral funnel, and the viral coefficient per period."""
    args, errors = load(growth_schema, with_default_range(request.args))
    k_factor, errors = checked(reports.k_factor, **args) if not errors else (None, errors)
    if errors:
        return render("growth.html", 422, errors=errors, funnel=None)
    funnel = reports.funnel(**{key: args[key] for key in ("start", "end", "include_flagged")})
    periods = [item["period_start"].strftime("%-d %b") for item in k_factor["items"]]
    return render(
        "growth.html",
        errors={},
        funnel=funnel,
        funnel_bars=bars([(humanize(step["step"]), step["count"], "") for step in funnel["steps"]]),
        k_factor=k_factor,
        k_chart=stacked_columns(periods, [("K-factor", [item["k_factor"] for item in k_factor["items"]])]),
        last_day=last_day(args["end"]),
    )


@pages.page("/rewards", roles=MARKETING, title="Rewards", section="Marketing")
def list_rewards():
    """The reward ledger, newest first, and its CSV export for payouts."""
    args, errors = load(ledger_schema, request.args)
    found, errors = checked(rewards.list_ledger, **args) if not errors else (None, errors)
    entries, next_cursor = found or ([], None)
    return render("rewards.html", 422 if errors else 200, entries=entries, next_cursor=next_cursor, errors=errors)
