"""The shape comparison the conformance suite rests on."""

from __future__ import annotations

from tests.sandbox.conformance.report import host_differences
from tests.sandbox.conformance.shapes import Difference, compare_bodies, extra_keys, key_paths


def test_list_elements_share_a_path_and_their_keys_are_united() -> None:
    paths = key_paths({"records": [{"a": 1}, {"b": "x", "c": None}]})
    assert paths == {
        "records": {"array"},
        "records[].a": {"number"},
        "records[].b": {"string"},
        "records[].c": {"null"},
    }


def test_missing_keys_are_reported_once_at_the_top() -> None:
    captured = {"zones": [{"zoneID": {"zoneName": "A", "zoneType": "R"}, "records": [{"x": 1}]}]}
    ours = {"zones": [{"zoneID": {"zoneName": "B"}}]}
    checked, found = compare_bodies(captured, ours)
    assert checked == 6
    assert found == [
        Difference("missing", "zones[].records"),
        Difference("missing", "zones[].zoneID.zoneType"),
    ]


def test_types_must_agree_but_a_captured_null_matches_anything() -> None:
    _, found = compare_bodies({"a": "1", "b": None, "c": True}, {"a": 1, "b": {}, "c": False})
    assert found == [Difference("type", "a", "string != number")]


def test_ids_used_as_keys_compare_by_shape() -> None:
    captured = {"userInfo": {"membersInfo": {"john": {"firstName": "J"}}}}
    ours = {"userInfo": {"membersInfo": {"p42": {"firstName": "K"}}}}
    assert compare_bodies(captured, ours)[1] == []


def test_extra_keys_are_reported_at_the_top() -> None:
    assert extra_keys({"a": 1}, {"a": 1, "b": {"c": 2}, "d": [{"e": 1}]}) == ["b", "d"]


def test_service_host_names_compare_without_the_partition() -> None:
    captured = {"webservices": {"findme": {"url": "https://p61-fmipweb.icloud.com:443"}}}
    same = {"webservices": {"findme": {"url": "https://p07-fmipweb.icloud.com"}}}
    other = {"webservices": {"findme": {"url": "https://p07-findme.icloud.com"}}}
    assert host_differences(captured, same) == []
    assert host_differences(captured, other) == [
        Difference(
            "host", "webservices.findme.url", "pNN-fmipweb.icloud.com != pNN-findme.icloud.com"
        )
    ]


def test_cloudkit_records_are_compared_per_type() -> None:
    captured = {"records": [{"recordType": "CPLMaster", "a": 1}, {"recordType": "CPLAsset"}]}
    ours = {"records": [{"recordType": "CPLMaster"}, {"recordType": "CPLAsset", "a": 1}]}
    assert compare_bodies(captured, ours)[1] == [Difference("missing", "records[CPLMaster].a")]
