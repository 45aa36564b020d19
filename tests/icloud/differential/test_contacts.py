"""Unmodified pyicloud 2026.10.1 and cloudtap read the same sandbox address book and agree
on every contact: count, names, company, phones and e-mail addresses."""

from __future__ import annotations

import base64
from pathlib import Path
from typing import Any

import pytest

from cloudtap.icloud.connector import JSONDict
from cloudtap.sandbox.runtime import RunningSandbox
from tests.icloud.differential.conftest import cloudtap_view, pyicloud_account_view

pytestmark = pytest.mark.compat

ACCOUNT = "rich"


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
    theirs = pyicloud_account_view(
        pyicloud_venv, "pyicloud_contacts.py", ACCOUNT, sandbox, tmp_path
    )
    ours = await cloudtap_view(sandbox, ACCOUNT, "mme_contacts.contacts")
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


async def test_a_host_that_ignores_paging_gives_both_clients_the_book_once(
    pyicloud_venv: Path, sandbox: RunningSandbox, tmp_path: Path
) -> None:
    """Issue 19.5: contacts-5k-paged@'s host ignores limit/offset; pyicloud and cloudtap
    both read its 5,000 cards once each, and cloudtap in one /co/contacts request."""
    name = "contacts-5k-paged"
    theirs = pyicloud_account_view(pyicloud_venv, "pyicloud_contacts.py", name, sandbox, tmp_path)
    tally, apple_id = sandbox.world.tally, f"{name}@sandbox.cloudtap.dev"
    before = tally.count(apple_id, "co/contacts")
    ours = await cloudtap_view(sandbox, name, "mme_contacts.contacts")
    assert tally.count(apple_id, "co/contacts") - before == 1
    our_ids = [base64.b64decode(i["uid"]).decode() for i in ours]
    their_ids = [c["contactId"] for c in theirs]
    assert len(our_ids) == len(set(our_ids)) == 5_000
    assert sorted(our_ids) == sorted(their_ids)
