from __future__ import annotations

from datetime import date, timedelta

import pytest

from cloudtap.sandbox.accounts.model import SandboxAccount
from cloudtap.sandbox.services.content import events as gen
from cloudtap.sandbox.services.content.rng import today
from cloudtap.sandbox.world import SandboxWorld
from tests.sandbox.services.conftest import ServiceClient

PARAMS = {"lang": "en-us", "usertz": "America/Los_Angeles", "dsid": "20000001"}


def _month(day: date) -> dict[str, str]:
    first = day.replace(day=1)
    last = (first + timedelta(days=32)).replace(day=1) - timedelta(days=1)
    return {**PARAMS, "startDate": first.isoformat(), "endDate": last.isoformat()}


async def test_events_for_this_month(service_client: ServiceClient) -> None:
    async with service_client("calendar") as client:
        reply = (await client.get("/ca/events", params=_month(today()))).json()
    events = reply["Event"]
    assert 20 <= len(events) <= 200  # 2000 events over ~3.5 years is ~50 a month
    month = today().strftime("%Y%m")
    for event in events:
        assert len(event["startDate"]) == 7 and event["pGuid"] and event["guid"]
        assert event["startDate"][0][:6] <= month or event["endDate"][0][:6] >= month
    assert any(e["allDay"] for e in events)
    assert any(e["tz"] not in ("America/Los_Angeles", "Floating") for e in events)


async def test_invitees_alarms_and_recurrences_ride_in_sidecars(
    service_client: ServiceClient,
) -> None:
    async with service_client("calendar") as client:
        reply = (await client.get("/ca/events", params=_month(today()))).json()
    invitees = {i["guid"]: i for i in reply["Invitee"]}
    alarms = {a["guid"]: a for a in reply["Alarm"]}
    with_invitees = [e for e in reply["Event"] if e["invitees"]]
    with_alarms = [e for e in reply["Event"] if e["alarms"]]
    assert with_invitees and with_alarms
    assert all(g in invitees for e in with_invitees for g in e["invitees"])
    assert all(g in alarms for e in with_alarms for g in e["alarms"])
    recurring = [e for e in reply["Event"] if "recurrence" in e]
    assert recurring  # weekly series show up every month


async def test_history_and_future_are_populated(service_client: ServiceClient) -> None:
    async with service_client("calendar") as client:
        past = await client.get("/ca/events", params=_month(today() - timedelta(days=730)))
        ahead = await client.get("/ca/events", params=_month(today() + timedelta(days=120)))
        far = await client.get("/ca/events", params=_month(today() + timedelta(days=800)))
    assert past.json()["Event"] and ahead.json()["Event"]
    assert far.json()["Event"] == []


async def test_collections_and_event_detail(service_client: ServiceClient) -> None:
    async with service_client("calendar") as client:
        collections = (await client.get("/ca/allcollections", params=PARAMS)).json()["Collection"]
        events = (await client.get("/ca/events", params=_month(today()))).json()["Event"]
        event = events[0]
        detail = await client.get(
            f"/ca/eventdetail/{event['pGuid']}/{event['guid']}", params=PARAMS
        )
        occurrence = next(e for e in events if "*" in e["guid"] or e["recurrenceMaster"])
        series = await client.get(
            f"/ca/eventdetail/{occurrence['pGuid']}/{occurrence['guid']}", params=PARAMS
        )
        missing = await client.get(f"/ca/eventdetail/{event['pGuid']}/NOPE", params=PARAMS)
    assert {c["title"] for c in collections} >= {"Home", "Work"}
    assert event["pGuid"] in {c["guid"] for c in collections}
    assert detail.json()["Event"][0] == event
    assert series.json()["Event"][0]["guid"] == occurrence["guid"]
    assert missing.status_code == 404


