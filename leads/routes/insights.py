"""Closed-loop scoring: what closed leads say about the rules (marketers and admins)."""

from __future__ import annotations

from core.schemas import DateRangeArgsSchema
from leads.routes.common import blp
from leads.routes.scoring import RULE_EDITORS
from leads.schemas.insights import BacktestArgsSchema, BacktestSchema, InsightsSchema
from leads.services import backtest, insights


@blp.route("/leads/scoring/insights", methods=["GET"])
@blp.login_required(*RULE_EDITORS)
@blp.arguments(DateRangeArgsSchema, location="query")
@blp.response(200, InsightsSchema)
def get_scoring_insights(args):
    """Per activity type, the won rate of closed leads with and without it, and a suggested weight"""
    return insights.scoring_insights(args["start"], args["end"])


@blp.route("/leads/scoring/backtest", methods=["POST"])
@blp.login_required(*RULE_EDITORS, scope="read")  # a POST for its body, but it changes nothing
@blp.arguments(BacktestArgsSchema)
@blp.response(200, BacktestSchema)
def backtest_scoring_rules(args):
    """Candidate rules and the current ones side by side over the leads closed in a period"""
    return backtest.backtest(args["rules"], args["start"], args["end"])
