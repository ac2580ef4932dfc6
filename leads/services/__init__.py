"""Leads operations. They flush but never commit; the caller (view, task, CLI) commits once."""

from leads.services.ingestion import identify, ingest_events
from leads.services.ranking import list_leads, rank_accounts
from leads.services.rescore import finish_rescore, get_job, plan_chunks, rescore_chunk, update_rules
from leads.services.rules import DEFAULT_RULES, current_rules
from leads.services.sales import (
    LeadAlreadyClaimed,
    claim_lead,
    get_lead,
    lead_detail,
    update_lead,
)
from leads.services.scoring import record_activity, score_activity
from leads.services.webhooks import (
    WEBHOOK_EVENTS,
    attempt_delivery,
    create_webhook,
    delete_webhook,
    get_webhook,
    list_deliveries,
    list_webhooks,
    publish,
    replay_delivery,
)

__all__ = [
    "DEFAULT_RULES",
    "WEBHOOK_EVENTS",
    "LeadAlreadyClaimed",
    "attempt_delivery",
    "claim_lead",
    "create_webhook",
    "current_rules",
    "delete_webhook",
    "finish_rescore",
    "get_job",
    "get_lead",
    "get_webhook",
    "identify",
    "ingest_events",
    "lead_detail",
    "list_deliveries",
    "list_leads",
    "list_webhooks",
    "plan_chunks",
    "publish",
    "rank_accounts",
    "record_activity",
    "replay_delivery",
    "rescore_chunk",
    "score_activity",
    "update_lead",
    "update_rules",
]
