"""factory_boy factories for leads."""

import factory

from core.models import utcnow
from leads.models import Lead, MemberScore, Webhook
from tests.factories import MemberFactory, ModelFactory


class MemberScoreFactory(ModelFactory):
    class Meta:
        model = MemberScore

    member = factory.SubFactory(MemberFactory)
    engagement_sum = 0.0
    fit = 0.0
    stage = "lead"


class LeadFactory(ModelFactory):
    class Meta:
        model = Lead

    member = factory.SubFactory(MemberFactory)
    stage = "mql"
    score = factory.RelatedFactory(MemberScoreFactory, factory_related_name="member", member=factory.SelfAttribute("..member"))


class WebhookFactory(ModelFactory):
    class Meta:
        model = Webhook

    url = "https://93.184.216.34/hooks/peerloop"
    event_list = "lead.qualified lead.status_changed"
    secret = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"
    created_at = factory.LazyFunction(utcnow)
