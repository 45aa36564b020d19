"""Form posts: read the url-encoded body and check its CSRF token against the cookie's."""

from __future__ import annotations

import hmac
from dataclasses import dataclass
from urllib.parse import parse_qs

from fastapi import Depends, Request

from cloudtap.dashboard.cookies import CookieSession
from cloudtap.dashboard.visitor import Visitor, cookie_session, signed_in

CSRF_FIELD = "csrf"


class CsrfRefused(Exception):
    """A form post without the session's CSRF token (or with another one)."""


@dataclass(frozen=True)
class Form:
    fields: dict[str, list[str]]

    def get(self, name: str, default: str = "") -> str:
        values = self.fields.get(name)
        return values[0].strip() if values else default

    def get_all(self, name: str) -> list[str]:
        return [v.strip() for v in self.fields.get(name, []) if v.strip()]


async def read_form(request: Request) -> Form:
    raw = (await request.body()).decode("utf-8", errors="replace")
    return Form(parse_qs(raw, keep_blank_values=True))


def check_csrf(form: Form, session: CookieSession | None) -> None:
    sent = form.get(CSRF_FIELD)
    if session is None or not sent or not hmac.compare_digest(sent, session.csrf):
        raise CsrfRefused


@dataclass(frozen=True)
class Posted:
    visitor: Visitor
    form: Form


async def posted(request: Request, visitor: Visitor = Depends(signed_in)) -> Posted:
    """FastAPI dependency of every state-changing page: signed in, CSRF checked."""
    form = await read_form(request)
    check_csrf(form, visitor.session)
    return Posted(visitor, form)


async def posted_anonymously(request: Request) -> Form:
    """The sign-in form: checked against the pre-sign-in cookie's token."""
    form = await read_form(request)
    check_csrf(form, cookie_session(request))
    return form
