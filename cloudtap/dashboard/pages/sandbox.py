"""``/dashboard/sandbox``: for sandbox keys, the sandbox's Apple IDs, what each scenario
does, their password and code, and a one-click session with any of them."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Protocol

from fastapi import APIRouter, Depends
from fastapi.responses import HTMLResponse

from cloudtap.dashboard.calls import ActionRefused
from cloudtap.dashboard.render import page
from cloudtap.dashboard.scenarios import describe
from cloudtap.dashboard.visitor import Visitor, signed_in

if TYPE_CHECKING:
    from collections.abc import Callable, Sequence

    from cloudtap.config import Settings


class SandboxAccountView(Protocol):
    """What the page shows of a sandbox Apple ID (``sandbox.catalogue.CatalogueEntry``)."""

    apple_id: str
    password: str
    code: str | None
    scenario: str
    photo_count: int


router = APIRouter()


@dataclass(frozen=True)
class AccountRow:
    apple_id: str
    password: str
    code: str | None
    scenario: str
    photos: int
    behaviour: str

    @classmethod
    def of(cls, account: SandboxAccountView) -> AccountRow:
        return cls(
            account.apple_id,
            account.password,
            account.code,
            account.scenario,
            account.photo_count,
            describe(account.scenario),
        )


@router.get("/dashboard/sandbox")
def sandbox_page(visitor: Visitor = Depends(signed_in)) -> HTMLResponse:
    if not visitor.is_sandbox:
        raise ActionRefused(404, "not-found", "Sandbox accounts are for sandbox keys.", {})
    # Given by the application's assembly (cloudtap.app): the dashboard never imports
    # the sandbox.
    catalogue: Callable[[Settings], Sequence[Any]] | None = getattr(
        visitor.request.app.state, "sandbox_catalogue", None
    )
    if catalogue is None:
        raise ActionRefused(404, "not-found", "This server runs no sandbox.", {})
    rows = [AccountRow.of(a) for a in catalogue(visitor.caller.settings)]
    return page(visitor.request, "sandbox.html", visitor, title="Sandbox accounts", rows=rows)
