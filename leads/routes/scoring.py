"""Scoring rules and rescore jobs (marketers and admins)."""

from __future__ import annotations

from flask_login import current_user

from core.extensions import db
from leads.routes.common import blp
from leads.schemas.rules import ScoringJobSchema, ScoringRulesSchema, ScoringUpdateResultSchema
from leads.services import rescore, rules

RULE_EDITORS = ("marketer", "admin")


@blp.route("/leads/scoring", methods=["GET"])
@blp.login_required(*RULE_EDITORS)
@blp.response(200, ScoringRulesSchema)
def get_scoring_rules():
    """The scoring rules"""
    return rules.current_rules().config


@blp.route("/leads/scoring", methods=["PUT"])
@blp.login_required(*RULE_EDITORS)
@blp.arguments(ScoringRulesSchema)
@blp.response(200, ScoringUpdateResultSchema)
def update_scoring_rules(config):
    """Replace the scoring rules; changed weights, caps, H or fit rules start a background rescore"""
    saved, job = rescore.update_rules(config, current_user.id)
    db.session.commit()
    return {**saved, "rescore_job": job}


@blp.route("/leads/scoring/jobs/<int:job_id>", methods=["GET"])
@blp.login_required(*RULE_EDITORS)
@blp.response(200, ScoringJobSchema)
def get_scoring_job(job_id):
    """Progress of a rescore"""
    return rescore.get_job(job_id)
