"""Unmodified pyicloud 2026.10.1 and cloudtap read the same sandbox address book and agree
on every contact: count, names, company, phones and e-mail addresses."""

from __future__ import annotations

import base64
from pathlib import Path
from typing import Any

import pytest

from cloudtap.icloud.client.connector import ICloudConnector
from cloudtap.icloud.connector import Credentials, Filters, JSONDict, TransportOptions
from cloudtap.sandbox.runtime import RunningSandbox
from tests.icloud.client.conftest import PASSWORD, apple_id
from tests.icloud.differential.conftest import pyicloud_view

pytestmark = pytest.mark.compat

ACCOUNT = apple_id("rich")


async def _cloudtap_view(sandbox: RunningSandbox) -> list[JSONDict]:
    transport = TransportOptions(proxy_url=sandbox.proxy_url, ca_file=str(sandbox.ca_file))
    connector = ICloudConnector(transport)
    outcome = await connector.login(Credentials(ACCOUNT, PASSWORD), None)
    assert outcome.state == "active" and outcome.session_state
    state = outcome.session_state
    return [i async for i in connector.fetch_items(state, "mme_contacts.contacts", Filters())]


def _key_fields_of_item(item: JSONDict) -> dict[str, Any]:
    def values(kind: str) -> list[Any]:
        return [r["value"] for r in item["records"] if r["type"] == kind]

    return {
        "firstName": item["first_name"],
        "lastName": item["last_name"],
        "companyName": item["organisation"],
        "isCompany": item["is_company"],
        "phones": values("Phone"),
        "emailAddresses": values("Email"),
    }


async def test_pyicloud_and_cloudtap_agree_on_every_contact(
    pyicloud_venv: Path, sandbox: RunningSandbox, tmp_path: Path
) -> None:
    theirs = pyicloud_view(
        pyicloud_venv,
        "pyicloud_contacts.py",
        [ACCOUNT, PASSWORD, str(tmp_path / "cookies")],
        sandbox,
        tmp_path,
    )
    ours = await _cloudtap_view(sandbox)
    assert len(theirs) == len(ours) > 0
    by_id = {base64.b64decode(i["uid"]).decode(): _key_fields_of_item(i) for i in ours}
    assert len(by_id) == len(ours)
    for contact in theirs:
        contact_id = contact.pop("contactId")
        # pyicloud passes Apple's card through; absent keys read as None / no entries.
        contact["isCompany"] = bool(contact["isCompany"])
        assert by_id[contact_id] == contact, contact_id
    # The comparison covered the interesting cards, not only plain ones.
    assert any(c["isCompany"] for c in theirs)
    assert sum(len(c["emailAddresses"]) for c in theirs) > len(theirs)
