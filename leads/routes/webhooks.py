"""Webhook subscriptions, their delivery log and replay (marketers and admins)."""

from __future__ import annotations

from flask_login import current_user

from core.extensions import db
from core.pagination import page, page_schema
from core.schemas import PageArgsSchema
from leads.routes.common import blp
from leads.schemas.webhooks import DeliverySchema, NewWebhookSchema, WebhookCreateSchema, WebhookSchema
from leads.services import webhooks

WEBHOOK_MANAGERS = ("marketer", "admin")


@blp.route("/webhooks", methods=["POST"])
@blp.login_required(*WEBHOOK_MANAGERS)
@blp.arguments(WebhookCreateSchema)
@blp.response(201, NewWebhookSchema)
def create_webhook(data):
    """Subscribe a URL to events; the signing secret is shown only in this response"""
    webhook = webhooks.create_webhook(data["url"], data["events"], current_user.id)
    db.session.commit()
    return webhook


@blp.route("/webhooks", methods=["GET"])
@blp.login_required(*WEBHOOK_MANAGERS)
@blp.arguments(PageArgsSchema, location="query")
@blp.response(200, page_schema(WebhookSchema))
def list_webhooks(args):
    """Webhook subscriptions"""
    return page(*webhooks.list_webhooks(**args))


@blp.route("/webhooks/<int:webhook_id>", methods=["DELETE"])
@blp.login_required(*WEBHOOK_MANAGERS)
@blp.response(204)
def delete_webhook(webhook_id):
    """Stop sending to a webhook"""
    webhooks.delete_webhook(webhooks.get_webhook(webhook_id))
    db.session.commit()


@blp.route("/webhooks/<int:webhook_id>/deliveries", methods=["GET"])
@blp.login_required(*WEBHOOK_MANAGERS)
@blp.arguments(PageArgsSchema, location="query")
@blp.response(200, page_schema(DeliverySchema))
def list_deliveries(args, webhook_id):
    """Every delivery of a webhook with each attempt, newest first"""
    return page(*webhooks.list_deliveries(webhooks.get_webhook(webhook_id), **args))


@blp.route("/webhooks/<int:webhook_id>/deliveries/<int:delivery_id>/replay", methods=["POST"])
@blp.login_required(*WEBHOOK_MANAGERS)
@blp.response(202, DeliverySchema)
def replay_delivery(webhook_id, delivery_id):
    """Send a delivery again"""
    delivery = webhooks.replay_delivery(webhooks.get_webhook(webhook_id), delivery_id)
    db.session.commit()
    return delivery
