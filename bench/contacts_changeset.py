"""What a resumed contacts listing saves: the whole book of ``contacts-10k@`` as a client
lists it (``/co/startup``, then ``/co/contacts`` with ``limit=0``) against one
``/co/changeset`` from the startup's tokens after one contact was edited. Serves the
sandbox in-process (no proxy) and prints requests and bytes of each.

    .venv/bin/python bench/contacts_changeset.py
"""

from __future__ import annotations

import asyncio
import sys
from pathlib import Path

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from cloudtap.sandbox.accounts.scenarios import scenario_account
from cloudtap.sandbox.app import SandboxApp
from cloudtap.sandbox.world import WEB_SESSION_COOKIE, SandboxWorld

ACCOUNT = "contacts-10k"


async def main() -> None:
    account = scenario_account(ACCOUNT)
    world = SandboxWorld.with_accounts([account])
    token = world.issue_web_session(account).token
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=SandboxApp(world)),
        base_url="https://p61-contactsws.icloud.com",
        cookies={WEB_SESSION_COOKIE: token},
    ) as client:
        startup = await client.get("/co/startup")
        tokens = {k: startup.json()[k] for k in ("prefToken", "syncToken")}
        book = await client.get("/co/contacts", params={**tokens, "limit": "0", "offset": "0"})
        world.edit_contact(account.apple_id, 7)
        changes = await client.post("/co/changeset", params=tokens)
    whole = len(startup.content) + len(book.content)
    cards = len(changes.json()["contacts"])
    print(f"{account.apple_id} whole listing: 2 requests, {whole:,} bytes")
    print(f"changeset after one edit: 1 request, {len(changes.content):,} bytes, {cards} card")


if __name__ == "__main__":
    asyncio.run(main())
