from __future__ import annotations

import io

from PIL import Image

from cloudtap.sandbox.accounts.model import ContentSpec, SandboxAccount
from cloudtap.sandbox.services.content import contacts as gen
from cloudtap.sandbox.world import SandboxWorld
from tests.sandbox.services.conftest import ServiceClient

PARAMS = {"locale": "en_US", "order": "last,first", "includePhoneNumbers": "true"}


async def test_startup_then_all_contacts(
    service_client: ServiceClient, account: SandboxAccount
) -> None:
    async with service_client("contacts") as client:
        startup = (await client.get("/co/startup", params=PARAMS)).json()
        assert startup["prefToken"] and startup["syncToken"]
        params = {
            **PARAMS,
            "prefToken": startup["prefToken"],
            "syncToken": startup["syncToken"],
            "limit": "0",
            "offset": "0",
        }
        reply = await client.get("/co/contacts", params=params)
    contacts = reply.json()["contacts"]
    assert len(contacts) == account.content.contacts
    assert len({c["contactId"] for c in contacts}) == len(contacts)
    first = contacts[0]
    assert first["firstName"] and first["lastName"]
    assert first["phones"][0]["field"] and first["emailAddresses"][0]["field"]
    with_photo = [c for c in contacts if "photo" in c]
    assert len(with_photo) >= 150  # "hundreds of contacts with photos"


async def test_paging_matches_the_full_listing(service_client: ServiceClient) -> None:
    async with service_client("contacts") as client:
        everything = (await client.get("/co/contacts", params={"limit": 0})).json()["contacts"]
        page = (await client.get("/co/contacts", params={"limit": 25, "offset": 50})).json()
    assert page["contacts"] == everything[50:75]


async def test_contacts_are_deterministic_per_seed() -> None:
    spec = ContentSpec(seed=3, contacts=10)
    assert gen.person(spec, 4) == gen.person(spec, 4)
    assert gen.person(spec, 4) != gen.person(ContentSpec(seed=4, contacts=10), 4)


async def test_startup_carries_the_first_cards_the_order_and_the_groups(
    service_client: ServiceClient, account: SandboxAccount
) -> None:
    spec = account.content
    async with service_client("contacts") as client:
        startup = (await client.get("/co/startup", params=PARAMS)).json()
        listed = (await client.get("/co/contacts", params={"limit": 0})).json()["contacts"]
    assert startup["contactsOrder"] == [c["contactId"] for c in listed]
    carried = startup["contacts"]
    assert carried == listed[: len(carried)] and carried
    assert startup["collections"][0]["collectionId"] == "card"
    members = gen.group_members(spec)
    assert {g["name"]: tuple(g["contactIds"]) for g in startup["groups"]} == members
    assert startup["collections"][0]["groupsOrder"] == [g["groupId"] for g in startup["groups"]]


async def test_cards_use_the_captured_key_names(
    service_client: ServiceClient, account: SandboxAccount
) -> None:
    async with service_client("contacts") as client:
        cards = (await client.get("/co/contacts", params={"limit": 0})).json()["contacts"]
    keys = {k for c in cards for k in c}
    assert "emails" not in keys
    wanted = {"emailAddresses", "IMs", "dates", "relatedNames", "profiles", "phoneticFirstName"}
    assert wanted <= keys
    assert any(c["isCompany"] and "firstName" not in c for c in cards)
    assert any("phones" not in c for c in cards) and any("emailAddresses" not in c for c in cards)
    assert any(not c.get("firstName", "a").isascii() for c in cards)


def test_the_world_mixes_every_kind_of_contact() -> None:
    spec = ContentSpec(seed=11, contacts=400)
    people = [gen.person(spec, i) for i in range(spec.contacts)]
    assert any(p.is_company and p.first is None and p.company for p in people)
    assert any(p.phonetic_first and not (p.first or "").isascii() for p in people)
    assert all(any(p.__getattribute__(f) for p in people) for f in ("ims", "dates", "profiles"))
    assert any(p.related_names for p in people) and any(not p.emails for p in people)
    assert any(p.nickname == "" for p in people) and any(p.groups for p in people)
    assert any((p.birthday or "").startswith(f"{gen.NO_YEAR}-") for p in people)


async def test_photo_url_serves_a_jpeg(service_client: ServiceClient) -> None:
    async with service_client("contacts") as client:
        contacts = (await client.get("/co/contacts", params={"limit": 5})).json()["contacts"]
        url = next(c["photo"]["url"] for c in contacts if "photo" in c)
        assert url.startswith("https://p61-contacts.icloud.com/co/photo/")
        reply = await client.get(url)
    assert reply.status_code == 200
    assert reply.headers["content-type"] == "image/jpeg"
    assert Image.open(io.BytesIO(reply.content)).size == (gen.PHOTO_SIZE, gen.PHOTO_SIZE)


async def test_mecard_is_the_account_owner(
    service_client: ServiceClient, account: SandboxAccount
) -> None:
    async with service_client("contacts") as client:
        me = (await client.get("/co/mecard")).json()["contacts"][0]
    assert (me["firstName"], me["lastName"]) == (account.first_name, account.last_name)


async def test_without_a_web_session_the_answer_is_421(service_client: ServiceClient) -> None:
    async with service_client("contacts", signed_in=False) as client:
        reply = await client.get("/co/startup")
    assert reply.status_code == 421


async def test_bad_paging_parameters_are_a_400(service_client: ServiceClient) -> None:
    async with service_client("contacts") as client:
        reply = await client.get("/co/contacts", params={"limit": "lots"})
    assert reply.status_code == 400
    assert "limit" in reply.json()["errorReason"]


async def test_changeset_answers_what_changed_after_a_token(
    service_client: ServiceClient, account: SandboxAccount, world: SandboxWorld
) -> None:
    """``/co/changeset`` from an earlier reply's tokens: the cards added or edited since,
    the ids of those deleted in ``deletes.contactIds``, and a newer token; from that token,
    nothing."""
    async with service_client("contacts") as client:
        startup = (await client.get("/co/startup", params=PARAMS)).json()
        tokens = {"prefToken": startup["prefToken"], "syncToken": startup["syncToken"]}
        added = world.add_contact(account.apple_id)
        world.edit_contact(account.apple_id, 3)
        world.delete_contact(account.apple_id, 5)
        reply = (await client.post("/co/changeset", params=tokens)).json()
        again = (
            await client.post("/co/changeset", params={**tokens, "syncToken": reply["syncToken"]})
        ).json()
        bad = await client.post("/co/changeset", params={**tokens, "syncToken": "nonsense"})
        book = (await client.get("/co/contacts", params={"limit": 0})).json()["contacts"]
    spec = world.account(account.apple_id).content  # type: ignore[union-attr]
    changed = {c["contactId"]: c for c in reply["contacts"]}
    assert set(changed) == {gen.contact_id(spec, added), gen.contact_id(spec, 3)}
    assert changed[gen.contact_id(spec, 3)]["notes"] == "Edited once"
    assert reply["deletes"]["contactIds"] == [gen.contact_id(spec, 5)]
    assert reply["syncToken"] != tokens["syncToken"]
    assert again["contacts"] == [] and again["deletes"]["contactIds"] == []
    assert bad.status_code == 400 and bad.json()["errorCode"] == 400
    ids = [c["contactId"] for c in book]
    assert len(ids) == account.content.contacts  # one added, one deleted
    assert gen.contact_id(spec, 5) not in ids and gen.contact_id(spec, added) in ids
    grouped = {i for g in reply["groups"] for i in g["contactIds"]}
    assert gen.contact_id(spec, 5) not in grouped
