"""Request and response schemas of leads, one per resource, made once per module."""

from leads.schemas.events import EventBatchSchema, IngestResultSchema, SegmentBatchSchema, segment_call_schema
from leads.schemas.leads import (
    AccountSchema,
    LeadDetailSchema,
    LeadListArgsSchema,
    LeadSchema,
    LeadUpdateSchema,
)
from leads.schemas.rules import ScoringJobSchema, ScoringRulesSchema, ScoringUpdateResultSchema
from leads.schemas.webhooks import (
    DeliverySchema,
    NewWebhookSchema,
    WebhookCreateSchema,
    WebhookSchema,
)

__all__ = [
    "AccountSchema",
    "DeliverySchema",
    "EventBatchSchema",
    "IngestResultSchema",
    "LeadDetailSchema",
    "LeadListArgsSchema",
    "LeadSchema",
    "LeadUpdateSchema",
    "NewWebhookSchema",
    "ScoringJobSchema",
    "ScoringRulesSchema",
    "ScoringUpdateResultSchema",
    "SegmentBatchSchema",
    "WebhookCreateSchema",
    "WebhookSchema",
    "segment_call_schema",
]
