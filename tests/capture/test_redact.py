"""Redaction rules, one at a time: the same original always gets the same stand-in,
which keeps its length and character classes; protocol values stay."""

from __future__ import annotations

import base64
import re

from cloudtap.capture.pseudonyms import Pseudonyms
from cloudtap.capture.redact_json import JsonRedactor
from cloudtap.capture.redact_url import redact_url


def _redactor() -> tuple[JsonRedactor, Pseudonyms]:
    names = Pseudonyms(shift_days=-100)
    return JsonRedactor(names), names


def _classes(text: str) -> str:
    return re.sub(r"[A-Z]", "A", re.sub(r"[a-z]", "a", re.sub(r"\d", "9", text)))


def test_pseudonyms_are_consistent_and_keep_shape() -> None:
    redactor, names = _redactor()
    record = "ASL69WvdFIMxoVozayg8KTW9X7eo"
    reply = {"records": [{"recordName": record}, {"fields": {"masterRef": {
        "value": {"recordName": record}, "type": "REFERENCE"}}}]}  # fmt: skip
    out = redactor.document(reply)
    first = out["records"][0]["recordName"]
    assert first == out["records"][1]["fields"]["masterRef"]["value"]["recordName"] != record
    assert _classes(first) == _classes(record)
    assert names.summary["identifier"] == 1


def test_protocol_values_stay_and_personal_ones_go() -> None:
    redactor, _ = _redactor()
    reply = {
        "recordType": "CPLMaster",
        "serverErrorCode": "ACCESS_DENIED",
        "fields": {
            "itemType": {"value": "public.heic", "type": "STRING"},
            "resOriginalFileType": {"value": "public.heic", "type": "STRING"},
            "filenameEnc": {"value": base64.b64encode(b"IMG_0829.HEIC").decode(), "type":
                "ENCRYPTED_BYTES"},
            "caption": {"value": "Birthday at Anna's", "type": "STRING"},
        },
        "dsInfo": {"primaryEmail": "anna@me.com", "dsid": "15788345468", "fullName": "Anna Q"},
    }  # fmt: skip
    out = redactor.document(reply)
    assert out["recordType"] == "CPLMaster" and out["serverErrorCode"] == "ACCESS_DENIED"
    assert out["fields"]["itemType"]["value"] == "public.heic"
    assert out["fields"]["resOriginalFileType"]["value"] == "public.heic"
    name = base64.b64decode(out["fields"]["filenameEnc"]["value"]).decode()
    assert name.endswith(".HEIC") and name != "IMG_0829.HEIC" and len(name) == 13
    assert out["fields"]["caption"]["value"] != "Birthday at Anna's"
    assert out["dsInfo"]["primaryEmail"].endswith("@example.com")
    dsid = out["dsInfo"]["dsid"]
    assert dsid.isdigit() and len(dsid) == 11 and dsid != "15788345468"


def test_dates_move_by_one_offset_in_every_spelling() -> None:
    redactor, names = _redactor()
    day_ms = 86_400_000
    reply = {
        "created": {"timestamp": 1_780_000_000_000},
        "fields": {"assetDate": {"value": 1_780_000_000_000, "type": "TIMESTAMP"}},
        "startDate": [20260528, 2026, 5, 28, 10, 30, 630],
        "lastModified": "2026-05-28T10:00:00Z",
    }
    out = redactor.document(reply)
    assert out["created"]["timestamp"] == 1_780_000_000_000 - 100 * day_ms
    assert out["fields"]["assetDate"]["value"] == 1_780_000_000_000 - 100 * day_ms
    assert out["startDate"] == [20260217, 2026, 2, 17, 10, 30, 630]
    assert out["lastModified"] == "2026-02-17T10:00:00Z"
    assert names.summary["date"] == 4


def test_secrets_keep_only_their_length() -> None:
    redactor, _ = _redactor()
    out = redactor.document({"dsWebAuthToken": "abc" * 10, "trustTokens": ["x" * 20]})
    assert out == {"dsWebAuthToken": "REDACTED-30", "trustTokens": ["REDACTED-20"]}


