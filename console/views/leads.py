"""Sales pages: the ranked lead list, a lead and why it scored, claiming and moving it, accounts."""

from __future__ import annotations

from flask import flash, redirect, request, url_for

from console.blueprint import pages
from console.charts import bars
from console.common import checked, humanize, load, render
from console.pages import LEAD_READERS, SELLERS, console_member, may_open
from core.accounts import services as accounts
from core.errors import Conflict, NotFound, ValidationFailed
from core.extensions import db
from core.schemas import PageArgsSchema
from leads.models import LEAD_STAGES, STAGE_MOVES
from leads.schemas.leads import LeadListArgsSchema, LeadUpdateSchema
from leads.services import ranking, sales, stages

list_schema = LeadListArgsSchema()
accounts_schema = PageArgsSchema()
update_schema = LeadUpdateSchema()
# The list's filters as the API names them; a filter the API gains is one entry here and one
# control in leads.html.
FILTERS = ("stage", "owner", "organization", "min_score", "q", "overdue", "sort")
# What a stage move may carry besides the stage (a reason, a won deal), as the API names it.
MOVE_FIELDS = ("status", "lost_reason", "disqualified_reason", "amount", "currency")
SELLER_CHOICES = 100
HISTORY_SHOWN = 50


@pages.page("/leads", roles=LEAD_READERS, title="Leads", section="Sales")
def list_leads():
    """Leads ranked by score, with the API's filters, and its CSV export."""
    args, errors = load(list_schema, request.args)
    found, errors = checked(ranking.list_leads, **args) if not errors else (None, errors)
    leads_page, next_cursor = found or ([], None)
    filters = {name: request.args.get(name, "") for name in FILTERS}
    return render(
        "leads.html",
        422 if errors else 200,
        leads=leads_page,
        next_cursor=next_cursor,
        errors=errors,
        stages=LEAD_STAGES,
        sellers=sellers(),
        filters=filters,
        export_args={} if errors else {name: value for name, value in filters.items() if value},
        may_claim=may_open(console_member(), SELLERS),
    )


def sellers() -> list:
    """Members with the sales role, for the owner filter."""
    return accounts.list_members(limit=SELLER_CHOICES, cursor=None, role="sales")[0]


@pages.page("/leads/<int:lead_id>", roles=LEAD_READERS)
def show_lead(lead_id):
    """A lead: its score as a chart, its timeline, discovery path, products and notes."""
    return render_lead(lead_id)


def render_lead(lead_id: int, status: int = 200, errors: dict | None = None):
    lead = sales.lead_detail(lead_id)
    history = stages.list_history(lead, limit=HISTORY_SHOWN, cursor=None)[0]
    contributions = [
        ("Profile fit" if c["activity_type"] == "fit" else humanize(c["activity_type"]), c["points"], f"×{c['count']}")
        for c in lead.contributions
    ]
    return render(
        "lead.html",
        status,
        lead=lead,
        score_bars=bars(contributions),
        stages=STAGE_MOVES.get(lead.stage, ()),
        history=history,
        note_authors=note_authors(lead.notes, history),
        may_act=may_work_on(lead),
        is_seller=may_open(console_member(), SELLERS),
        errors=errors or {},
    )


def may_work_on(lead) -> bool:
    member = console_member()
    return may_open(member, SELLERS) and (lead.owner_id in (None, member.id) or may_open(member, ("admin",)))


def note_authors(notes, moves=()) -> dict[int, str]:
    """Names of who wrote the notes and made the moves."""
    names = {}
    ids = {note.author_id for note in notes} | {move.by_id for move in moves}
    for author_id in ids - {None}:
        try:
            names[author_id] = accounts.get_member(author_id).display_name
        except NotFound:
            names[author_id] = "A former member"
    return names


@pages.action("/leads/<int:lead_id>/claim", roles=SELLERS)
def claim_lead(lead_id):
    """Claim: you own the lead, and an MQL becomes SAL."""
    lead = sales.claim_lead(sales.get_lead(lead_id), console_member())
    db.session.commit()
    flash(f"You own this lead now; it is at stage {lead.stage.upper()}.", "success")
    return redirect(url_for("console.show_lead", lead_id=lead_id), 303)


@pages.action("/leads/<int:lead_id>/stage", roles=SELLERS)
def move_lead(lead_id):
    """Move the lead to another stage, with the reason or deal the move needs."""
    return update_lead(lead_id, MOVE_FIELDS, "Moved to {}.")


@pages.action("/leads/<int:lead_id>/notes", roles=SELLERS)
def add_note(lead_id):
    """Add a note to the lead."""
    return update_lead(lead_id, ("note",), "Note added.")


def update_lead(lead_id: int, fields: tuple[str, ...], done: str):
    """The API's checks, answered on the lead's page: a refused move or a missing reason shows there."""
    changes, errors = load(update_schema, {field: request.form.get(field, "") for field in fields})
    if errors or not changes or fields[0] not in changes:
        return render_lead(lead_id, 422, errors or {fields[0]: ["Missing data for required field."]})
    try:
        sales.update_lead(sales.get_lead(lead_id), changes, console_member())
    except (ValidationFailed, Conflict) as error:
        db.session.rollback()
        return render_lead(lead_id, error.code, error.errors or {"form": [error.message]})
    db.session.commit()
    flash(done.format(str(changes[fields[0]]).upper()), "success")
    return redirect(url_for("console.show_lead", lead_id=lead_id), 303)


@pages.page("/accounts", roles=LEAD_READERS, title="Accounts", section="Sales")
def list_accounts():
    """Organisations ranked by the combined score of their people."""
    args, errors = load(accounts_schema, request.args)
    found, errors = checked(ranking.rank_accounts, **args) if not errors else (None, errors)
    items, next_cursor = found or ([], None)
    return render("accounts.html", 422 if errors else 200, accounts=items, next_cursor=next_cursor, errors=errors)
