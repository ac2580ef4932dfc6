"""Public profiles, the leaderboard and search."""

from community.routes.common import blp, responds, viewer
from community.schemas.members import (
    ContentSearchArgsSchema,
    ContentSearchHitSchema,
    PublicProfileSchema,
    ReputationEntrySchema,
)
from community.services import profiles
from community.services import search as content_search
from core.pagination import page, page_schema
from core.schemas import PageArgsSchema


@blp.route("/members/<int:member_id>", methods=["GET"])
@blp.response(200, PublicProfileSchema)
@responds(404)
def get_profile(member_id):
    """A member's public profile with reputation"""
    return profiles.public_profile(member_id, viewer())


@blp.route("/leaderboard", methods=["GET"])
@blp.arguments(PageArgsSchema, location="query")
@blp.response(200, page_schema(ReputationEntrySchema))
def leaderboard(args):
    """Members by reputation"""
    return page(*profiles.leaderboard(**args))


@blp.route("/search", methods=["GET"])
@blp.arguments(ContentSearchArgsSchema, location="query")
@blp.response(200, page_schema(ContentSearchHitSchema))
def search(args):
    """Search thread titles and post bodies, best match first"""
    return page(*content_search.search(**args))
