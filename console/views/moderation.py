"""The moderation queue: flagged posts and recommendations, and hiding them, dismissing flags, banning authors."""

from __future__ import annotations

from flask import flash, redirect, request, url_for

from community.models import FLAG_STATUSES
from community.schemas.moderation import PostFlagListArgsSchema
from community.services import moderation, products
from console.blueprint import pages
from console.common import checked, load, render
from console.pages import MODERATION, console_member
from core.extensions import db

queue_schema = PostFlagListArgsSchema()


@pages.page("/moderation", roles=MODERATION, title="Moderation queue", section="Community")
def moderation_queue():
    """Flags by status: open ones oldest first, resolved ones newest first."""
    args, errors = load(queue_schema, request.args)
    found, errors = checked(moderation.list_flags, moderator=console_member(), **args) if not errors else (None, errors)
    flags, next_cursor = found or ([], None)
    status = args["status"] if args is not None else "open"
    return render(
        "moderation.html",
        422 if errors else 200,
        flags=flags,
        next_cursor=next_cursor,
        status=status,
        statuses=FLAG_STATUSES,
        errors=errors,
    )


def back_to_queue(message: str):
    flash(message, "success")
    return redirect(url_for("console.moderation_queue"), 303)


@pages.action("/moderation/posts/<int:post_id>/hide", roles=MODERATION)
def hide_post(post_id):
    """Hide the post from everyone but moderators; its open flags are resolved."""
    moderation.set_post_hidden(moderation.get_any_post(post_id), console_member(), True)
    db.session.commit()
    return back_to_queue("Post hidden; its flags are closed.")


@pages.action("/moderation/recommendations/<int:recommendation_id>/hide", roles=MODERATION)
def hide_recommendation(recommendation_id):
    """Hide the recommendation from everyone but moderators and from NPS; its open flags are resolved."""
    recommendation = products.get_recommendation(recommendation_id, console_member())
    moderation.set_recommendation_hidden(recommendation, console_member(), True)
    db.session.commit()
    return back_to_queue("Recommendation hidden; its flags are closed.")


@pages.action("/moderation/flags/<int:flag_id>/dismiss", roles=MODERATION)
def dismiss_flag(flag_id):
    """Close the flag without acting on the post."""
    moderation.dismiss_flag(moderation.get_flag(flag_id), console_member())
    db.session.commit()
    return back_to_queue("Flag dismissed.")


@pages.action("/moderation/members/<int:member_id>/ban", roles=MODERATION)
def ban_member(member_id):
    """Ban the author from posting, reacting, recommending and flagging."""
    member = moderation.set_member_banned(member_id, console_member(), True)
    db.session.commit()
    return back_to_queue(f"{member.display_name} is banned.")
