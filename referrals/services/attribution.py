"""The five attribution models as pure functions: touch times in, integer shares out.

Shares are millionths (CREDIT_UNIT) and always sum to exactly CREDIT_UNIT, so the
stored credit of one conversion is exactly 1 under every model, in every attribution
window: a window is its own computation over the touches inside it.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import datetime, timedelta
from fractions import Fraction

from referrals.models import CREDIT_UNIT, MODELS

HALF_LIFE = timedelta(days=7)


def first_touch(times: Sequence[datetime], converted_at: datetime) -> list[Fraction]:
    return [Fraction(1 if i == 0 else 0) for i in range(len(times))]


def last_touch(times: Sequence[datetime], converted_at: datetime) -> list[Fraction]:
    return [Fraction(1 if i == len(times) - 1 else 0) for i in range(len(times))]


def linear(times: Sequence[datetime], converted_at: datetime) -> list[Fraction]:
    return [Fraction(1, len(times))] * len(times)


def time_decay(times: Sequence[datetime], converted_at: datetime) -> list[Fraction]:
    """Weight 2^(-age / 7 days), age measured back from the conversion, then normalised."""
    ages = [max((converted_at - t) / HALF_LIFE, 0.0) for t in times]
    youngest = min(ages)
    weights = [Fraction(2.0 ** -(age - youngest)) for age in ages]  # shifted: no underflow to all zeros
    total = sum(weights)
    return [w / total for w in weights]


def position_based(times: Sequence[datetime], converted_at: datetime) -> list[Fraction]:
    """40 % first, 40 % last, 20 % over the middle; one touch 100 %, two touches 50/50."""
    n = len(times)
    if n == 1:
        return [Fraction(1)]
    if n == 2:
        return [Fraction(1, 2)] * 2
    middle = Fraction(1, 5) / (n - 2)
    return [Fraction(2, 5), *([middle] * (n - 2)), Fraction(2, 5)]


WEIGHTS: dict[str, Callable[[Sequence[datetime], datetime], list[Fraction]]] = {
    "first_touch": first_touch,
    "last_touch": last_touch,
    "linear": linear,
    "time_decay": time_decay,
    "position_based": position_based,
}
assert tuple(WEIGHTS) == MODELS


def to_shares(weights: Sequence[Fraction]) -> list[int]:
    """Largest-remainder rounding of exact weights (summing to 1) to millionths summing to CREDIT_UNIT."""
    scaled = [w * CREDIT_UNIT for w in weights]
    shares = [int(s) for s in scaled]
    missing = CREDIT_UNIT - sum(shares)
    by_remainder = sorted(range(len(scaled)), key=lambda i: (-(scaled[i] - shares[i]), -i))
    for i in by_remainder[:missing]:
        shares[i] += 1
    return shares


def credit_shares(model: str, times: Sequence[datetime], converted_at: datetime) -> list[int]:
    """Shares (millionths) of each touch, in the order given (oldest first)."""
    if not times:
        raise ValueError("a conversion needs at least one touch")
    return to_shares(WEIGHTS[model](times, converted_at))


def touches_in_window(times: Sequence[datetime], converted_at: datetime, window_days: int) -> list[int]:
    """Positions of the touches at most `window_days` before the conversion."""
    limit = timedelta(days=window_days)
    return [i for i, t in enumerate(times) if converted_at - t <= limit]


def window_shares(model: str, times: Sequence[datetime], converted_at: datetime, window_days: int) -> dict[int, int]:
    """{position: share} over the touches inside the window (summing to CREDIT_UNIT); {} when none is inside."""
    inside = touches_in_window(times, converted_at, window_days)
    if not inside:
        return {}
    return dict(zip(inside, credit_shares(model, [times[i] for i in inside], converted_at), strict=True))
