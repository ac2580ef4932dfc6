"""Webhook subscriptions and deliveries, signed as the Standard Webhooks specification says."""

from __future__ import annotations

import json
import logging
import secrets
import time
import uuid
from base64 import b64encode
from dataclasses import dataclass
from datetime import datetime

import requests
import sqlalchemy as sa
from flask import current_app
from standardwebhooks import Webhook as Signer

from core.accounts.models import Member
from core.database import forget_transaction_read, once_per_transaction
from core.errors import NotFound, ValidationFailed
from core.extensions import db
from core.models import utcnow
from core.pagination import paginate
from core.tasks import enqueue_after_commit
from leads.models import Lead, Webhook, WebhookAttempt, WebhookDelivery
from leads.services.webhook_transport import DeadlineExceeded, check_url, post

logger = logging.getLogger(__name__)
DELIVER_WEBHOOK_TASK = "leads.deliver_webhook"  # leads.tasks.deliver_webhook
SUBSCRIPTIONS = "webhook_subscriptions"


def private_urls_allowed() -> bool:
    return current_app.config["WEBHOOK_ALLOW_PRIVATE_URLS"]


def create_webhook(url: str, events: list[str], actor_id: int) -> Webhook:
    allow_private = private_urls_allowed()
    check_url(url, allow_private=allow_private)
    secret = "whsec_" + b64encode(secrets.token_bytes(32)).decode()
    webhook = Webhook(
        url=url,
        event_list=" ".join(sorted(set(events))),
        secret=secret,
        created_by_id=actor_id,
        allow_private=allow_private,
    )
    db.session.add(webhook)
    db.session.flush()
    forget_transaction_read(SUBSCRIPTIONS)
    webhook.plaintext_secret = secret  # shown in this response only
    return webhook


def get_webhook(webhook_id: int) -> Webhook:
    webhook = db.session.get(Webhook, webhook_id)
    if webhook is None or webhook.deleted_at is not None:
        raise NotFound("No such webhook.")
    return webhook


def list_webhooks(*, limit: int, cursor: str | None):
    return paginate(sa.select(Webhook).where(Webhook.deleted_at.is_(None)), [Webhook.id], limit=limit, cursor=cursor)


def delete_webhook(webhook: Webhook) -> None:
    webhook.deleted_at = utcnow()
    db.session.flush()
    forget_transaction_read(SUBSCRIPTIONS)


def list_deliveries(webhook: Webhook, *, limit: int, cursor: str | None):
    stmt = sa.select(WebhookDelivery).where(WebhookDelivery.webhook_id == webhook.id)
    return paginate(stmt, [WebhookDelivery.id], limit=limit, cursor=cursor)


def publish(event_type: str, data: dict) -> list[WebhookDelivery]:
    """A delivery per subscribed webhook, sent once the caller commits."""
    payload = {"type": event_type, "timestamp": utcnow().isoformat(), "data": data}
    deliveries = [
        WebhookDelivery(
            webhook_id=webhook_id, message_id=f"msg_{uuid.uuid4().hex}", event_type=event_type, payload=payload
        )
        for webhook_id in subscribed(event_type)
    ]
    if not deliveries:
        return []
    db.session.add_all(deliveries)
    db.session.flush()
    for delivery in deliveries:
        enqueue_after_commit(DELIVER_WEBHOOK_TASK, delivery.id)
    return deliveries


def subscribed(event_type: str) -> list[int]:
    """The live webhooks subscribed to `event_type`, read once per transaction: a batch that
    qualifies many leads asks for every one of them."""
    subscriptions = once_per_transaction(SUBSCRIPTIONS, read_subscriptions)
    return [webhook_id for webhook_id, events in subscriptions if event_type in events]


def read_subscriptions() -> list[tuple[int, frozenset]]:
    rows = db.session.execute(sa.select(Webhook.id, Webhook.event_list).where(Webhook.deleted_at.is_(None)))
    return [(webhook_id, frozenset(event_list.split())) for webhook_id, event_list in rows]


def lead_payload(lead: Lead) -> dict:
    member = lead.member
    return {
        "lead_id": lead.id,
        "member_id": lead.member_id,
        "email": member.email,
        "display_name": member.display_name,
        "stage": lead.stage,
        "owner_id": lead.owner_id,
    }


def publish_lead_event(event_type: str, lead: Lead, **extra) -> list[WebhookDelivery]:
    """A lead event (lead.qualified, lead.status_changed, lead.requalified, lead.assigned,
    lead.sla_breached) to the webhooks subscribed to it."""
    return publish(event_type, {**lead_payload(lead), **extra})


