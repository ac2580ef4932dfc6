"""The page registry: one decorated view adds a route, its role check and its navigation entry."""

from __future__ import annotations

from flask import Blueprint, Flask

from console.blueprint import pages
from console.pages import Page, PageRegistry, safe_next
from tests.factories import MemberFactory


def test_a_page_is_one_view_with_its_route_roles_and_navigation_entry(app_ctx):
    registry = PageRegistry(Blueprint("later", __name__))

    @registry.page("/nps", roles=("marketer", "admin"), title="NPS over time", section="Voice of the customer")
    def nps_over_time():
        return "chart"

    @registry.action("/nps/refresh", roles=("marketer", "admin"))
    def refresh_nps():
        return "done"

    marketer, seller = MemberFactory(roles=["marketer"]), MemberFactory(roles=["sales"])
    entry = Page("later.nps_over_time", "NPS over time", "Voice of the customer", ("marketer", "admin"))
    assert registry.navigation(marketer) == [("Voice of the customer", [entry])]
    assert registry.navigation(seller) == [] and registry.first_page(seller) is None
    app = Flask("later")
    app.register_blueprint(registry.blueprint)
    rules = {(rule.rule, tuple(sorted(rule.methods - {"HEAD", "OPTIONS"}))) for rule in app.url_map.iter_rules()}
    assert {("/nps", ("GET",)), ("/nps/refresh", ("POST",))} <= rules


def test_the_console_navigation_groups_pages_by_section(app_ctx):
    admin = MemberFactory(roles=["admin"])
    sections = {section: [page.title for page in group] for section, group in pages.navigation(admin)}
    assert sections == {
        "Sales": ["Leads", "Accounts"],
        "Marketing": ["Attribution", "Funnel & K-factor", "Rewards"],
        "Community": ["Moderation queue"],
        "Customers": ["Journey funnel", "Voice of the customer", "Customers at risk"],
    }


def test_only_console_pages_are_returned_to(app_ctx):
    for target in ("/console/leads?stage=mql", "/console/leads/7", "/console/"):
        assert safe_next(target) == target
    for target in (
        None,
        "",
        "/api/v1/me",
        "https://evil.example/console/",
        "//evil.example/console/",
        "https:evil.example/console/",
        "/console\\x",
        "/console/..//evil.example",  # a browser resolves the dot segment: //evil.example on our host
        "/console/%2e%2e//evil.example",
        "/console//evil.example",
        "/console/static/../../api/v1/me",
        "/console/leads\r\nSet-Cookie: x=1",
        "/console/\t/evil.example",
        "/console/leads/abc",
        "/console/sign-out",  # not a page (POST only)
        "/console/no-such-page",
    ):
        assert safe_next(target) is None, target
