"""Authorisation tables: each domain lists every endpoint with the roles allowed in.

A domain's `tests/<domain>/test_authorization.py` defines `ENDPOINTS` (a list of
`Endpoint`) and calls `check_endpoint` for each role; `tests/core/test_authorization.py`
fails when any route of the app is missing from every table.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

ROLES = ("anonymous", "member", "moderator", "marketer", "sales", "admin")
EVERYONE = ROLES
SIGNED_IN = ROLES[1:]
ADMIN = ("admin",)
STAFF_MARKETING = ("marketer", "admin")
STAFF_SALES = ("sales", "admin")
STAFF_MODERATION = ("moderator", "admin")
STAFF_VOICE = ("moderator", "marketer", "admin")  # who reads feedback and answers it
MISSING_ID = "999999"


@dataclass(frozen=True)
class Endpoint:
    method: str
    rule: str  # exactly as in app.url_map, e.g. "/api/v1/me/tokens/<int:token_id>"
    allowed: tuple[str, ...]
    json: dict | None = field(default=None, hash=False)
    headers: dict | None = field(default=None, hash=False)

    @property
    def path(self) -> str:
        """The rule with a missing id for each id, and the first choice of each `any(...)`."""
        path = re.sub(r"<any\(\s*([\w-]+)[^>]*>", r"\1", self.rule)
        return re.sub(r"<(?:\w+:)?\w+>", MISSING_ID, path)

    def __str__(self) -> str:
        return f"{self.method} {self.rule}"


def check_endpoint(auth, endpoint: Endpoint, role: str) -> None:
    """Roles outside `allowed` get 401 (anonymous) or 403; allowed roles get neither."""
    client = auth.client(role)
    kwargs = {"json": endpoint.json} if endpoint.method not in ("GET", "DELETE") else {}
    response = client.open(endpoint.path, method=endpoint.method, headers=endpoint.headers, **kwargs)
    if role in endpoint.allowed:
        assert response.status_code not in (401, 403), f"{role} refused at {endpoint}: {response.get_json()}"
        assert response.status_code < 500
    else:
        expected = 401 if role == "anonymous" else 403
        assert response.status_code == expected, f"{role} at {endpoint}: {response.status_code}"
        assert response.get_json()["code"] == expected


def endpoint_params(endpoints: list[Endpoint]) -> list:
    return [(endpoint, role) for endpoint in endpoints for role in ROLES]


def endpoint_ids(endpoints: list[Endpoint]) -> list[str]:
    return [f"{endpoint}-{role}" for endpoint in endpoints for role in ROLES]
