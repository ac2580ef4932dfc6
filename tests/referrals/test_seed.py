"""The demo seeder's referrals part."""

import sqlalchemy as sa

from core.accounts.seed import seed_demo as seed_accounts
from core.extensions import db
from referrals.models import Campaign, Click, Conversion, Credit, RewardEntry
from referrals.seed import seed_demo


class Progress:
    def __init__(self):
        self.total = 0

    def update(self, n):
        self.total += n


def test_seed_demo_adds_campaigns_clicks_and_credited_signups(app_ctx):
    context, progress = {}, Progress()
    seed_accounts(context, progress)
    seed_demo(context, progress)
    assert progress.total == 200
    assert db.session.scalar(sa.select(sa.func.count(Campaign.id))) == 3
    assert db.session.scalar(sa.select(sa.func.count(Click.id))) > 3000
    signups = db.session.scalar(sa.select(sa.func.count(Conversion.id)).where(Conversion.kind == "signup"))
    assert signups == 24
    totals = db.session.execute(
        sa.select(Credit.conversion_id, Credit.window_days, Credit.model, sa.func.sum(Credit.share)).group_by(
            Credit.conversion_id, Credit.window_days, Credit.model
        )
    ).all()
    assert totals and {total for *_, total in totals} == {1_000_000}
    assert db.session.scalar(sa.select(sa.func.count(RewardEntry.id))) > 0  # the signup rule paid out
    assert context["campaigns"] and "Referrals:" in context["summary"][-1]
