"""Jinja2 pages with the headers every dashboard answer carries."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

from fastapi import Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from jinja2 import Environment, FileSystemLoader, select_autoescape

from cloudtap.api.auth import settings_of
from cloudtap.dashboard.cookies import COOKIE_NAME, COOKIE_PATH, CookieSession, sign
from cloudtap.dashboard.explain import explain
from cloudtap.dashboard.visitor import Visitor

_TEMPLATES = Path(__file__).parent / "templates"
_env = Environment(
    loader=FileSystemLoader(_TEMPLATES), autoescape=select_autoescape(), trim_blocks=True
)
_env.globals["explain"] = explain

NAV = (
    ("/dashboard", "Overview"),
    ("/dashboard/users", "Users & sources"),
    ("/dashboard/sessions", "Sessions"),
    ("/dashboard/polls", "Polls"),
    ("/dashboard/events", "Events"),
    ("/dashboard/configs", "Configs"),
    ("/dashboard/keys", "Keys"),
    ("/dashboard/subscriptions", "Subscriptions"),
)

# Pages hold CSRF tokens and signed download links: never cached, never framed, and no
# Referer carries a signed link to another site.
SECURITY_HEADERS = {
    "Content-Security-Policy": (
        "default-src 'self'; img-src 'self'; style-src 'self'; script-src 'self'; "
        "frame-ancestors 'none'; form-action 'self'; base-uri 'none'"
    ),
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "Cache-Control": "no-store",
}


def page(
    request: Request,
    template: str,
    visitor: Visitor | None = None,
    status: int = 200,
    **context: Any,
) -> HTMLResponse:
    nav = list(NAV)
    if visitor is not None and visitor.is_sandbox:
        nav.append(("/dashboard/sandbox", "Sandbox accounts"))
    html = _env.get_template(template).render(
        request=request,
        visitor=visitor,
        csrf=visitor.csrf if visitor else context.pop("csrf", ""),
        nav=nav,
        path=request.url.path,
        **context,
    )
    return HTMLResponse(html, status_code=status, headers=SECURITY_HEADERS)


def fragment(
    request: Request, template: str, visitor: Visitor, settled: bool, **context: Any
) -> HTMLResponse:
    """A piece of a page that live.js swaps in; ``X-Settled`` tells it to stop asking."""
    response = page(request, template, visitor, **context)
    response.headers["X-Settled"] = "1" if settled else "0"
    return response


def redirect(url: str) -> RedirectResponse:
    # 303: the browser follows a form post with a GET, so a reload never posts again.
    return RedirectResponse(url, status_code=303, headers=SECURITY_HEADERS)


def set_cookie(request: Request, response: Response, session: CookieSession) -> None:
    response.set_cookie(
        COOKIE_NAME,
        sign(settings_of(request), session.session_id),
        max_age=max(0, session.expires - int(time.time())),
        path=COOKIE_PATH,
        httponly=True,
        samesite="strict",
        secure=_is_https(request),
    )


def _is_https(request: Request) -> bool:
    public = settings_of(request).public_url or ""
    return request.url.scheme == "https" or public.startswith("https://")
