"""Webhook subscriptions and deliveries, signed as the Standard Webhooks specification says."""

from __future__ import annotations

import ipaddress
import json
import logging
import secrets
import socket
import time
import uuid
from base64 import b64encode
from urllib.parse import urlsplit

import requests
import sqlalchemy as sa
from flask import current_app
from standardwebhooks import Webhook as Signer

from core.errors import NotFound, ValidationFailed
from core.extensions import db
from core.models import utcnow
from core.pagination import paginate
from core.tasks import enqueue_after_commit
from leads.models import Webhook, WebhookAttempt, WebhookDelivery

logger = logging.getLogger(__name__)
WEBHOOK_EVENTS = ("lead.qualified", "lead.status_changed")
TIMEOUT_SECONDS = 5


class UnsafeWebhookUrl(ValidationFailed):
    """The URL points at a private, loopback or otherwise internal address."""


def private_urls_allowed() -> bool:
    return bool(current_app.config.get("WEBHOOK_ALLOW_PRIVATE_URLS"))


def check_url(url: str, *, allow_private: bool = False) -> None:
    """Refuse URLs whose host resolves to a non-public address (SSRF), unless allowed."""
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ValidationFailed("Give an absolute http(s) URL.", field="url")
    if allow_private:
        return
    try:
        infos = socket.getaddrinfo(parts.hostname, parts.port or 443, type=socket.SOCK_STREAM)
    except (OSError, UnicodeError):
        raise ValidationFailed("The URL's host does not resolve.", field="url") from None
    for info in infos:
        if not ipaddress.ip_address(info[4][0].split("%")[0]).is_global:
            raise UnsafeWebhookUrl("Private, loopback and internal addresses are not allowed.", field="url")


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


def list_deliveries(webhook: Webhook, *, limit: int, cursor: str | None):
    stmt = sa.select(WebhookDelivery).where(WebhookDelivery.webhook_id == webhook.id)
    return paginate(stmt, [WebhookDelivery.id], limit=limit, cursor=cursor)


def publish(event_type: str, data: dict) -> list[WebhookDelivery]:
    """A delivery per subscribed webhook, sent once the caller commits."""
    from leads.tasks import deliver_webhook

    payload = {"type": event_type, "timestamp": utcnow().isoformat(), "data": data}
    deliveries = []
    for webhook in db.session.scalars(sa.select(Webhook).where(Webhook.deleted_at.is_(None))):
        if event_type in webhook.events:
            delivery = WebhookDelivery(
                webhook_id=webhook.id, message_id=f"msg_{uuid.uuid4().hex}", event_type=event_type, payload=payload
            )
            db.session.add(delivery)
            deliveries.append(delivery)
    db.session.flush()
    for delivery in deliveries:
        enqueue_after_commit(deliver_webhook, delivery.id)
    return deliveries


def replay_delivery(webhook: Webhook, delivery_id: int) -> WebhookDelivery:
    from leads.tasks import deliver_webhook

    delivery = db.session.get(WebhookDelivery, delivery_id)
    if delivery is None or delivery.webhook_id != webhook.id:
        raise NotFound("No such delivery.")
    delivery.status = "pending"
    db.session.flush()
    enqueue_after_commit(deliver_webhook, delivery.id)
    return delivery


def attempt_delivery(delivery_id: int, *, final: bool) -> bool:
    """POST the signed payload once and log the attempt. True when there is nothing left to do."""
    delivery = db.session.get(WebhookDelivery, delivery_id)
    if delivery is None or delivery.status == "succeeded":
        return True
    webhook = db.session.get(Webhook, delivery.webhook_id)
    if webhook is None or webhook.deleted_at is not None:
        delivery.status = "failed"
        return True
    status_code, error, started = None, None, time.monotonic()
    try:
        check_url(webhook.url, allow_private=webhook.allow_private)  # again at send time: DNS may have changed
        response = requests.post(
            webhook.url, data=signed_body(delivery), headers=signed_headers(webhook, delivery), timeout=TIMEOUT_SECONDS,
            allow_redirects=False,
        )  # fmt: skip
        status_code = response.status_code
    except (requests.RequestException, ValidationFailed) as exc:
        error = f"{exc.__class__.__name__}: {getattr(exc, 'message', None) or exc}"[:300]
    duration = int((time.monotonic() - started) * 1000)
    db.session.add(WebhookAttempt(delivery_id=delivery.id, status_code=status_code, error=error, duration_ms=duration))
    ok = status_code is not None and 200 <= status_code < 300
    delivery.attempt_count += 1
    delivery.last_status_code = status_code
    delivery.status = "succeeded" if ok else ("failed" if final else "retrying")
    delivery.delivered_at = utcnow() if ok else None
    db.session.flush()
    logger.info("webhook %s delivery %s attempt %s: %s", webhook.id, delivery.id, delivery.attempt_count, status_code)
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
