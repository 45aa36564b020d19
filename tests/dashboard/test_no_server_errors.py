"""No dashboard route answers 5xx, whatever ids, query strings or form fields it gets."""

from __future__ import annotations

import re

from fastapi.routing import APIRoute

from cloudtap.dashboard.mount import ROUTERS
from tests.cli.serve_process import ServedAPI
from tests.dashboard.support import signed_in_client

ODD_VALUES = ("nope", "..%2F..%2Fetc%2Fpasswd", "%00", "x" * 600, "%E2%80%AE")
PARAM = re.compile(r"\{[^}]+\}")


def _routes() -> list[tuple[str, str]]:
    found = []
    for router in ROUTERS:
        for route in router.routes:
            assert isinstance(route, APIRoute)
            assert route.methods is not None
            found += [(method, route.path) for method in sorted(route.methods)]
    return found


def test_every_route_answers_without_a_server_error(served: ServedAPI) -> None:
    client, csrf = signed_in_client(served.url, served.token)
    routes = _routes()
    assert len(routes) > 20
    failures = []
    for method, path in routes:
        if path == "/dashboard/sign-out":
            continue  # would end this client's session; tested in test_security
        for value in ODD_VALUES:
            url = PARAM.sub(value, path) + f"?session={value}&type={value}&state={value}"
            if method == "GET":
                answer = client.get(url)
            else:
                fields = {"csrf": csrf, "session": value, "url": value, "apple_id": value}
                fields |= {"source": value, "credentials": value, "interval": value}
                answer = client.post(url, data=fields)
            if answer.status_code >= 500:
                failures.append((method, url[:120], answer.status_code))
    assert failures == []
