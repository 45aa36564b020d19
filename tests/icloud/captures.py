"""Reading the VCR cassettes of real Apple traffic (``../shared/fixtures/apple-captures``)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import yaml

from cloudtap.icloud.services.photos import Scope


class _CassetteLoader(yaml.SafeLoader):
    """VCR writes Python 2 ``!!python/unicode`` tags; they are plain strings."""


def _unicode_as_str(loader: yaml.SafeLoader, node: yaml.ScalarNode) -> str:
    return loader.construct_scalar(node)


_CassetteLoader.add_constructor("tag:yaml.org,2002:python/unicode", _unicode_as_str)


def interactions(path: Path) -> list[dict[str, Any]]:
    with path.open(encoding="utf-8") as fh:
        return list(yaml.load(fh, Loader=_CassetteLoader)["interactions"])


def response_json(interaction: dict[str, Any]) -> Any:
    body = interaction["response"]["body"]
    text = body["string"] if isinstance(body, dict) else body
    return json.loads(text)


def listing_replies(path: Path) -> list[tuple[Scope, dict[str, Any], dict[str, Any]]]:
    """(database scope, zoneID, reply) of every captured asset-listing page."""
    found = []
    for interaction in interactions(path):
        request = interaction["request"]
        body = request.get("body")
        if "/records/query" not in request["uri"] or not isinstance(body, str):
            continue
        query = json.loads(body)
        if not str(query.get("query", {}).get("recordType", "")).startswith("CPLAssetAndMaster"):
            continue
        scope: Scope = "shared" if "/production/shared/" in request["uri"] else "private"
        found.append((scope, query["zoneID"], response_json(interaction)))
    return found
