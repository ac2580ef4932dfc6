"""Customer pages: the journey funnel by discovery channel, the voice of the customer over time (NPS,
CSAT, CES), and the customers at risk with the reasons that add up to their health."""

from __future__ import annotations

from datetime import UTC, datetime

from flask import request

from community.schemas.feedback import FeedbackSummaryArgsSchema, NpsArgsSchema
from community.services import feedback, nps, products, threads
from console.blueprint import pages
from console.charts import bars, line_chart
from console.common import checked, humanize, load, number, render
from console.pages import MARKETING
from journey.models import AT_RISK, CHANNELS, HEALTHY, STAGES
from journey.schemas.health import HealthListArgsSchema
from journey.schemas.journeys import JourneyFunnelArgsSchema
from journey.services import funnel, health

SECTION = "Customers"
funnel_schema = JourneyFunnelArgsSchema()
nps_schema = NpsArgsSchema()
summary_schema = FeedbackSummaryArgsSchema()
health_schema = HealthListArgsSchema()
MONTHS_SHOWN = 12  # the voice of the customer opens on the last twelve months
CHOICES = 100  # products and categories offered as filters


@pages.page("/journey", roles=MARKETING, title="Journey funnel", section=SECTION)
def journey_funnel():
    """Members per journey stage and median days from discovery; every discovery channel side by side."""
    args, errors = load(funnel_schema, request.args)
    report, errors = checked(funnel.journey_funnel, **args) if not errors else (None, errors)
    channel_options = [("", "Every channel"), *((channel, humanize(channel)) for channel in CHANNELS)]
    if errors:
        return render("journey.html", 422, errors=errors, report=None, channel_options=channel_options)
    span = {"start": args["start"], "end": args["end"]}
    return render(
        "journey.html",
        errors={},
        report=report,
        channel_options=channel_options,
        stage_bars=bars([(humanize(i["stage"]), i["members"], days_after(i)) for i in report["items"]]),
        by_channel=[channel_row(c, funnel.journey_funnel(discovered_via=c, **span)) for c in CHANNELS],
    )


def days_after(item: dict) -> str:
    median = item["median_days_from_discovery"]
    return "" if median is None or item["stage"] == STAGES[0] else f"median {number(median)} days"


def channel_row(channel: str, report: dict) -> dict:
    """One channel's funnel as a row: members and median days per stage, and discovery → conversion."""
    stages = {item["stage"]: item for item in report["items"]}
    discovered, converted = stages[STAGES[0]]["members"], stages["conversion"]["members"]
    return {"channel": channel, "stages": stages, "converted": converted / discovered if discovered else None}


def month_label(key: str) -> str:
    return datetime.strptime(key, "%Y-%m").strftime("%b %Y")


def opening_month() -> str:
    now = datetime.now(UTC)
    months = now.year * 12 + now.month - 1 - (MONTHS_SHOWN - 1)
    return f"{months // 12:04d}-{months % 12 + 1:02d}-01"


def without(data: dict, name: str) -> dict:
    return {key: value for key, value in data.items() if key != name}


@pages.page("/voice", roles=MARKETING, title="Voice of the customer", section=SECTION)
def voice_of_the_customer():
    """NPS, CSAT and CES per month (NPS of one product, CSAT and CES of one category, if chosen)."""
    data = {"from": opening_month(), **request.args.to_dict()}
    nps_args, errors = load(nps_schema, without(data, "category"))
    summary_args, summary_errors = load(summary_schema, without(data, "product_id"))
    errors = {**errors, **summary_errors}
    nps_report, errors = checked(nps.nps_report, **nps_args) if not errors else (None, errors)
    summary, errors = checked(feedback.feedback_summary, **summary_args) if not errors else (None, errors)
    filters = {
        "products": products.list_products(limit=CHOICES, cursor=None)[0],
        "categories": threads.list_categories(limit=CHOICES, cursor=None)[0],
        "chosen": data,
    }
    if errors:
        return render("voice.html", 422, errors=errors, **filters)
    return render(
        "voice.html", errors={}, nps_report=nps_report, summary=summary, **filters, **voice_charts(nps_report, summary)
    )


def voice_charts(nps_report: dict, summary: dict) -> dict:
    """The months of both reports, the three charts on them (each on its own scale), and the figures."""
    by_nps = {item["key"]: item for item in nps_report["items"]}
    by_rating = {item["key"]: item for item in summary["items"]}
    months = sorted(by_nps.keys() | by_rating.keys())
    labels = [month_label(key) for key in months]

    def series(report: dict, name: str) -> list:
        return [report[key][name] if key in report else None for key in months]

    counts = ("responses", "promoters", "passives", "detractors")
    latest = next((key for key in reversed(months) if by_rating.get(key, {}).get("responses")), None)
    return {
        "months": [(key, month_label(key), by_nps.get(key), by_rating.get(key)) for key in reversed(months)],
        "nps_chart": line_chart(labels, [("NPS", series(by_nps, "nps"))], low=-100, high=100, step=50),
        "csat_chart": line_chart(labels, [("CSAT", series(by_rating, "csat"))], low=0, high=100, step=25, height=180),
        "ces_chart": line_chart(labels, [("CES", series(by_rating, "ces"))], low=1, high=7, step=1, height=180),
        "nps_total": nps.nps_figures([sum(item[name] for item in nps_report["items"]) for name in counts]),
        "ratings": sum(item["responses"] for item in summary["items"]),
        "latest": (month_label(latest), by_rating[latest]) if latest else None,
    }


@pages.page("/customers/at-risk", roles=MARKETING, title="Customers at risk", section=SECTION)
def customers_at_risk():
    """Customers by health, worst first, with the reasons that add up to it (those at risk unless asked)."""
    data = {"status": AT_RISK, **request.args.to_dict()}
    args, errors = load(health_schema, data)
    found, errors = checked(health.list_health, **args) if not errors else (None, errors)
    customers, next_cursor = found or ([], None)
    return render(
        "at_risk.html",
        422 if errors else 200,
        customers=customers,
        next_cursor=next_cursor,
        errors=errors,
        counts=health.status_counts(),
        status=data["status"],
        statuses=[(status, humanize(status)) for status in (AT_RISK, HEALTHY)],
    )