def publish_member_created(member: Member) -> list[WebhookDelivery]:
    data = {
        "member_id": member.id,
        "email": member.email,
        "display_name": member.display_name,
        "member_type": member.member_type,
        "created_at": member.created_at.isoformat(),
    }
    return publish("member.created", data)


def publish_post_created(post_id: int, thread_id: int, author_id: int, created_at: datetime) -> list[WebhookDelivery]:
    """`member_id` is the author's, so erasing them rewrites their name in the logged delivery."""
    author = db.session.get(Member, author_id)
    data = {
        "post_id": post_id,
        "thread_id": thread_id,
        "member_id": author_id,
        "display_name": author.display_name if author else None,
        "created_at": created_at.isoformat(),
    }
    return publish("post.created", data)


def replay_delivery(webhook: Webhook, delivery_id: int) -> WebhookDelivery:
    delivery = db.session.get(WebhookDelivery, delivery_id)
    if delivery is None or delivery.webhook_id != webhook.id:
        raise NotFound("No such delivery.")
    delivery.status = "pending"
    db.session.flush()
    enqueue_after_commit(DELIVER_WEBHOOK_TASK, delivery.id)
    return delivery


@dataclass(frozen=True)
class Outgoing:
    """A delivery ready to send: read from the database, sent without holding a transaction."""

    delivery_id: int
    url: str
    body: str
    headers: dict
    allow_private: bool


@dataclass(frozen=True)
class Outcome:
    status_code: int | None
    error: str | None
    duration_ms: int


def prepare_delivery(delivery_id: int) -> Outgoing | None:
    """The signed request of a delivery still to make; None when there is nothing left to do."""
    delivery = db.session.get(WebhookDelivery, delivery_id)
    if delivery is None or delivery.status == "succeeded":
        return None
    webhook = db.session.get(Webhook, delivery.webhook_id)
    if webhook is None or webhook.deleted_at is not None:
        delivery.status = "failed"
        db.session.flush()
        return None
    body, headers = signed_body(delivery), signed_headers(webhook, delivery)
    return Outgoing(delivery.id, webhook.url, body, headers, webhook.allow_private)


def send_delivery(outgoing: Outgoing) -> Outcome:
    """One POST, no database: vetted again at send time (DNS may have changed), and connected to the
    vetted address, within WEBHOOK_DEADLINE_SECONDS, reading at most WEBHOOK_MAX_RESPONSE_BYTES."""
    config = current_app.config
    status_code, error, started = None, None, time.monotonic()
    try:
        status_code = post(
            outgoing.url, outgoing.body, outgoing.headers, allow_private=outgoing.allow_private,
            deadline=config["WEBHOOK_DEADLINE_SECONDS"], max_bytes=config["WEBHOOK_MAX_RESPONSE_BYTES"],
        )  # fmt: skip
    except (requests.RequestException, ValidationFailed, DeadlineExceeded) as exc:
        error = describe(exc)
    return Outcome(status_code, error, int((time.monotonic() - started) * 1000))


def describe(exc: BaseException) -> str:
    return f"{exc.__class__.__name__}: {getattr(exc, 'message', None) or exc}"[:300]


def record_attempt(delivery_id: int, outcome: Outcome, *, final: bool) -> bool:
    """Log the attempt on its delivery. True when there is nothing left to do."""
    delivery = db.session.get(WebhookDelivery, delivery_id)
    if delivery is None:
        return True
    db.session.add(
        WebhookAttempt(
            delivery_id=delivery.id,
            status_code=outcome.status_code,
            error=outcome.error,
            duration_ms=outcome.duration_ms,
        )
    )
    ok = outcome.status_code is not None and 200 <= outcome.status_code < 300
    delivery.attempt_count += 1
    delivery.last_status_code = outcome.status_code
    if delivery.status != "succeeded":  # another attempt may have succeeded meanwhile
        delivery.status = "succeeded" if ok else ("failed" if final else "retrying")
        delivery.delivered_at = utcnow() if ok else None
    db.session.flush()
    logger.info(
        "webhook %s delivery %s attempt %s: %s",
        delivery.webhook_id, delivery.id, delivery.attempt_count, outcome.status_code,
    )  # fmt: skip
    return ok or final


def signed_body(delivery: WebhookDelivery) -> str:
    return json.dumps(delivery.payload, separators=(",", ":"), sort_keys=True)


def signed_headers(webhook: Webhook, delivery: WebhookDelivery) -> dict:
    sent_at = utcnow()
    signature = Signer(webhook.secret).sign(delivery.message_id, sent_at, signed_body(delivery))
    return {
        "Content-Type": "application/json",
        "User-Agent": "Peerloop-Webhooks/1",
        "webhook-id": delivery.message_id,
        "webhook-timestamp": str(int(sent_at.timestamp())),
        "webhook-signature": signature,
    }
