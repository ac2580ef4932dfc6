"""factory_boy factories for leads."""

import factory

from core.extensions import db
from core.models import utcnow
from leads.models import Lead, MemberScore, Webhook
from leads.services.rules import current_rules, decay_factor
from tests.factories import MemberFactory, ModelFactory


class MemberScoreFactory(ModelFactory):
    class Meta:
        model = MemberScore

    member = factory.SubFactory(MemberFactory)
    engagement_sum = 0.0
    fit = 0.0
    stage = "lead"


class LeadFactory(ModelFactory):
    """A lead whose current score is `points` (engagement stored epoch-relative), `points__fit` of it fit."""

    class Meta:
        model = Lead

    member = factory.SubFactory(MemberFactory)
    stage = "mql"

    @factory.post_generation
    def points(lead, create, extracted, fit=0.0, organization=None, **kwargs):
        factor = decay_factor(current_rules())
        engagement = ((extracted or 0.0) - fit) / factor
        MemberScoreFactory(member=lead.member, engagement_sum=engagement, fit=fit, organization=organization)
        db.session.flush()


class WebhookFactory(ModelFactory):
    class Meta:
        model = Webhook

    url = "https://93.184.216.34/hooks/peerloop"
    event_list = "lead.qualified lead.status_changed"
    secret = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"
    created_at = factory.LazyFunction(utcnow)