async def test_bad_dates_are_a_400(service_client: ServiceClient) -> None:
    async with service_client("calendar") as client:
        bad = await client.get("/ca/events", params={**PARAMS, "startDate": "yesterday"})
        backwards = await client.get(
            "/ca/events", params={**PARAMS, "startDate": "2025-02-01", "endDate": "2025-01-01"}
        )
        zone = await client.get("/ca/events", params={**PARAMS, "usertz": "Mars/Olympus"})
    assert bad.status_code == backwards.status_code == zone.status_code == 400


async def test_ranges_of_several_years_are_answered(service_client: ServiceClient) -> None:
    # pyicloud's get_events(from_dt, to_dt) asks any range in one request; nothing public
    # shows Apple refusing long ones, so the sandbox answers them (docs/apple-evidence.md).
    span = {"startDate": (today() - timedelta(days=4 * 366)).isoformat()}
    span["endDate"] = (today() + timedelta(days=366)).isoformat()
    async with service_client("calendar") as client:
        reply = await client.get("/ca/events", params={**PARAMS, **span})
        one_month = (await client.get("/ca/events", params=_month(today()))).json()["Event"]
    assert reply.status_code == 200, reply.text
    everything = {e["guid"] for e in reply.json()["Event"]}
    assert len(everything) > 1_000 and {e["guid"] for e in one_month} <= everything


@pytest.mark.parametrize(
    ("first", "last"), [("0001-01-01", "9999-12-31"), ("9999-12-31", "9999-12-31")]
)
async def test_the_ends_of_the_calendar_are_an_answer_not_an_error(
    service_client: ServiceClient, first: str, last: str
) -> None:
    params = {**PARAMS, "usertz": "Pacific/Kiritimati", "startDate": first, "endDate": last}
    async with service_client("calendar") as client:
        reply = await client.get("/ca/events", params=params)
    assert reply.status_code == 200, reply.text
    assert isinstance(reply.json()["Event"], list)


async def test_a_calendars_ctag_changes_with_its_events_only(
    service_client: ServiceClient, world: SandboxWorld, account: SandboxAccount
) -> None:
    """CalDAV's getctag: the ctag of an event's calendar changes when the event is edited
    or deleted; the other calendars' stay, and so does every ctag when nothing happens."""
    spec = account.content
    async with service_client("calendar") as client:

        async def ctags() -> dict[str, str]:
            reply = (await client.get("/ca/allcollections", params=PARAMS)).json()
            return {c["guid"]: c["ctag"] for c in reply["Collection"]}

        async def month_events() -> dict[str, dict[str, object]]:
            reply = (await client.get("/ca/events", params=_month(today()))).json()
            return {e["guid"]: e for e in reply["Event"]}

        before, events = await ctags(), await month_events()
        assert await ctags() == before
        edited, deleted = [
            i
            for i in range(spec.events)
            if gen.event_guid(spec, i) in events
            and not events[gen.event_guid(spec, i)].get("recurrence")
        ][:2]
        world.edit_event(account.apple_id, edited)
        after_edit = await ctags()
        world.delete_event(account.apple_id, deleted)
        after_delete, now = await ctags(), await month_events()
        gone = await client.get(
            f"/ca/eventdetail/{gen.calendar_guid(spec, gen.calendar_of(spec, deleted))}/"
            f"{gen.event_guid(spec, deleted)}",
            params=PARAMS,
        )
    home = gen.calendar_guid(spec, gen.calendar_of(spec, edited))
    assert {g for g in before if before[g] != after_edit[g]} == {home}
    bin_ = gen.calendar_guid(spec, gen.calendar_of(spec, deleted))
    assert {g for g in before if after_edit[g] != after_delete[g]} == {bin_}
    was, is_ = events[gen.event_guid(spec, edited)], now[gen.event_guid(spec, edited)]
    assert is_["title"] == f"{was['title']} (edited)" and is_["etag"] != was["etag"]
    assert gen.event_guid(spec, deleted) not in now and gone.status_code == 404
    assert events[gen.event_guid(spec, edited)]["pGuid"] == home
