"""Admin member management and keyset pagination."""

import pytest

from tests.factories import PASSWORD


def test_members_list_pages_through_everyone_once(auth):
    admin = auth.client("admin")
    for n in range(7):
        auth.member(email=f"page{n}@example.com")
    seen, cursor = [], None
    while True:
        query = "limit=3" + (f"&cursor={cursor}" if cursor else "")
        body = admin.get(f"/api/v1/members?{query}").get_json()
        assert len(body["items"]) <= 3
        seen += [m["id"] for m in body["items"]]
        cursor = body["next_cursor"]
        if cursor is None:
            break
    assert len(seen) == 8 and len(set(seen)) == 8
    assert seen == sorted(seen, reverse=True)


def test_members_list_filters_by_role_and_text(auth):
    admin = auth.client("admin")
    auth.member("sales", email="seller@example.com", display_name="Sally Qwzx")
    auth.member(email="other@example.com", display_name="Other")
    sales = admin.get("/api/v1/members?role=sales").get_json()["items"]
    assert [m["email"] for m in sales] == ["seller@example.com"]
    # Matched case-insensitively inside the name (a made-up one: the admin's own name is random).
    found = admin.get("/api/v1/members?q=LY%20QWZ").get_json()["items"]
    assert [m["display_name"] for m in found] == ["Sally Qwzx"]


@pytest.mark.parametrize("cursor", ["garbage", "W10", "WyJ4Il0", "%%%"])
def test_bad_cursor_is_422_naming_cursor(auth, cursor):
    response = auth.client("admin").get(f"/api/v1/members?cursor={cursor}")
    assert response.status_code == 422
    assert "cursor" in response.get_json()["errors"]


def test_admin_sets_roles_type_and_ban(auth):
    admin = auth.client("admin")
    member = auth.member()
    response = admin.patch(
        f"/api/v1/members/{member.id}",
        json={"roles": ["sales", "moderator"], "member_type": "employee", "banned": True},
    )
    assert response.status_code == 200
    body = response.get_json()
    assert body["roles"] == ["member", "moderator", "sales"]
    assert body["member_type"] == "employee" and body["banned"] is True
    assert admin.patch(f"/api/v1/members/{member.id}", json={"banned": False}).get_json()["banned"] is False


def test_new_role_takes_effect_on_the_next_request(auth):
    member = auth.member()
    client = auth.client(member)
    assert client.get("/api/v1/members").status_code == 403
    auth.client("admin").patch(f"/api/v1/members/{member.id}", json={"roles": ["admin"]})
    assert client.get("/api/v1/members").status_code == 200


def test_admin_cannot_remove_own_admin_role(auth):
    admin = auth.client("admin")
    response = admin.patch(f"/api/v1/members/{admin.member.id}", json={"roles": ["sales"]})
    assert response.status_code == 422
    assert "roles" in response.get_json()["errors"]


@pytest.mark.parametrize(
    ("payload", "field"),
    [
        ({"roles": ["emperor"]}, "roles"),
        ({"member_type": "alien"}, "member_type"),
        ({"banned": "maybe"}, "banned"),
        ({"email": "x@y.z"}, "email"),
    ],
)
def test_admin_update_bad_input(auth, payload, field):
    member = auth.member()
    response = auth.client("admin").patch(f"/api/v1/members/{member.id}", json=payload)
    assert response.status_code == 422
    assert field in response.get_json()["errors"]


def test_admin_update_unknown_member_is_404(auth):
    assert auth.client("admin").patch("/api/v1/members/424242", json={"banned": True}).status_code == 404


def test_banned_member_can_still_sign_in_and_export(auth, app):
    member = auth.member(email="banned@example.com")
    auth.client("admin").patch(f"/api/v1/members/{member.id}", json={"banned": True})
    client = app.test_client()
    login = client.post("/api/v1/auth/login", json={"email": "banned@example.com", "password": PASSWORD})
    assert login.status_code == 200 and login.get_json()["banned"] is True
    assert client.get("/api/v1/me/export").status_code == 200
