"""NPS brand-wide, per product and over time, with from/to honoured and banned and erased members left out."""

from datetime import UTC, datetime

import pytest
import sqlalchemy as sa

from community.models import Recommendation
from core.accounts.models import Member
from core.extensions import db
from core.models import utcnow
from tests.community.conftest import API
from tests.community.factories import ProductFactory, RecommendationFactory
from tests.factories import MemberFactory


def at(month: int, day: int = 15) -> datetime:
    return datetime(2026, month, day, 12, tzinfo=UTC)


@pytest.fixture
def scores(app):
    """Aurora: January 10, 9, 7, 3; April 8. Pulse: February 6, 6, 10, plus a banned member's 10 and an
    erased member's 0 that never count."""
    with app.app_context():
        aurora, pulse = ProductFactory(name="Aurora"), ProductFactory(name="Pulse")
        given = [(aurora, {}, score, at(1)) for score in (10, 9, 7, 3)]
        given += [(aurora, {}, 8, at(4, 30)), *[(pulse, {}, score, at(2)) for score in (6, 6, 10)]]
        given += [(pulse, {"banned_at": utcnow()}, 10, at(2)), (pulse, {"erased_at": utcnow()}, 0, at(2))]
        for product, fields, score, when in given:
            RecommendationFactory(
                product=product, member=MemberFactory(**fields), score=score, created_at=when, updated_at=when
            )
        db.session.commit()
        return {"aurora": aurora.id, "pulse": pulse.id}


def get(client, path, **query):
    response = client.get(f"{API}{path}", query_string=query)
    assert response.status_code == 200, response.get_json()
    return response.get_json()


SPRING = {"from": "2026-01-01", "to": "2026-04-30"}


def test_brand_nps_by_month_computed_by_hand(auth, scores):
    body = get(auth.client("marketer"), "/nps", group_by="month", **SPRING)
    assert (body["group_by"], body["product_id"]) == ("month", None)
    assert [
        (i["key"], i["responses"], i["promoters"], i["passives"], i["detractors"], i["nps"]) for i in body["items"]
    ] == [
        ("2026-01", 4, 2, 1, 1, 25.0),  # (2 - 1) / 4
        ("2026-02", 3, 1, 0, 2, -33.33),  # (1 - 2) / 3: the banned 10 and the erased 0 are not counted
        ("2026-03", 0, 0, 0, 0, None),
        ("2026-04", 1, 0, 1, 0, 0.0),
    ]


def test_nps_by_product_and_of_one_product_over_time(auth, scores):
    marketer = auth.client("marketer")
    by_product = get(marketer, "/nps", group_by="product")
    assert [(i["key"], i["label"], i["responses"], i["nps"]) for i in by_product["items"]] == [
        (str(scores["aurora"]), "Aurora", 5, 20.0),  # 10 9 7 3 8: (2 - 1) / 5
        (str(scores["pulse"]), "Pulse", 3, -33.33),
    ]
    aurora = get(marketer, "/nps", product_id=scores["aurora"], **SPRING)
    assert [(i["key"], i["nps"]) for i in aurora["items"]] == [
        ("2026-01", 25.0),
        ("2026-02", None),
        ("2026-03", None),
        ("2026-04", 0.0),
    ]


def test_the_product_nps_honours_from_and_to_and_leaves_out_banned_and_erased(auth, scores):
    everyone = auth.client("anonymous")
    assert get(everyone, f"/products/{scores['pulse']}/nps") == {
        "product_id": scores["pulse"],
        "responses": 3,
        "promoters": 1,
        "passives": 0,
        "detractors": 2,
        "nps": -33.33,
    }
    january = get(everyone, f"/products/{scores['aurora']}/nps", **{"from": "2026-01-01", "to": "2026-01-31"})
    assert (january["responses"], january["nps"]) == (4, 25.0)
    since_april = get(everyone, f"/products/{scores['aurora']}/nps", **{"from": "2026-04-01"})
    assert (since_april["responses"], since_april["nps"]) == (1, 0.0)
    nothing = get(everyone, f"/products/{scores['aurora']}/nps", to="2025-12-31")
    assert (nothing["responses"], nothing["nps"]) == (0, None)


def test_a_later_ban_takes_a_score_out(auth, scores, app):
    marketer, moderator = auth.client("marketer"), auth.client("moderator")
    with app.app_context():
        promoter = db.session.scalars(
            sa.select(Recommendation.member_id)
            .join(Member)
            .where(Recommendation.product_id == scores["pulse"], Recommendation.score == 10, Member.banned_at.is_(None))
        ).one()
    moderator.post(f"{API}/moderation/members/{promoter}/ban")
    february = get(marketer, "/nps", **{"from": "2026-02-01", "to": "2026-02-28"})["items"]
    assert [(i["responses"], i["nps"]) for i in february] == [(2, -100.0)]


@pytest.mark.parametrize(
    ("path", "query", "field"),
    [
        ("/nps", {"group_by": "week"}, "group_by"),
        ("/nps", {"product_id": "one"}, "product_id"),
        ("/nps", {"product_id": 999_999}, "product_id"),
        ("/nps", {"from": "yesterday"}, "from"),
        ("/nps", {"to": "2026-02-30"}, "to"),
        ("/nps", {"from": "2026-02-01", "to": "2026-01-01"}, "from"),
        ("/nps", {"from": "1999-12-31"}, "from"),
        ("/nps", {"category": 1}, "category"),
        ("/products/{aurora}/nps", {"from": "2026-05-01", "to": "2026-04-01"}, "from"),
        ("/products/{aurora}/nps", {"since": "2026-01-01"}, "since"),
    ],
)
def test_bad_queries_are_refused_naming_the_parameter(auth, scores, path, query, field):
    response = auth.client("admin").get(f"{API}{path.format(**scores)}", query_string=query)
    assert response.status_code == 422 and field in response.get_json()["errors"]
