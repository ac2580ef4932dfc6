"""The community API answering as documented against a real gunicorn (2 workers) and database."""

import pytest
import requests

pytestmark = pytest.mark.live


class Api:
    def __init__(self, base: str, headers: dict | None = None):
        self.base, self.headers = f"{base}/api/v1", headers or {}

    def __call__(self, method: str, path: str, expected: int, **kwargs):
        response = requests.request(method, self.base + path, headers=self.headers, timeout=15, **kwargs)
        assert response.status_code == expected, (method, path, response.text)
        return response.json() if response.content else None


def test_a_community_day(auth, live_server):
    moderator = Api(live_server, auth.token(auth.member("moderator")))
    marketer = Api(live_server, auth.token(auth.member("marketer")))
    asker, helper = auth.member(), auth.member()
    ask, help_ = Api(live_server, auth.token(asker)), Api(live_server, auth.token(helper))
    anonymous = Api(live_server)

    category = moderator("POST", "/categories", 201, json={"slug": "help", "name": "Help"})
    thread = ask(
        "POST", "/threads", 201, json={"category_id": category["id"], "title": "Dock will not charge", "body": "Help"}
    )
    reply = help_("POST", f"/threads/{thread['id']}/posts", 201, json={"body": "Try the *other* cable"})
    assert reply["body_html"] == "<p>Try the <em>other</em> cable</p>\n"
    assert ask("PUT", f"/posts/{reply['id']}/reactions/helpful", 200)["reactions"]["helpful"] == 1
    assert (
        ask("POST", f"/threads/{thread['id']}/accept", 200, json={"post_id": reply["id"]})["accepted_post_id"]
        == reply["id"]
    )
    assert anonymous("GET", f"/members/{helper.id}", 200)["reputation"] == 3 + 15
    assert [h["post_id"] for h in anonymous("GET", "/search", 200, params={"q": "cable"})["items"]] == [reply["id"]]
    assert anonymous("GET", "/search", 422, params={"q": "!!!"})["errors"].keys() == {"q"}

    product = marketer("POST", "/products", 201, json={"name": "Halo Dock"})
    recommendation = help_(
        "POST", f"/products/{product['id']}/recommendations", 201, json={"score": 9, "body": "Solid"}
    )
    ask("POST", f"/products/{product['id']}/recommendations", 201, json={"score": 3, "body": "Flaky"})
    assert anonymous("GET", f"/products/{product['id']}/nps", 200)["nps"] == 0.0
    assert ask("POST", f"/recommendations/{recommendation['id']}/endorse", 200)["endorsement_count"] == 1
    assert ask("POST", f"/threads/{thread['id']}/share", 201)["code"] == asker.referral_code

    opener = anonymous("GET", f"/threads/{thread['id']}/posts", 200)["items"][0]
    help_("POST", f"/posts/{opener['id']}/flags", 201, json={"reason": "off_topic"})
    assert [f["post_id"] for f in moderator("GET", "/moderation/flags", 200)["items"]] == [opener["id"]]
    moderator("POST", f"/moderation/posts/{opener['id']}/hide", 200)
    anonymous("GET", f"/threads/{thread['id']}", 404)
    moderator("POST", f"/moderation/members/{helper.id}/ban", 200)
    help_("POST", "/threads", 401, json={"category_id": 1, "title": "Again", "body": "x"})  # the ban revoked the token
    help_ = Api(live_server, auth.token(helper))
    assert "banned" in help_("POST", "/threads", 403, json={"category_id": 1, "title": "Again", "body": "x"})["message"]
    anonymous("POST", "/threads", 401, json={})
