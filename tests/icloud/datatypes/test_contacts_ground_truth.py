"""Ground truth: every field cloudtap publishes for ``mme_contacts.contacts``, read through
the live sandbox proxy, equals the sandbox world's own ``Person`` values (the content
generator), and contact images are the world's JPEG bytes."""

# The live-sandbox fixtures are imported from tests/icloud/client, hence F401/F811.
# ruff: noqa: F401, F811

from __future__ import annotations

import base64
from typing import Any

from cloudtap.icloud.client.connector import ICloudConnector
from cloudtap.icloud.connector import JSONDict
from cloudtap.sandbox.runtime import RunningSandbox
from cloudtap.sandbox.services.content import contacts as gen
from tests.icloud.client.conftest import (
    RequestLog,
    connector,
    requests_made,
    sandbox,
    transport,
)
from tests.icloud.datatypes.sandbox_session import download, items, session, world_account

# Every key an item carries; the test fails if one is published but not checked here.
ITEM_KEYS = {
    "id",
    "data_type",
    "uid",
    "first_name",
    "middle_name",
    "last_name",
    "prefix",
    "suffix",
    "nickname",
    "phonetic_first_name",
    "phonetic_last_name",
    "phonetic_organisation",
    "is_company",
    "records",
    "organisation",
    "department",
    "jobtitle",
    "birthday",
    "notes",
    "groups",
    "image",
}


async def _items(connector: ICloudConnector, name: str) -> tuple[JSONDict, list[JSONDict]]:
    state = await session(connector, name)
    return state, await items(connector, state, "mme_contacts.contacts")


def _labelled(kind: str, entries: tuple[gen.Labelled, ...]) -> list[dict[str, Any]]:
    return [{"type": kind, "name": e.label, "value": e.value} for e in entries]


def _expected_records(p: gen.Person) -> dict[str, list[dict[str, Any]]]:
    return {
        "Phone": _labelled("Phone", p.phones),
        "Email": _labelled("Email", p.emails),
        "URL": _labelled("URL", p.urls),
        "Date": _labelled("Date", p.dates),
        "RelatedName": _labelled("RelatedName", p.related_names),
        "IM": [
            {"type": "IM", "name": m.label, "value": m.user, "Service": m.service} for m in p.ims
        ],
        "Profile": [
            {"type": "Profile", "name": s.label, "value": s.url, "User": s.user} for s in p.profiles
        ],
        "Address": [
            {
                "type": "Address",
                "name": a.label,
                "Street": a.street,
                "City": a.city,
                "State": a.state,
                "ZIP": a.postal_code,
                "Country": a.country,
                "CountryCode": a.country_code,
                "SubLocality": None,
                "Municipality": None,
            }
            for a in p.addresses
        ],
    }


def _check(item: JSONDict, p: gen.Person) -> None:
    assert set(item) - {"files"} == ITEM_KEYS
    assert item["data_type"] == "mme_contacts.contact"
    assert item["uid"] == base64.b64encode(p.contact_id.encode()).decode()
    scalars = {
        "first_name": p.first,
        "middle_name": p.middle,
        "last_name": p.last,
        "prefix": p.prefix,
        "suffix": p.suffix,
        "nickname": p.nickname,
        "phonetic_first_name": p.phonetic_first,
        "phonetic_last_name": p.phonetic_last,
        "phonetic_organisation": p.phonetic_company,
        "is_company": p.is_company,
        "organisation": p.company,
        "department": p.department,
        "jobtitle": p.job_title,
        "birthday": p.birthday,
        "notes": p.notes,
        "groups": list(p.groups),
    }
    assert {k: item[k] for k in scalars} == scalars
    expected = _expected_records(p)
    assert len(item["records"]) == sum(len(v) for v in expected.values())
    for kind, records in expected.items():
        assert [r for r in item["records"] if r["type"] == kind] == records, kind
    assert (item["image"] is not None) == p.has_photo
    assert ("files" in item) == p.has_photo


async def test_every_published_field_is_the_worlds_value(
    connector: ICloudConnector, sandbox: RunningSandbox, requests_made: RequestLog
) -> None:
    spec = world_account(sandbox, "rich").content
    requests_made.clear()
    state, items = await _items(connector, "rich")
    assert len(items) == spec.contacts
    # More contacts than /co/startup carries: the rest came from /co/contacts.
    assert any(u.endswith("/co/contacts") for u in requests_made.urls)
    by_id = {base64.b64decode(i["uid"]).decode(): i for i in items}
    assert len(by_id) == spec.contacts
    for index in range(spec.contacts):
        p = gen.person(spec, index)
        _check(by_id[p.contact_id], p)
    # Exercised by this account: companies, unicode names, groups, IMs, and so on.
    people = [gen.person(spec, i) for i in range(spec.contacts)]
    assert any(p.is_company for p in people) and any(p.groups for p in people)
    assert any(p.phonetic_first for p in people) and any(not p.emails for p in people)
    # The image bytes are the world's portrait, for cards in and beyond the startup page.
    with_photo = [i for i in range(spec.contacts) if gen.has_photo(spec, i)]
    for index in (with_photo[0], with_photo[len(with_photo) // 2], with_photo[-1]):
        item = by_id[gen.contact_id(spec, index)]
        assert await download(connector, state, item["image"]["id"]) == gen.photo_jpeg(spec, index)


async def test_a_small_book_comes_whole_in_the_startup_reply(
    connector: ICloudConnector, sandbox: RunningSandbox, requests_made: RequestLog
) -> None:
    spec = world_account(sandbox, "calls-few").content
    requests_made.clear()
    _state, items = await _items(connector, "calls-few")
    assert not any(u.endswith("/co/contacts") for u in requests_made.urls)
    assert [base64.b64decode(i["uid"]).decode() for i in items] == gen.contact_ids(spec)
    for index, item in enumerate(items):
        _check(item, gen.person(spec, index))
