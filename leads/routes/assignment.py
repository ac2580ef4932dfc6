"""How new MQLs are assigned and how soon they must be claimed (sales read it, admins set it)."""

from __future__ import annotations

from flask_login import current_user

from core.extensions import db
from leads.routes.common import blp
from leads.schemas.leads import AssignmentSchema
from leads.services import assignment

# PRODUCT §1 has no sales-manager role: admins set the rules, sellers may read who gets what.
READERS = ("sales", "admin")


@blp.route("/leads/assignment", methods=["GET"])
@blp.login_required(*READERS)
@blp.response(200, AssignmentSchema)
def get_assignment():
    """The assignment rules: manual or round robin, sellers, same owner per organisation, claim SLA"""
    return assignment.assignment_rules()


@blp.route("/leads/assignment", methods=["PUT"])
@blp.login_required("admin")
@blp.arguments(AssignmentSchema)
@blp.response(200, AssignmentSchema)
def update_assignment(data):
    """Replace the assignment rules"""
    rules = assignment.update_assignment(data, current_user.id)
    db.session.commit()
    return rules
