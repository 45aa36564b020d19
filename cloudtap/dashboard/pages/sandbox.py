"""``/dashboard/sandbox``: for sandbox keys, the sandbox's Apple IDs, what each scenario
does, their password and code, and a one-click session with any of them."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from fastapi import APIRouter, Depends
from fastapi.responses import HTMLResponse

from cloudtap.dashboard.calls import ActionRefused
from cloudtap.dashboard.render import page
from cloudtap.dashboard.scenarios import describe
from cloudtap.dashboard.visitor import Visitor, signed_in

if TYPE_CHECKING:
    from cloudtap.sandbox.accounts.model import SandboxAccount

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
    def of(cls, account: SandboxAccount) -> AccountRow:
        from cloudtap.sandbox.photos.counts import photo_count

        return cls(
            account.apple_id,
            account.password,
            account.code,
            account.scenario,
            photo_count(account),
            describe(account.scenario),
        )


@router.get("/dashboard/sandbox")
def sandbox_page(visitor: Visitor = Depends(signed_in)) -> HTMLResponse:
    if not visitor.is_sandbox:
        raise ActionRefused(404, "not-found", "Sandbox accounts are for sandbox keys.", {})
    # The sandbox modules (its CA, proxy, world) load only when this page is shown.
    from cloudtap.sandbox.runtime import sandbox_accounts

    rows = [AccountRow.of(a) for a in sandbox_accounts(visitor.caller.settings)]
    return page(visitor.request, "sandbox.html", visitor, title="Sandbox accounts", rows=rows)
