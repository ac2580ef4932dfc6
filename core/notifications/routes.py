"""Your notifications: list them (all or unread) and mark them read."""

from flask_login import current_user

from core.auth import Blueprint
from core.extensions import db
from core.notifications import services
from core.notifications.schemas import (
    MarkReadResultSchema,
    MarkReadSchema,
    NotificationListArgsSchema,
    NotificationPageSchema,
)

blp = Blueprint(
    "notifications",
    __name__,
    description="Notifications: replies, accepted answers, mentions, staff responses to your feedback.",
)


@blp.route("/me/notifications", methods=["GET"])
@blp.login_required()
@blp.arguments(NotificationListArgsSchema, location="query")
@blp.response(200, NotificationPageSchema)
def list_notifications(args):
    """Your notifications, newest first, with how many are unread"""
    return services.notification_page(current_user, **args)


@blp.route("/me/notifications/read", methods=["POST"])
@blp.login_required()
@blp.arguments(MarkReadSchema)
@blp.response(200, MarkReadResultSchema)
def mark_notifications_read(data):
    """Mark some of your notifications read"""
    result = services.mark_read(current_user, data["ids"])
    db.session.commit()
    return result
