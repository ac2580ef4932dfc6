"""The five attribution models: exact definitions, and credit that always sums to exactly 1."""

from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from referrals.models import CREDIT_UNIT, MODELS, STANDARD_WINDOWS
from referrals.services.attribution import credit_shares, to_shares, window_shares

CONVERTED = datetime(2026, 11, 1, tzinfo=UTC)


def days_before(*days: float) -> list[datetime]:
    return [CONVERTED - timedelta(days=d) for d in days]


@pytest.mark.parametrize("model", MODELS)
def test_one_touch_gets_everything(model):
    assert credit_shares(model, days_before(3), CONVERTED) == [CREDIT_UNIT]


@pytest.mark.parametrize(
    ("model", "expected"),
    [
        ("first_touch", [1_000_000, 0, 0, 0]),
        ("last_touch", [0, 0, 0, 1_000_000]),
        ("linear", [250_000, 250_000, 250_000, 250_000]),
        ("position_based", [400_000, 100_000, 100_000, 400_000]),
    ],
)
def test_four_touches(model, expected):
    assert credit_shares(model, days_before(20, 10, 5, 1), CONVERTED) == expected


def test_position_based_splits_two_touches_evenly():
    assert credit_shares("position_based", days_before(9, 2), CONVERTED) == [500_000, 500_000]


def test_time_decay_halves_every_seven_days_before_the_conversion():
    # Weights 2^-2, 2^-1, 2^0 for touches 14, 7 and 0 days old: 1/7, 2/7, 4/7.
    shares = credit_shares("time_decay", days_before(14, 7, 0), CONVERTED)
    assert shares == [142_857, 285_714, 571_429]


def test_linear_rounding_still_sums_to_one():
    shares = credit_shares("linear", days_before(3, 2, 1), CONVERTED)
    assert sorted(shares) == [333_333, 333_333, 333_334] and sum(shares) == CREDIT_UNIT


def test_a_conversion_needs_a_touch():
    with pytest.raises(ValueError):
        credit_shares("linear", [], CONVERTED)


touch_ages = st.lists(st.floats(min_value=0, max_value=120, allow_nan=False), min_size=1, max_size=60)
windows = st.one_of(st.sampled_from(STANDARD_WINDOWS), st.integers(min_value=1, max_value=365))


@given(ages=touch_ages, model=st.sampled_from(MODELS))
def test_credit_sums_to_exactly_one_and_is_never_negative(ages, model):
    shares = credit_shares(model, sorted(days_before(*ages)), CONVERTED)
    assert sum(shares) == CREDIT_UNIT
    assert len(shares) == len(ages) and all(share >= 0 for share in shares)


touch_seconds = st.lists(st.integers(min_value=0, max_value=120 * 86400), min_size=1, max_size=60)


@given(ages=touch_seconds, model=st.sampled_from(MODELS), window=windows)
def test_credit_in_every_window_sums_to_exactly_one_over_its_own_touches(ages, model, window):
    ages = sorted(ages, reverse=True)  # oldest first, as touches are stored
    times = [CONVERTED - timedelta(seconds=age) for age in ages]
    shares = window_shares(model, times, CONVERTED, window)
    inside = [i for i, age in enumerate(ages) if age <= window * 86400]
    assert sorted(shares) == inside  # exactly the touches inside the window, none outside
    if inside:
        assert sum(shares.values()) == CREDIT_UNIT and all(share >= 0 for share in shares.values())
        assert list(shares.values()) == credit_shares(model, [times[i] for i in inside], CONVERTED)


@pytest.mark.parametrize("model", MODELS)
def test_a_narrow_window_recomputes_over_its_touches(model):
    # Touches 10 and 1 days old: in a 7-day window only the second exists, and it gets everything.
    times = days_before(10, 1)
    assert window_shares(model, times, CONVERTED, 7) == {1: CREDIT_UNIT}
    assert sum(window_shares(model, times, CONVERTED, 30).values()) == CREDIT_UNIT
    assert window_shares(model, times, CONVERTED, 0) == {}


@given(ages=touch_ages)
def test_time_decay_never_gives_an_older_touch_more(ages):
    times = sorted(days_before(*ages))
    shares = credit_shares("time_decay", times, CONVERTED)
    assert all(a <= b + 1 for a, b in zip(shares, shares[1:], strict=False))


@given(st.lists(st.fractions(min_value=0, max_value=1), min_size=1, max_size=30))
def test_rounding_keeps_the_total(weights):
    total = sum(weights)
    if total == 0:
        return
    assert sum(to_shares([w / total for w in weights])) == CREDIT_UNIT
