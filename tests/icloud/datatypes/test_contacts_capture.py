"""Our contacts client against the shape of a public ``/co/startup`` capture.

The fixture keeps the capture's structure (see its README); the assertions compare what
``to_item`` publishes with the fixture's own values, key by key.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from cloudtap.icloud.datatypes import mme_contacts
from cloudtap.icloud.services import contacts as service

FIXTURE = Path(__file__).parents[2] / "fixtures" / "co-startup-shape" / "co_startup.json"


@pytest.fixture(scope="module")
def startup() -> dict[str, Any]:
    return json.loads(FIXTURE.read_text(encoding="utf-8"))


def _records(item: dict[str, Any], kind: str) -> list[dict[str, Any]]:
    return [r for r in item["records"] if r["type"] == kind]


def test_every_email_address_of_the_capture_is_published(startup: dict[str, Any]) -> None:
    cards = startup["contacts"]
    wanted = [(e["label"], e["field"]) for c in cards for e in c.get("emailAddresses", [])]
    assert len(wanted) == 6
    items = [mme_contacts.to_item(card) for card in startup["contacts"]]
    got = [(r["name"], r["value"]) for item in items for r in _records(item, "Email")]
    assert got == wanted


def test_the_older_emails_key_is_read_too() -> None:
    card = {"contactId": "X", "emails": [{"label": "HOME", "field": "a@b.example"}]}
    assert _records(mme_contacts.to_item(card), "Email") == [
        {"type": "Email", "name": "HOME", "value": "a@b.example"}
    ]


def test_a_card_with_both_keys_lists_each_address_once() -> None:
    entry = {"label": "HOME", "field": "a@b.example"}
    card = {"contactId": "X", "emails": [entry], "emailAddresses": [entry]}
    assert len(_records(mme_contacts.to_item(card), "Email")) == 1


def test_every_field_of_the_rich_card_is_mapped(startup: dict[str, Any]) -> None:
    card = startup["contacts"][0]
    item = mme_contacts.to_item(card)
    assert item["first_name"] == card["firstName"] and item["middle_name"] == card["middleName"]
    assert (item["last_name"], item["prefix"], item["suffix"]) == (
        card["lastName"],
        card["prefix"],
        card["suffix"],
    )
    assert item["nickname"] == card["nickName"] and item["notes"] == card["notes"]
    assert item["birthday"] == card["birthday"]
    assert (item["organisation"], item["department"], item["jobtitle"]) == (
        card["companyName"],
        card["department"],
        card["jobTitle"],
    )
    assert item["phonetic_first_name"] == card["phoneticFirstName"]
    assert item["phonetic_last_name"] == card["phoneticLastName"]
    assert item["phonetic_organisation"] == card["phoneticCompanyName"]
    assert item["is_company"] is False
    phones = [(r["name"], r["value"]) for r in _records(item, "Phone")]
    assert phones == [(p["label"], p["field"]) for p in card["phones"]]
    urls = [(r["name"], r["value"]) for r in _records(item, "URL")]
    assert urls == [(u["label"], u["field"]) for u in card["urls"]]
    streets = [(r["name"], r["Street"], r["ZIP"]) for r in _records(item, "Address")]
    addresses = card["streetAddresses"]
    assert streets == [
        (a["label"], a["field"]["street"], a["field"]["postalCode"]) for a in addresses
    ]
    ims = [(r["name"], r["value"], r["Service"]) for r in _records(item, "IM")]
    assert ims == [
        (m["label"], m["field"]["userName"], m["field"].get("IMService")) for m in card["IMs"]
    ]
    dates = [(r["name"], r["value"]) for r in _records(item, "Date")]
    assert dates == [(d["label"], d["field"]) for d in card["dates"]]
    related = [(r["name"], r["value"]) for r in _records(item, "RelatedName")]
    assert related == [(n["label"], n["field"]) for n in card["relatedNames"]]
    profiles = [(r["name"], r["value"], r["User"]) for r in _records(item, "Profile")]
    assert profiles == [(p["label"], p["field"], p.get("user")) for p in card["profiles"]]


def test_a_company_card_says_so() -> None:
    item = mme_contacts.to_item({"contactId": "C", "isCompany": True, "companyName": "Acme"})
    assert item["is_company"] is True and item["organisation"] == "Acme"
    assert item["first_name"] is None and item["records"] == []


def test_groups_become_names_on_their_members() -> None:
    groups = [
        {"groupId": "G1", "name": "Family", "contactIds": ["A", "B"]},
        {"groupId": "G2", "name": "Work", "contactIds": ["B"]},
    ]
    member_of = service.group_names(groups)
    assert mme_contacts.to_item({"contactId": "B"}, member_of.get("B", []))["groups"] == [
        "Family",
        "Work",
    ]
    assert mme_contacts.to_item({"contactId": "C"}, member_of.get("C", []))["groups"] == []


def test_the_startup_reply_already_holds_the_whole_small_book(startup: dict[str, Any]) -> None:
    parsed = service.Startup.from_reply(startup)
    assert [c["contactId"] for c in parsed.cards] == startup["contactsOrder"]
    assert parsed.complete
    assert parsed.tokens == {"prefToken": startup["prefToken"], "syncToken": startup["syncToken"]}


def test_a_startup_reply_without_an_order_is_not_taken_as_complete() -> None:
    reply = {"prefToken": "p", "syncToken": "s", "contacts": [{"contactId": "A"}]}
    parsed = service.Startup.from_reply(reply)
    assert not parsed.complete and len(parsed.cards) == 1
