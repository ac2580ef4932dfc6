"""Chart geometry and the attribution series, at their own level."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from console.charts import axis, bars, line_chart, stacked_columns
from console.series import MAX_PERIODS, OTHER, TOP_SERIES, attribution_over_time, periods, top_groups
from core.models import utcnow
from referrals.services.conversions import attribute_signup
from tests.factories import MemberFactory
from tests.referrals.factories import ClickFactory

START = datetime(2026, 3, 1, tzinfo=UTC)


def test_bars_share_one_scale_with_negatives_left_of_zero():
    drawn = bars([("demo", 30.0, ""), ("unsubscribed", -10.0, ""), ("pricing", 5.0, "")])
    demo, unsubscribed, pricing = drawn
    assert (demo.start, demo.width) == pytest.approx((25.0, 75.0))
    assert (unsubscribed.start, unsubscribed.width) == pytest.approx((0.0, 25.0)) and unsubscribed.negative
    assert (pricing.start, pricing.width) == pytest.approx((25.0, 12.5))


def test_bars_of_nothing_draw_nothing():
    assert [(bar.start, bar.width) for bar in bars([("fit", 0.0, "")])] == [(0.0, 0.0)]
    assert bars([]) == []


@pytest.mark.parametrize(
    ("high", "expected"),
    [(0, (1.0, 0.25)), (1, (1.0, 0.5)), (3, (3.0, 1.0)), (5, (6.0, 2.0)), (97, (100.0, 50.0)), (0.013, (0.015, 0.005))],
)
def test_axis_steps_are_round_numbers(high, expected):
    assert axis(high) == pytest.approx(expected)


def test_columns_stack_series_and_scale_to_the_axis():
    chart = stacked_columns(["w1", "w2"], [("Ann", [1.0, 3.0]), ("Ben", [1.0, 0.0])], width=248, height=140)
    plot = chart.bottom - 12  # from the top margin to the baseline
    first_ann, first_ben, second_ann = chart.segments
    assert (first_ann.name, first_ben.name, second_ann.name) == ("Ann", "Ben", "Ann")
    assert first_ann.height == pytest.approx(plot / 3) and first_ben.y + first_ben.height == pytest.approx(first_ann.y)
    assert second_ann.height == pytest.approx(plot)  # 3 is the top of the axis
    assert [value for _, value in chart.ticks] == [0, 1, 2, 3]
    assert chart.legend == [(0, "Ann"), (1, "Ben")]


def test_columns_leave_out_zero_and_negative_values():
    chart = stacked_columns(["w1"], [("Ann", [0.0]), ("Ben", [-2.0])])
    assert chart.segments == [] and [value for _, value in chart.ticks][-1] == 1.0


def test_many_periods_label_only_some_columns():
    chart = stacked_columns([f"d{n}" for n in range(16)], [("x", [1.0] * 16)])
    assert [label for _, label in chart.labels] == [f"d{n}" for n in range(0, 16, 2)]


def test_lines_sit_on_their_fixed_scale_with_a_zero_line():
    chart = line_chart(["Jan", "Feb", "Mar"], [("NPS", [-100.0, 0.0, 50.0])], low=-100, high=100, step=50, height=228)
    # the plot runs from y=12 (100) to y=200 (-100): 0.94 px per point; slots of 712/3 px from x=48
    assert [(round(p.x, 1), round(p.y, 1), p.value) for p in chart.points] == [
        (166.7, 200.0, -100.0),
        (404.0, 106.0, 0.0),
        (641.3, 59.0, 50.0),
    ]
    assert chart.zero == pytest.approx(106.0)
    assert [value for _, value in chart.ticks] == [-100, -50, 0, 50, 100]
    assert chart.lines == [(0, "NPS", "M166.7 200.0 L404.0 106.0 L641.3 59.0")]


def test_a_period_without_a_value_breaks_the_line():
    chart = line_chart(["a", "b", "c", "d"], [("CES", [2.0, None, 3.0, 4.0])], low=1, high=7, step=1)
    path = chart.lines[0][2]
    assert [p.period for p in chart.points] == ["a", "c", "d"]
    assert path.count("M") == 2 and path.count("L") == 1  # a alone, then c joined to d
    assert chart.zero is None  # the scale 1-7 does not cross zero


def test_values_off_the_scale_are_drawn_at_its_edge():
    chart = line_chart(["a", "b"], [("CSAT", [120.0, -5.0])], low=0, high=100, step=25)
    top, bottom = chart.ticks[-1][0], chart.ticks[0][0]
    assert [p.y for p in chart.points] == [top, bottom] and [p.value for p in chart.points] == [120.0, -5.0]


@pytest.mark.parametrize(
    ("days", "step", "count"), [(7, 1, 7), (84, 7, 12), (100, 7, 15), (365, 30, 13), (900, 57, 16)]
)
def test_periods_cover_the_range_in_at_most_sixteen_steps(days, step, count):
    spans = periods(START, START + timedelta(days=days))
    assert len(spans) == count <= MAX_PERIODS
    assert spans[0][0] == START and spans[-1][1] == START + timedelta(days=days)
    assert all(a[1] == b[0] for a, b in zip(spans, spans[1:], strict=False))
    assert spans[0][1] - spans[0][0] == timedelta(days=step)


def test_top_groups_leave_out_groups_without_credit():
    items = [{"key": str(n), "label": f"g{n}", "signups": float(n % 4)} for n in range(10)]
    top = top_groups(items, "signups")
    assert len(top) == TOP_SERIES and all(item["signups"] > 0 for item in top)
    assert [item["signups"] for item in top] == [3.0, 3.0, 2.0, 2.0, 1.0]


def test_attribution_over_time_splits_stored_credit_by_period(app_ctx):
    """Two signups a week apart, each credited half to Ann and half to Ben (linear), in weekly columns."""
    ann, ben = MemberFactory(display_name="Ann"), MemberFactory(display_name="Ben")
    now = utcnow()
    for days_ago in (10, 3):
        first = ClickFactory(referrer=ann, days_ago=days_ago + 1)
        ClickFactory(referrer=ben, days_ago=days_ago + 0.5, visitor_id=first.visitor_id)
        attribute_signup(MemberFactory(), visitor_id=first.visitor_id, at=now - timedelta(days=days_ago))
    args = {"model": "linear", "group_by": "referrer", "start": now - timedelta(days=21), "end": now}
    top = [{"key": str(ann.id), "label": "Ann"}]
    labels, series = attribution_over_time(args, "signups", top)
    assert len(labels) == 3 and labels[0] == args["start"].strftime("%-d %b")
    assert series == [("Ann", [0, 0.5, 0.5]), (OTHER, [0, 0.5, 0.5])]
    assert attribution_over_time({**args, "model": "first_touch"}, "signups", top)[1] == [("Ann", [0, 1.0, 1.0])]
