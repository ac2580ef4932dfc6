"""factory_boy factories for referrals."""

from datetime import timedelta

import factory

from core.extensions import db
from core.models import utcnow
from referrals.models import Campaign, Click
from referrals.services.click_store import store_clicks
from referrals.services.draining import CLICK_FIELDS
from tests.factories import MemberFactory, ModelFactory


class CampaignFactory(ModelFactory):
    class Meta:
        model = Campaign

    name = factory.Sequence(lambda n: f"Spring launch {n}")
    slug = factory.Sequence(lambda n: f"spring-launch-{n}")
    landing_url = "https://brand.example/spring?ref=peerloop"
    utm_source = "peerloop"
    utm_medium = "referral"
    utm_campaign = "spring"


class ClickFactory(ModelFactory):
    class Meta:
        model = Click

    class Params:
        referrer = factory.SubFactory(MemberFactory)
        days_ago = 1

    referrer_id = factory.LazyAttribute(lambda c: c.referrer.id)
    code = factory.LazyAttribute(lambda c: c.referrer.referral_code)
    occurred_at = factory.LazyAttribute(lambda c: utcnow() - timedelta(days=c.days_ago))
    visitor_id = factory.Sequence(lambda n: f"visitor-{n:012d}")
    channel = "link"
    ua_class = "browser"
    ip_hash = factory.Sequence(lambda n: f"{n:064x}")

    @classmethod
    def _create(cls, model_class, **fields):
        """Through the service that stores drained clicks, so the rollups count it too."""
        db.session.flush()
        values = {column: None for column in CLICK_FIELDS} | fields
        [click_id] = store_clicks(db.session.connection(), [values])
        return db.session.get(model_class, click_id)
