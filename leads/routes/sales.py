"""Lead lists, detail, export, claiming and accounts (sales; marketers may read)."""

from __future__ import annotations

from flask import Response, stream_with_context
from flask_login import current_user

from core.extensions import db
from core.pagination import page, page_schema
from core.schemas import PageArgsSchema
from leads.routes.common import blp
from leads.schemas.leads import (
    AccountSchema,
    LeadDetailSchema,
    LeadFilterSchema,
    LeadListArgsSchema,
    LeadPageSchema,
    LeadSchema,
    LeadUpdateSchema,
    StageChangeSchema,
)
from leads.services import export, ranking, sales, stages

READERS = ("sales", "marketer", "admin")
SELLERS = ("sales", "admin")
CSV_DOC = {"200": {"description": "CSV, one lead per row", "content": {"text/csv": {"schema": {"type": "string"}}}}}


@blp.route("/leads", methods=["GET"])
@blp.login_required(*READERS)
@blp.arguments(LeadListArgsSchema, location="query")
@blp.response(200, LeadPageSchema)
def list_leads(args):
    """Leads ranked by current score (or most recent), filtered"""
    return page(*ranking.list_leads(**args))


@blp.route("/leads/export.csv", methods=["GET"])
@blp.login_required(*READERS)
@blp.arguments(LeadFilterSchema, location="query")
@blp.doc(responses=CSV_DOC)
def export_leads(args):
    """The same leads as CSV with CRM-friendly columns, streamed"""
    headers = {"Content-Disposition": 'attachment; filename="leads.csv"'}
    return Response(stream_with_context(export.export_csv(args)), mimetype="text/csv", headers=headers)


@blp.route("/leads/accounts", methods=["GET"])
@blp.login_required(*READERS)
@blp.arguments(PageArgsSchema, location="query")
@blp.response(200, page_schema(AccountSchema))
def list_accounts(args):
    """Organisations ranked by the combined score of their people"""
    return page(*ranking.rank_accounts(**args))


@blp.route("/leads/<int:lead_id>", methods=["GET"])
@blp.login_required(*READERS)
@blp.response(200, LeadDetailSchema)
def get_lead(lead_id):
    """A lead and why: contributions, recent activity, discovery path, product interest"""
    return sales.lead_detail(lead_id)


@blp.route("/leads/<int:lead_id>/claim", methods=["POST"])
@blp.login_required(*SELLERS)
@blp.response(200, LeadSchema)
def claim_lead(lead_id):
    """Claim a lead: you own it and an MQL becomes SAL (409 if someone else has it)"""
    lead = sales.claim_lead(sales.get_lead(lead_id), current_user)
    db.session.commit()
    return sales.get_lead(lead.id)


@blp.route("/leads/<int:lead_id>", methods=["PATCH"])
@blp.login_required(*SELLERS)
@blp.arguments(LeadUpdateSchema)
@blp.response(200, LeadDetailSchema)
def update_lead(changes, lead_id):
    """Move a lead's stage (checked; 409 naming from and to), hand it to another seller, add a note"""
    sales.update_lead(sales.get_lead(lead_id), changes, current_user)
    db.session.commit()
    return sales.lead_detail(lead_id)


@blp.route("/leads/<int:lead_id>/history", methods=["GET"])
@blp.login_required(*READERS)
@blp.arguments(PageArgsSchema, location="query")
@blp.response(200, page_schema(StageChangeSchema))
def list_lead_history(args, lead_id):
    """Every stage move of a lead, oldest first: from, to, by (null: automatic), at, reason"""
    return page(*stages.list_history(sales.get_lead(lead_id), **args))
