"""`python -m bench.validation`: a Segment batch of 100 messages validated by its schema, through
the lean field loop (core.schemas.LeanFieldLoop) and through marshmallow's own loop, in process.
Prints the best of several rounds for each, in ms per batch (no database needed)."""

from __future__ import annotations

import json
import time

from marshmallow import fields

from bench.ingestion import make_batches
from leads.schemas.events import SegmentBatchSchema, SegmentMessageSchema

ROUNDS, LOADS = 15, 10


def marshmallow_loop_schema() -> SegmentBatchSchema:
    """The same batch schema, its messages loaded by marshmallow's own field loop."""
    plain_message = SegmentMessageSchema.with_marshmallow_loop()
    batch = SegmentBatchSchema._declared_fields["batch"]
    nested = fields.List(fields.Nested(plain_message), required=True, validate=batch.validators)
    return type("PlainSegmentBatchSchema", (SegmentBatchSchema,), {"batch": nested})()


def best_ms(schema, body: dict) -> float:
    best = float("inf")
    for _ in range(ROUNDS):
        started = time.perf_counter()
        for _ in range(LOADS):
            schema.load(body)
        best = min(best, (time.perf_counter() - started) / LOADS)
    return best * 1000


def main() -> None:
    body = json.loads(json.dumps({"batch": make_batches(1, 10_000, 2)[0], "sentAt": "2026-11-30T10:00:00+00:00"}))
    lean, plain = SegmentBatchSchema(), marshmallow_loop_schema()
    assert lean.load(body) == plain.load(body)
    print(f"lean field loop:        {best_ms(lean, body):.2f} ms per batch of 100")
    print(f"marshmallow's own loop: {best_ms(plain, body):.2f} ms per batch of 100")


if __name__ == "__main__":
    main()
