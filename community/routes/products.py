"""The catalogue, peer recommendations, endorsements, NPS, sharing recommendations."""

from flask_login import current_user

from community.routes.common import blp, responds, viewer
from community.schemas.products import (
    NpsSchema,
    ProductListArgsSchema,
    ProductSchema,
    ProductUpdateSchema,
    RecommendationSchema,
)
from community.schemas.threads import ShareLinkSchema
from community.services import nps, products
from core.extensions import db
from core.pagination import page, page_schema
from core.schemas import DateRangeArgsSchema, PageArgsSchema


@blp.route("/products", methods=["GET"])
@blp.arguments(ProductListArgsSchema, location="query")
@blp.response(200, page_schema(ProductSchema))
def list_products(args):
    """The brand's products"""
    return page(*products.list_products(**args))


@blp.route("/products", methods=["POST"])
@blp.login_required("marketer")
@blp.arguments(ProductSchema)
@blp.response(201, ProductSchema)
@responds(409)
def create_product(data):
    """Add a product to the catalogue"""
    product = products.create_product(**data)
    db.session.commit()
    return product


@blp.route("/products/<int:product_id>", methods=["GET"])
@blp.response(200, ProductSchema)
@responds(404)
def get_product(product_id):
    """One product"""
    return products.get_product(product_id)


@blp.route("/products/<int:product_id>", methods=["PATCH"])
@blp.login_required("marketer")
@blp.arguments(ProductUpdateSchema(partial=True))
@blp.response(200, ProductSchema)
@responds(404, 409)
def update_product(changes, product_id):
    """Change a product"""
    product = products.update_product(products.get_product(product_id), changes)
    db.session.commit()
    return product


@blp.route("/products/<int:product_id>/recommendations", methods=["GET"])
@blp.arguments(PageArgsSchema, location="query")
@blp.response(200, page_schema(RecommendationSchema))
@responds(404)
def list_recommendations(args, product_id):
    """Peer recommendations of a product, newest first"""
    return page(*products.list_recommendations(products.get_product(product_id), viewer(), **args))


@blp.route("/products/<int:product_id>/recommendations", methods=["POST"])
@blp.login_required()
@blp.arguments(RecommendationSchema)
@blp.response(201, RecommendationSchema)
@responds(404, 409)
def recommend(data, product_id):
    """Recommend a product (score 0-10); posting again updates your recommendation"""
    recommendation = products.recommend(products.get_product(product_id), current_user, **data)
    db.session.commit()
    return recommendation


@blp.route("/products/<int:product_id>/nps", methods=["GET"])
@blp.arguments(DateRangeArgsSchema, location="query")
@blp.response(200, NpsSchema)
@responds(404)
def product_nps(args, product_id):
    """Net Promoter Score of a product from its recommendations (banned and erased members left out)"""
    return nps.product_nps(products.get_product(product_id), **args)


@blp.route("/recommendations/<int:recommendation_id>/endorse", methods=["POST"])
@blp.login_required()
@blp.response(200, RecommendationSchema)
@responds(404)
def endorse(recommendation_id):
    """Endorse someone's recommendation; idempotent"""
    recommendation = products.endorse(products.get_recommendation(recommendation_id, current_user), current_user)
    db.session.commit()
    return recommendation


@blp.route("/recommendations/<int:recommendation_id>/share", methods=["POST"])
@blp.login_required()
@blp.response(201, ShareLinkSchema)
@responds(404)
def share_recommendation(recommendation_id):
    """A share link for a recommendation, carrying your referral code"""
    link = products.share_recommendation(products.get_recommendation(recommendation_id, current_user), current_user)
    db.session.commit()
    return link
