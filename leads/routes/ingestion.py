"""Event ingestion: POST /events and the Segment-compatible tracking API."""

from __future__ import annotations

import zlib
from functools import wraps

from flask import current_app, request
from werkzeug.exceptions import RequestEntityTooLarge

from core.auth import INGEST_ROLES
from core.errors import DomainError
from core.extensions import db
from leads.routes.common import blp
from leads.schemas.events import EventBatchSchema, IngestResultSchema, SegmentBatchSchema, segment_call_schema
from leads.services import ingestion


class BadRequestBody(DomainError):
    """The body could not be read (e.g. broken gzip)."""


def inflate_gzip_body() -> None:
    """Segment's clients gzip their bodies; inflate them, never past MAX_CONTENT_LENGTH (bombs get 413)."""
    if request.headers.get("Content-Encoding", "").strip().lower() != "gzip":
        return
    limit = current_app.config["MAX_CONTENT_LENGTH"]
    inflater = zlib.decompressobj(wbits=16 + zlib.MAX_WBITS)
    try:
        body = inflater.decompress(request.get_data(cache=True), limit + 1)
    except zlib.error:
        raise BadRequestBody("The gzip body could not be decompressed.", field="body") from None
    if len(body) > limit or inflater.unconsumed_tail:
        raise RequestEntityTooLarge(f"The decompressed body exceeds {limit} bytes.")
    if not inflater.eof:
        raise BadRequestBody("The gzip body is truncated.", field="body")
    request._cached_data = body
    request.__dict__.pop("_cached_json", None)


def gzip_body(view):
    """For ingestion views, placed under login_required: only an authorised caller's body is inflated."""

    @wraps(view)
    def inflated(*args, **kwargs):
        inflate_gzip_body()
        return view(*args, **kwargs)

    return inflated


def ingest(events: list[dict], source: str) -> dict:
    result = ingestion.ingest_events(events, source)
    db.session.commit()
    return result


@blp.route("/events", methods=["POST"])
@blp.login_required(*INGEST_ROLES, scope="ingest")
@gzip_body
@blp.arguments(EventBatchSchema)
@blp.response(200, IngestResultSchema)
def ingest_event_batch(data):
    """Send a batch of events (all or nothing; deduplicated by messageId)"""
    return ingest(data["events"], "events")


@blp.route("/segment/v1/batch", methods=["POST"])
@blp.login_required(*INGEST_ROLES, scope="ingest")
@gzip_body
@blp.arguments(SegmentBatchSchema)
@blp.response(200, IngestResultSchema)
def segment_batch(data):
    """Segment-compatible batch (HTTP Basic: integration key as username)"""
    return ingest(data["batch"], "segment")


@blp.route("/segment/v1/track", methods=["POST"])
@blp.login_required(*INGEST_ROLES, scope="ingest")
@gzip_body
@blp.arguments(segment_call_schema("track"))
@blp.response(200, IngestResultSchema)
def segment_track(data):
    """Segment-compatible track call: the event name becomes the activity type"""
    return ingest([data], "segment")


@blp.route("/segment/v1/identify", methods=["POST"])
@blp.login_required(*INGEST_ROLES, scope="ingest")
@gzip_body
@blp.arguments(segment_call_schema("identify"))
@blp.response(200, IngestResultSchema)
def segment_identify(data):
    """Segment-compatible identify: links ids to the member with that email, or a new prospect"""
    return ingest([data], "segment")


@blp.route("/segment/v1/page", methods=["POST"])
@blp.login_required(*INGEST_ROLES, scope="ingest")
@gzip_body
@blp.arguments(segment_call_schema("page"))
@blp.response(200, IngestResultSchema)
def segment_page(data):
    """Segment-compatible page call, recorded as page_viewed"""
    return ingest([data], "segment")
