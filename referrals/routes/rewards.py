"""Double-sided reward rules and the reward ledger."""

import flask
from flask_login import current_user

from core.extensions import db
from core.pagination import page, page_schema
from core.schemas import NoArgsSchema, PageArgsSchema
from referrals.routes.common import MARKETING, blp
from referrals.schemas.rewards import LedgerArgsSchema, RewardEntrySchema, RewardRuleSchema, RewardRuleUpdateSchema
from referrals.services import rewards


@blp.route("/referrals/reward-rules", methods=["GET"])
@blp.login_required(*MARKETING)
@blp.arguments(PageArgsSchema, location="query")
@blp.response(200, page_schema(RewardRuleSchema))
def list_reward_rules(args):
    """Double-sided reward rules"""
    return page(*rewards.list_rules(**args))


@blp.route("/referrals/reward-rules", methods=["POST"])
@blp.login_required(*MARKETING)
@blp.arguments(RewardRuleSchema)
@blp.response(201, RewardRuleSchema)
def create_reward_rule(data):
    """Reward the referrer and the referred member on signup, first post or becoming a customer"""
    rule = rewards.create_rule(data, current_user)
    db.session.commit()
    return rule


@blp.route("/referrals/reward-rules/<int:rule_id>", methods=["PATCH"])
@blp.login_required(*MARKETING)
@blp.arguments(RewardRuleUpdateSchema)
@blp.response(200, RewardRuleSchema)
def update_reward_rule(changes, rule_id):
    """Change a rule's amounts or switch it off (granted rewards stay in the ledger)"""
    rule = rewards.update_rule(rewards.get_rule(rule_id), changes)
    db.session.commit()
    return rule


@blp.route("/referrals/rewards", methods=["GET"])
@blp.login_required(*MARKETING)
@blp.arguments(LedgerArgsSchema, location="query")
@blp.response(200, page_schema(RewardEntrySchema))
def list_rewards(args):
    """The reward ledger, newest first"""
    return page(*rewards.list_ledger(**args))


@blp.route("/referrals/rewards/export.csv", methods=["GET"])
@blp.login_required(*MARKETING)
@blp.arguments(NoArgsSchema, location="query")
@blp.doc(responses={"200": {"description": "The whole ledger as CSV", "content": {"text/csv": {}}}})
def export_rewards(args):
    """The reward ledger as CSV, for payouts"""
    headers = {"Content-Disposition": "attachment; filename=referral-rewards.csv"}
    return flask.Response(flask.stream_with_context(rewards.ledger_csv()), mimetype="text/csv", headers=headers)


@blp.route("/me/rewards", methods=["GET"])
@blp.login_required()
@blp.arguments(PageArgsSchema, location="query")
@blp.response(200, page_schema(RewardEntrySchema))
def list_my_rewards(args):
    """Rewards you earned by referring, or by being referred"""
    return page(*rewards.list_ledger(**args, member_id=current_user.id))
