"""Customer health and its rules."""

from flask_login import current_user

from core.extensions import db
from core.pagination import page, page_schema
from journey.routes.common import MARKETING, blp
from journey.schemas.health import CustomerHealthSchema, HealthListArgsSchema, HealthRulesSchema
from journey.services import health, rules


@blp.route("/customers/health", methods=["GET"])
@blp.login_required(*MARKETING)
@blp.arguments(HealthListArgsSchema, location="query")
@blp.response(200, page_schema(CustomerHealthSchema))
def list_customer_health(args):
    """Customers' health (0-100), worst first, with the reasons that add up to it"""
    return page(*health.list_health(**args))


@blp.route("/customers/health/rules", methods=["GET"])
@blp.login_required(*MARKETING)
@blp.response(200, HealthRulesSchema)
def get_health_rules():
    """The customer-health rules"""
    return rules.current_rules().config


@blp.route("/customers/health/rules", methods=["PUT"])
@blp.login_required("admin")
@blp.arguments(HealthRulesSchema)
@blp.response(200, HealthRulesSchema)
def update_health_rules(config):
    """Replace the customer-health rules; every customer's health is recomputed in the background"""
    saved = rules.update_rules(config, current_user.id)
    db.session.commit()
    return saved.config
