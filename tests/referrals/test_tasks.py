"""Click retention: the purge task, in-process and through a real worker."""

from datetime import timedelta

import pytest
import sqlalchemy as sa

from core.extensions import db
from core.models import utcnow
from referrals.models import Click, Credit, Touch
from referrals.services.conversions import attribute_signup
from referrals.tasks import purge_old_clicks
from tests.conftest import wait_until
from tests.factories import MemberFactory
from tests.referrals.factories import ClickFactory


def click_ages(days_list) -> list[int]:
    return [ClickFactory(days_ago=days).id for days in days_list]


def test_purge_deletes_only_clicks_past_retention_and_keeps_credit(app_ctx):
    touched = ClickFactory(days_ago=20)
    conversion = attribute_signup(MemberFactory(), visitor_id=touched.visitor_id)
    touched.occurred_at = utcnow() - timedelta(days=450)  # the click that led to a signup ages out too
    click_ages([500, 401])
    kept = click_ages([399, 3])
    assert purge_old_clicks() == 3
    assert sorted(db.session.scalars(sa.select(Click.id))) == sorted(kept)
    touch = db.session.scalar(sa.select(Touch).where(Touch.conversion_id == conversion.id))
    db.session.refresh(touch)
    assert touch.click_id is None and touch.referrer_id == touched.referrer_id
    assert db.session.scalar(sa.select(sa.func.count()).where(Credit.conversion_id == conversion.id)) == 5
    assert purge_old_clicks() == 0  # running again changes nothing


def test_retention_never_undercuts_the_attribution_window(app, app_ctx, monkeypatch):
    click_ages([25])
    monkeypatch.setitem(app.config, "REFERRAL_CLICK_RETENTION_DAYS", 1)
    assert purge_old_clicks() == 0


@pytest.mark.live
def test_purge_runs_on_a_real_worker(app, broker):
    with app.app_context():
        click_ages([500, 2])
        db.session.commit()
    purge_old_clicks.delay()

    def remaining():
        with app.app_context():
            count = db.session.scalar(sa.select(sa.func.count(Click.id)))
            db.session.remove()
            return count == 1

    wait_until(remaining)
