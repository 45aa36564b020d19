"""Issue 19.1: a contacts or calendar host answering HTTP 200 with Apple's error envelope
(``{"reason": …, "error": 1}``) fails the task with a typed error; it is never published
as an empty address book or calendar."""

from __future__ import annotations

from cloudtap.dashboard.explain import explain
from tests.api.live_sandbox import LiveAPI, live_api  # noqa: F401

CONTACTS, EVENTS = "mme_contacts.contacts", "mme_calendar.events"


def test_error_envelope_fails_contacts_and_calendar_with_a_typed_error(live: LiveAPI) -> None:
    session = live.active_session("error-envelope")
    poll = live.poll(session["id"], {"data_types": [CONTACTS, EVENTS]})

    assert poll["state"] == "completed"
    failed = {e["target"]: e for e in poll["errors"]["data"]}
    assert set(failed) == {CONTACTS, EVENTS}
    for target, service in ((CONTACTS, "contacts"), (EVENTS, "calendar")):
        assert failed[target]["error"] == "apple-service-error"
        info = failed[target]["error_info"]
        assert info["service"] == service and info["status"] == 200
        assert info["reason"] == "Missing X-APPLE-WEBAUTH-TOKEN cookie"
    # No result at all, so nothing claims an empty book or calendar.
    assert poll["results"]["data"] == []
    assert poll["tasks_succeeded"] == []
    words = explain("apple-service-error", failed[CONTACTS]["error_info"])
    assert words is not None and "Apple" in words.summary


def test_the_same_data_types_succeed_for_an_account_without_the_envelope(
    live: LiveAPI,
) -> None:
    session = live.active_session("callkit-sync-off")  # 20 contacts, no envelope
    poll = live.poll(session["id"], {"data_types": [CONTACTS]})
    assert poll["errors"]["data"] == []
    assert [r["identifier"] for r in poll["results"]["data"]] == [CONTACTS]
