"""Journey test helpers: facts placed at known moments through the owning domains' own services."""

from __future__ import annotations

import itertools
from datetime import UTC, datetime, timedelta

import pytest

from core.models import utcnow
from leads.services import scoring
from referrals.services.conversions import attribute_signup
from tests.leads.conftest import receiver  # noqa: F401  (the real HTTP webhook receiver, shared with leads)
from tests.referrals.factories import ClickFactory

API = "/api/v1"
T0 = datetime(2026, 3, 1, 12, tzinfo=UTC)
_messages = itertools.count()


def days(n: float) -> timedelta:
    return timedelta(days=n)


def ago(n: float) -> datetime:
    return utcnow() - days(n)


def act(member, at: datetime, activity_type: str = "post_created", source: str = "community") -> None:
    """An activity in the ledger at `at`, as community (or another source) would have recorded it."""
    scoring.record_activity(member.id, activity_type, at, source=source, message_id=f"test-{next(_messages)}")


def referred(member, referrer, clicked_at: datetime, signed_up_at: datetime, **click) -> None:
    """The member followed the referrer's link at `clicked_at` and signed up at `signed_up_at`."""
    visit = ClickFactory(referrer=referrer, occurred_at=clicked_at, **click)
    member.created_at = signed_up_at
    attribute_signup(member, visitor_id=visit.visitor_id, at=signed_up_at)


@pytest.fixture
def days_since():
    """Days between two moments, as the reports compute them."""
    return lambda later, earlier: (later - earlier).total_seconds() / 86400
