"""Storing clicks in batches: a flood counted on one row, the rollups adjusted in the same transaction."""

from __future__ import annotations

import bisect
import logging
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from datetime import datetime
from functools import lru_cache
from operator import attrgetter

import sqlalchemy as sa

from core.accounts.models import Member
from referrals.models import Campaign, Click
from referrals.services.fraud import FLOOD_PERIOD, flood_limit
from referrals.services.rollups import click_contributions_upsert, lock_click_store

logger = logging.getLogger(__name__)
OCCURRED_AT = attrgetter("occurred_at")


@dataclass(order=True)
class Stored:
    """A click row of one IP hash and code, as the flood check sees it."""

    occurred_at: datetime
    hits: int = field(compare=False)
    id: int | None = field(compare=False, default=None)  # None: a row of this batch
    record: dict | None = field(compare=False, default=None)
    visitor_id: str | None = field(compare=False, default=None)


# The clicks whose contributions a batch changes: its visitors' clicks, and rows without a visitor.
AFFECTED_CLICKS = sa.or_(
    Click.visitor_id.in_(sa.bindparam("visitors", expanding=True)),
    Click.id.in_(sa.bindparam("rows", expanding=True)),
)


@lru_cache(maxsize=4)
def rollup_adjustment(dialect: str, sign: int):
    """Built once per dialect and sign: building and keying this statement for every batch cost
    the drainer more than running it."""
    return click_contributions_upsert(dialect, AFFECTED_CLICKS, sign)


def store_clicks(connection: sa.Connection, records: list[dict]) -> list[int]:
    """Store clicks (dicts of Click columns) and adjust the rollups; the caller commits.
    Returns the ids of the rows inserted (a click counted on an existing row has none)."""
    lock_click_store(connection)
    records = with_known_links(connection, sorted(records, key=lambda r: r["occurred_at"]))
    if not records:
        return []
    new_rows, extra_hits, targets = merge_floods(connection, records)
    visitors = list(({r["visitor_id"] for r in new_rows} | {t.visitor_id for t in targets}) - {None})
    keyless = [t.id for t in targets if t.visitor_id is None]
    dialect = connection.dialect.name
    connection.execute(rollup_adjustment(dialect, -1), {"visitors": visitors, "rows": keyless})
    insert = sa.insert(Click).returning(Click.id, sort_by_parameter_order=True)
    ids = connection.execute(insert, new_rows).scalars().all() if new_rows else []
    new_keyless = [id_ for id_, row in zip(ids, new_rows, strict=True) if row["visitor_id"] is None]
    if extra_hits:
        connection.execute(
            sa.update(Click).where(Click.id == sa.bindparam("target")).values(hits=Click.hits + sa.bindparam("extra")),
            [{"target": id_, "extra": n} for id_, n in extra_hits.items()],
        )
    connection.execute(rollup_adjustment(dialect, 1), {"visitors": visitors, "rows": keyless + new_keyless})
    return ids


def with_known_links(connection: sa.Connection, records: list[dict]) -> list[dict]:
    """Drop clicks of members deleted since (as deleting a member deletes their clicks) and forget
    campaigns deleted since, so one vanished row never blocks the spool."""
    members = {r["referrer_id"] for r in records}
    campaigns = {r["campaign_id"] for r in records} - {None}
    known = set(connection.execute(sa.select(Member.id).where(Member.id.in_(members))).scalars())
    if campaigns:
        campaigns &= set(connection.execute(sa.select(Campaign.id).where(Campaign.id.in_(campaigns))).scalars())
    kept = [{**r, "campaign_id": r["campaign_id"] if r["campaign_id"] in campaigns else None} for r in records]
    if len(known) < len(members):
        logger.warning("dropped clicks of deleted members %s", sorted(members - known))
    return [r for r in kept if r["referrer_id"] in known]


def merge_floods(connection: sa.Connection, records: list[dict]) -> tuple[list[dict], Counter, list[Stored]]:
    """Past REFERRAL_FLOOD_CLICKS clicks in the hour from one IP hash on one code, a click is counted
    on the latest row of that IP hash and code when it is from the same minute, instead of a row of
    its own. Returns the rows to insert, extra hits per stored row, and the stored rows that got some."""
    limit = flood_limit()
    history = flood_history(connection, records)
    new_rows, extra, targets = [], Counter(), {}
    for record in records:
        seen = history[(record["ip_hash"], record["code"])] if record["ip_hash"] else None
        target = absorbing_row(seen, record["occurred_at"], limit) if seen is not None else None
        if target is None:
            record = {**record, "hits": 1}
            new_rows.append(record)
            if seen is not None:
                bisect.insort(seen, Stored(record["occurred_at"], 1, record=record))
        elif target.record is not None:
            target.hits += 1
            target.record["hits"] += 1
        else:
            target.hits += 1
            extra[target.id] += 1
            targets[target.id] = target
    return new_rows, extra, list(targets.values())


def flood_history(connection: sa.Connection, records: list[dict]) -> dict:
    """The stored rows of the batch's IP hashes in the hour before its first click, by (IP hash, code)."""
    history: dict = defaultdict(list)
    addresses = {r["ip_hash"] for r in records} - {None}
    if not addresses:
        return history
    rows = connection.execute(
        sa.select(Click.id, Click.ip_hash, Click.code, Click.occurred_at, Click.hits, Click.visitor_id).where(
            Click.ip_hash.in_(addresses), Click.occurred_at > records[0]["occurred_at"] - FLOOD_PERIOD
        )
    )
    for id_, ip_hash, code, at, hits, visitor_id in rows:
        history[(ip_hash, code)].append(Stored(at, hits, id=id_, visitor_id=visitor_id))
    for seen in history.values():
        seen.sort()
    return history


def absorbing_row(seen: list[Stored], at: datetime, limit: int) -> Stored | None:
    """The row a click at `at` is counted on, if the hour before it holds more than `limit` clicks."""
    end = bisect.bisect_right(seen, at, key=OCCURRED_AT)
    if end == 0 or not over_limit(seen, end, at - FLOOD_PERIOD, limit):
        return None
    latest = seen[end - 1]
    same_minute = latest.occurred_at.replace(second=0, microsecond=0) == at.replace(second=0, microsecond=0)
    return latest if same_minute else None


def over_limit(seen: list[Stored], end: int, since: datetime, limit: int) -> bool:
    """Whether the rows of seen[:end] after `since` hold more than `limit` hits: counted from the
    latest back, so a flood (whose latest rows carry many hits) is seen after a row or two."""
    total = 0
    for index in range(end - 1, -1, -1):
        stored = seen[index]
        if stored.occurred_at <= since:
            return False
        total += stored.hits
        if total > limit:
            return True
    return False
