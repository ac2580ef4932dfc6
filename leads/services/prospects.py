"""Who an integration's email means, and how a prospect's history joins an account.

Small rules every ingestion path (event by event, or a set-based batch) calls:
- `member_for_email`: whom an email in traits links to. A verified account, or the prospect for
  the address (one holding it, or one waiting aside while an unverified account holds it). An
  unverified account is never linked by email: anyone can sign up with anyone's address.
- `prospect_for_email`: the prospect to create for an address nobody answers to; None when its
  owner was erased (the address is suppressed, as a keyed hash).
- `traits_fill_profile`: traits fill only prospects' profiles; a signed-up member's profile is theirs.
- `merge_prospect`: the prospect's ledger joins the account that verified the address.
"""

from __future__ import annotations

import sqlalchemy as sa

from core.accounts import services as accounts
from core.accounts.models import Member
from core.accounts.prospects import is_suppressed, is_unclaimed_prospect, waiting_prospect
from core.extensions import db
from leads.models import RECYCLABLE_STAGES, Activity, DailyCount, Identity, Lead, LeadNote, MemberScore
from leads.services import stages
from leads.services.qualification import set_member_stages
from leads.services.scoring import ensure_score_row, score_stored_activities


def member_for_email(email: str) -> Member | None:
    member = accounts.find_member_by_email(email)
    if member is None:
        return None
    if member.email_verified or is_unclaimed_prospect(member):
        return member
    return waiting_prospect(email)


def prospect_for_email(email: str, display_name: str) -> Member | None:
    if is_suppressed(email):
        return None
    return accounts.create_prospect(email, display_name)


def traits_fill_profile(member: Member) -> bool:
    return is_unclaimed_prospect(member)


def merge_prospect(prospect_id: int, member_id: int) -> None:
    """Ids, lead and activities move to the member; the activities are scored again as theirs
    (daily caps and stage included), so the member's sum is as if they had done them."""
    update = {"synchronize_session": False}
    db.session.execute(
        sa.update(Identity).where(Identity.member_id == prospect_id).values(member_id=member_id),
        execution_options=update,
    )
    has_lead = move_lead(prospect_id, member_id)
    ids = list(db.session.scalars(sa.select(Activity.id).where(Activity.member_id == prospect_id)))
    db.session.execute(
        sa.update(Activity).where(Activity.member_id == prospect_id).values(member_id=member_id, scored=False),
        execution_options=update,
    )
    db.session.execute(sa.delete(DailyCount).where(DailyCount.member_id == prospect_id))
    db.session.execute(sa.delete(MemberScore).where(MemberScore.member_id == prospect_id))
    db.session.expire_all()
    score_stored_activities(ids)
    if has_lead:
        ensure_score_row(db.session.get(Member, member_id))
        set_member_stages({member_id: "lead"})
        lead = db.session.scalar(sa.select(Lead).where(Lead.member_id == member_id))
        stages.mark_recyclable(member_id, lead.closed_at if lead.stage in RECYCLABLE_STAGES else None)


def move_lead(prospect_id: int, member_id: int) -> bool:
    """The prospect's lead becomes the member's (or its notes join the member's lead); True if
    the member has a lead afterwards."""
    theirs = db.session.scalar(sa.select(Lead.id).where(Lead.member_id == prospect_id))
    mine = db.session.scalar(sa.select(Lead.id).where(Lead.member_id == member_id))
    if theirs is None:
        return mine is not None
    if mine is None:
        db.session.execute(sa.update(Lead).where(Lead.id == theirs).values(member_id=member_id))
    else:
        db.session.execute(sa.update(LeadNote).where(LeadNote.lead_id == theirs).values(lead_id=mine))
        db.session.execute(sa.delete(Lead).where(Lead.id == theirs))
    return True
