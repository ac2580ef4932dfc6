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
from urllib.parse import urlsplit, urlunsplit

import requests
import sqlalchemy as sa
from flask import current_app
from requests.adapters import HTTPAdapter
from standardwebhooks import Webhook as Signer

from core.errors import NotFound, ValidationFailed
from core.extensions import db
from core.models import utcnow
from core.pagination import paginate
from core.tasks import enqueue_after_commit
from leads.models import Lead, Webhook, WebhookAttempt, WebhookDelivery

logger = logging.getLogger(__name__)
TIMEOUT_SECONDS = 5
DELIVER_WEBHOOK_TASK = "leads.deliver_webhook"  # leads.tasks.deliver_webhook


class UnsafeWebhookUrl(ValidationFailed):
    """The URL points at a private, loopback or otherwise internal address."""


def private_urls_allowed() -> bool:
    return current_app.config["WEBHOOK_ALLOW_PRIVATE_URLS"]


NAT64_PREFIX = ipaddress.ip_network("64:ff9b::/96")
LOCAL_NAT64_PREFIX = ipaddress.ip_network("64:ff9b:1::/48")


def embedded_ipv4(address: ipaddress.IPv6Address) -> ipaddress.IPv4Address | None:
    """The IPv4 address an IPv6 form carries (mapped, NAT64, 6to4, Teredo, IPv4-compatible), if any."""
    if address.ipv4_mapped is not None:
        return address.ipv4_mapped
    if address.sixtofour is not None:
        return address.sixtofour
    if address.teredo is not None:
        return address.teredo[1]
    if address in NAT64_PREFIX or address in LOCAL_NAT64_PREFIX:
        return ipaddress.IPv4Address(int(address) & 0xFFFFFFFF)
    if int(address) >> 32 == 0:  # ::a.b.c.d (IPv4-compatible, deprecated)
        return ipaddress.IPv4Address(int(address) & 0xFFFFFFFF)
    return None


def is_public(address: ipaddress.IPv4Address | ipaddress.IPv6Address) -> bool:
    """Globally reachable, and so is any IPv4 address an IPv6 form embeds."""
    if not address.is_global:
        return False
    inner = embedded_ipv4(address) if address.version == 6 else None
    return inner is None or inner.is_global


def split_url(url: str):
    """(parts, port) of an absolute http(s) URL, or ValidationFailed naming url."""
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ValidationFailed("Give an absolute http(s) URL.", field="url")
    try:
        port = parts.port
    except ValueError:
        raise ValidationFailed("The URL's port must be a number from 1 to 65535.", field="url") from None
    if port == 0:
        raise ValidationFailed("The URL's port must be a number from 1 to 65535.", field="url")
    return parts, port or (443 if parts.scheme == "https" else 80)


def public_address(url: str) -> str:
    """Resolve the URL's host once and return an address to connect to; refuse if ANY address
    it resolves to is non-public (SSRF, including IPv6 forms that embed a private IPv4)."""
    parts, port = split_url(url)
    try:
        infos = socket.getaddrinfo(parts.hostname, port, type=socket.SOCK_STREAM)
    except (OSError, UnicodeError):
        raise ValidationFailed("The URL's host does not resolve.", field="url") from None
    addresses = [ipaddress.ip_address(info[4][0].split("%")[0]) for info in infos]
    if not addresses or not all(is_public(address) for address in addresses):
        raise UnsafeWebhookUrl("Private, loopback and internal addresses are not allowed.", field="url")
    return str(addresses[0])


def check_url(url: str, *, allow_private: bool = False) -> None:
    """Refuse URLs whose host resolves to a non-public address (SSRF), unless allowed."""
    split_url(url)
    if not allow_private:
        public_address(url)


class PinnedAdapter(HTTPAdapter):
    """Connects to a vetted IP while TLS still sends SNI for, and checks the certificate against, the name."""

    def __init__(self, hostname: str):
        self.hostname = hostname
        super().__init__(max_retries=0)

    def init_poolmanager(self, connections, maxsize, block=False, **pool_kwargs):
        pool_kwargs.update(server_hostname=self.hostname, assert_hostname=self.hostname)
        super().init_poolmanager(connections, maxsize, block=block, **pool_kwargs)


def post(url: str, body: str, headers: dict, *, allow_private: bool) -> requests.Response:
    """POST without following redirects. Unless private addresses are allowed, the host is resolved
    once, vetted, and the connection made to that very address (no second lookup to rebind)."""
    if allow_private:
        return requests.post(url, data=body, headers=headers, timeout=TIMEOUT_SECONDS, allow_redirects=False)
    parts, _ = split_url(url)
    address = public_address(url)
    host = f"[{address}]" if ":" in address else address
    netloc = host if parts.port is None else f"{host}:{parts.port}"
    pinned = urlunsplit(parts._replace(netloc=netloc))
    authority = parts.netloc.rpartition("@")[2]
    with requests.Session() as session:
        session.trust_env = False  # no proxy from the environment: we connect where we vetted
        session.mount("https://", PinnedAdapter(parts.hostname))
        return session.post(
            pinned, data=body, headers={**headers, "Host": authority}, timeout=TIMEOUT_SECONDS, allow_redirects=False
        )


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
        enqueue_after_commit(DELIVER_WEBHOOK_TASK, delivery.id)
    return deliveries


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
    """A lead event (lead.qualified, lead.status_changed) to the webhooks subscribed to it."""
    return publish(event_type, {**lead_payload(lead), **extra})


def replay_delivery(webhook: Webhook, delivery_id: int) -> WebhookDelivery:
    delivery = db.session.get(WebhookDelivery, delivery_id)
    if delivery is None or delivery.webhook_id != webhook.id:
        raise NotFound("No such delivery.")
    delivery.status = "pending"
    db.session.flush()
    enqueue_after_commit(DELIVER_WEBHOOK_TASK, delivery.id)
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
        response = post(
            webhook.url, signed_body(delivery), signed_headers(webhook, delivery), allow_private=webhook.allow_private
        )  # vetted again at send time, and connected to the vetted address: DNS may have changed
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