def test_signed_urls_are_replaced_and_apple_service_urls_kept() -> None:
    names = Pseudonyms()
    signed = "https://cvws.icloud-content.com/B/AWcAAAAxNTc4/${f}?o=AWcA&e=1900000000&s=Q2ONo1"
    made = redact_url(signed, names, lambda value, key: "x")
    assert made.startswith("https://redacted.example.com/") and "AWcA" not in made
    assert names.mapping[signed] == made  # one link, one stand-in, wherever it appears
    base = "https://p66-ckdatabasews.icloud.com:443"
    assert redact_url(base, names, lambda value, key: "x") == base
    query = "https://setup.icloud.com/setup/ws/1/validate?clientBuildNumber=2534Project66&dsid=157"
    assert redact_url(query, names, lambda value, key: "X") == (
        "https://setup.icloud.com/setup/ws/1/validate?clientBuildNumber=2534Project66&dsid=X"
    )
    assert names.mapping[query].endswith("&dsid=X")


def test_what_clients_build_themselves_stays_so_a_replay_matches_their_calls() -> None:
    """Reminders' ``Alarm/<uuid>`` names keep their type (clients build them from it),
    the record types a client asks for and Drive's ``root`` folder stay as they are."""
    redactor, _ = _redactor()
    uuid = "0D4F1A52-7C3B-4E8E-9F21-6A1B2C3D4E5F"
    out = redactor.document(
        {
            "records": [{"recordName": f"AlarmTrigger/{uuid}"}],
            "zones": [{"desiredRecordTypes": ["Alarm", "Reminder"]}],
            "drivewsid": "FOLDER::com.apple.CloudDocs::root",
        }
    )
    kind, ident = out["records"][0]["recordName"].split("/")
    assert kind == "AlarmTrigger" and ident != uuid and len(ident) == len(uuid)
    assert out["zones"][0]["desiredRecordTypes"] == ["Alarm", "Reminder"]
    assert out["drivewsid"] == "FOLDER::com.apple.CloudDocs::root"


def test_calendar_arrays_whose_day_is_a_string_are_shifted_too() -> None:
    """Apple's calendar host sends ``["20231206", 2023, 12, 6, 16, 30, 990]`` (the day as
    a string): shifted like the all-integer form, keeping the string."""
    redactor, names = _redactor()
    event = {
        "startDate": ["20231206", 2023, 12, 6, 16, 30, 990],
        "localEndDate": [20231207, 2023, 12, 7, 0, 45, 1395],
    }
    out = redactor.document({"Event": [event]})["Event"][0]
    assert out["startDate"] == ["20230828", 2023, 8, 28, 16, 30, 990]
    assert out["localEndDate"] == [20230829, 2023, 8, 29, 0, 45, 1395]
    assert names.shift_days == -100


def test_epoch_dates_spelled_as_strings_are_shifted_not_scrambled() -> None:
    """Shared streams send ``creationDate`` as epoch milliseconds in a string."""
    redactor, _ = _redactor()
    out = redactor.document({"attributes": {"creationDate": "1780000000000"}})
    assert out["attributes"]["creationDate"] == str(1_780_000_000_000 - 100 * 86_400_000)


def test_a_recurrence_frequency_is_an_enumeration_kept() -> None:
    redactor, _ = _redactor()
    out = redactor.document({"recurrence": {"freq": "weekly", "frequency": "daily"}})
    assert out["recurrence"] == {"freq": "weekly", "frequency": "daily"}


def test_a_restore_path_maps_each_folder_and_keeps_the_extension() -> None:
    redactor, _ = _redactor()
    folder, name = redactor.document([{"name": "Documents"}, {"name": "old draft"}])
    out = redactor.document({"restorePath": "Documents/old draft.txt"})
    assert out["restorePath"] == f"{folder['name']}/{name['name']}.txt"


def test_a_name_in_another_script_is_replaced_by_letters_of_that_script() -> None:
    _, names = _redactor()
    made = names.shaped("Лена Иванова", "free text")
    assert made != "Лена Иванова" and len(made) == len("Лена Иванова")
    assert not {"Лена", "Иванова"} & set(made.split(" "))
    assert made[4] == " " and all("\u0400" <= c <= "\u04ff" for c in made.replace(" ", ""))
    assert made[0].isupper() and made[1:4].islower()


def test_a_url_in_a_record_field_loses_its_path_even_on_an_apple_host() -> None:
    redactor, _ = _redactor()
    page = "https://developer.apple.com/wiki/Lighthouse"
    service = "https://p66-ckdatabasews.icloud.com/database/1/com.apple.notes"
    reply = {"webservices": {"notes": {"url": service}}, "records": [{"fields": {
        "url": {"value": page, "type": "STRING"}}}]}  # fmt: skip
    out = redactor.document(reply)
    assert out["webservices"]["notes"]["url"] == service
    visited = out["records"][0]["fields"]["url"]["value"]
    assert visited.startswith("https://redacted.example.com/") and "Lighthouse" not in visited
