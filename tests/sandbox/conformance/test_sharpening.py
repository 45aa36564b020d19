"""Each sharpening of the comparison catches a difference planted in an otherwise equal reply.

These are unit tests of the comparison itself (``report.differences``): a captured call and
a hand-made sandbox reply that departs from it in exactly one way.
"""

from __future__ import annotations

import json
from typing import Any

import httpx

from tests.sandbox.conformance.captures import Call
from tests.sandbox.conformance.deviations import DEVIATIONS, Deviation
from tests.sandbox.conformance.report import Outcome, Report, differences
from tests.sandbox.conformance.shapes import ID_MAPS, Difference

SIGNIN = "https://idmsa.apple.com/appleauth/auth/signin/complete"
CK = "https://p61-ckdatabasews.icloud.com/database/1/com.apple.photos.cloud/production/private"
JSON = "application/json;charset=UTF-8"


def _call(
    url: str,
    status: int,
    body: Any,
    content_type: str = JSON,
    source: str = "icloudpd",
    headers: tuple[str, ...] = (),
) -> Call:
    return Call(
        source,
        "g",
        "g#0",
        "POST",
        url,
        None,
        status,
        body,
        headers,
        content_type=content_type,
    )


def _reply(status: int, body: Any, content_type: str = "application/json") -> httpx.Response:
    content = b"" if body is None else json.dumps(body).encode()
    return httpx.Response(status, content=content, headers={"content-type": content_type})


def test_a_flipped_enumeration_value_is_a_difference() -> None:
    _, found = differences(
        _call(SIGNIN, 200, {"authType": "hsa2"}), _reply(200, {"authType": "sa"})
    )
    assert found == [Difference("value", "authType", "'hsa2' != 'sa'")]


def test_a_renamed_key_has_its_value_compared_under_the_new_name() -> None:
    captured = _call(SIGNIN, 200, {"auth_type": "hsa2"})
    _, found = differences(captured, _reply(200, {"authType": "sa"}))
    assert Difference("value", "auth_type", "'hsa2' != 'sa' (as authType)") in found


def test_error_codes_and_status_strings_are_compared() -> None:
    captured = {"records": [{"serverErrorCode": "NOT_FOUND"}], "status": "success"}
    ours = {"records": [{"serverErrorCode": "ZONE_NOT_FOUND"}], "status": "success"}
    _, found = differences(_call(f"{CK}/records/lookup", 200, captured), _reply(200, ours))
    assert found == [
        Difference("value", "records[].serverErrorCode", "'NOT_FOUND' != 'ZONE_NOT_FOUND'")
    ]


def test_cloudkit_field_types_are_compared_per_record_type() -> None:
    captured = {"records": [{"recordType": "CPLMaster", "fields": {"f": {"type": "STRING"}}}]}
    ours = {"records": [{"recordType": "CPLMaster", "fields": {"f": {"type": "INT64"}}}]}
    _, found = differences(_call(f"{CK}/records/query", 200, captured), _reply(200, ours))
    assert found == [Difference("value", "records[CPLMaster].fields.f.type", "'STRING' != 'INT64'")]


def test_an_extra_key_counts_on_every_host_and_source() -> None:
    captured = _call(f"{CK}/records/query", 200, {"records": []}, source="pyicloud")
    _, found = differences(captured, _reply(200, {"records": [], "moreComing": False}))
    assert found == [Difference("extra", "moreComing")]


def test_an_empty_json_body_is_compared() -> None:
    captured = _call(f"{CK}/records/modify", 200, {})
    _, found = differences(captured, _reply(200, {"records": []}))
    assert found == [Difference("extra", "records")]


def test_a_reply_captured_without_a_body_must_have_none() -> None:
    captured = _call(SIGNIN, 204, None)
    _, found = differences(captured, _reply(204, {"x": 1}))
    assert found == [Difference("body", "$", "captured empty, ours 8 bytes")]


def test_the_content_type_is_compared() -> None:
    captured = _call(SIGNIN, 200, {}, content_type="text/html;charset=UTF-8")
    _, found = differences(captured, _reply(200, {}, "application/json"))
    assert found == [Difference("content-type", "$", "text/html != application/json")]


def test_an_empty_body_with_another_status_is_a_difference_and_its_headers_are_checked() -> None:
    captured = _call(SIGNIN, 204, None, headers=("scnt",))
    _, found = differences(captured, _reply(200, None))
    assert found == [Difference("status", "$", "204 != 200"), Difference("header", "scnt")]


def test_the_body_is_compared_under_a_status_difference() -> None:
    captured = _call(SIGNIN, 200, {"authType": "hsa2"})
    _, found = differences(captured, _reply(409, {"authType": "sa", "x": 1}))
    assert found == [
        Difference("status", "$", "200 != 409"),
        Difference("value", "authType", "'hsa2' != 'sa'"),
        Difference("extra", "x"),
    ]


def test_a_deviation_covers_one_key_path_only() -> None:
    call = _call(f"{CK}/records/query", 200, {})
    deviation = Deviation("POST ckdatabasews.icloud.com/*", "missing", "records[].f", "why", "S")
    assert deviation.covers(call, Difference("missing", "records[].f"))
    assert not deviation.covers(call, Difference("missing", "records[].fields"))
    assert not deviation.covers(call, Difference("missing", "records[CPLAsset].f"))
    star = Deviation("*", "missing", "records[*]*", "why", "S")
    assert not star.covers(call, Difference("missing", "records[CPLAsset].fields"))


def test_every_documented_deviation_names_one_kind_and_one_key_path() -> None:
    def wide(path: str) -> bool:  # a "*" other than an id-keyed map's key (shapes.ID_MAPS)
        for prefix in ID_MAPS:
            path = path.replace(f"{prefix}.*", prefix)
        return "*" in path

    assert not [d for d in DEVIATIONS if d.kind == "*" or wide(d.path)]
    assert all(d.reason.strip() and d.ledger for d in DEVIATIONS)
    assert len({(d.call, d.source, d.kind, d.path) for d in DEVIATIONS}) == len(DEVIATIONS)


def test_the_report_counts_distinct_replies() -> None:
    one = _call(SIGNIN, 200, {"authType": "hsa2"})
    again = Call(**{**one.__dict__, "name": "g#1"})
    other = _call(SIGNIN, 409, {"authType": "hsa2"})
    report = Report([Outcome(c, c.status, 1) for c in (one, again, other)])
    assert report.distinct_replies == 2
    assert len(report.outcomes) == 3
