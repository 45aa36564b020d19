"""iCloud Contacts (``contacts`` → ``/co/*``), read-only.

``/co/startup`` hands out the ``prefToken``/``syncToken`` that ``/co/contacts`` needs;
contacts are read in pages of ``PAGE`` cards so a large address book never sits in
memory at once.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

from cloudtap.icloud import errors
from cloudtap.icloud.client.apple import AppleClient
from cloudtap.icloud.replies import json_body, raise_for_common

PAGE = 500
_QUERY = {"locale": "en_US", "order": "last,first", "includePhoneNumbers": "true"}


def _root(client: AppleClient) -> str:
    root = client.session.service_url("contacts")
    if not root:
        raise errors.ServiceDisabled("Contacts is not available for this account")
    return root.rstrip("/")


async def _get(client: AppleClient, url: str, params: dict[str, str]) -> dict[str, Any]:
    response = await client.service("GET", url, params=params)
    raise_for_common(response)
    body = json_body(response)
    if response.status_code >= 400 or not isinstance(body, dict):
        raise errors.AppleUnavailable(f"Contacts answered HTTP {response.status_code}")
    return body


async def contacts(client: AppleClient) -> AsyncIterator[dict[str, Any]]:
    root = _root(client)
    params = {**_QUERY, "includePhotos": "true"}
    tokens = await _get(client, f"{root}/co/startup", params)
    params.update(
        prefToken=str(tokens.get("prefToken", "")), syncToken=str(tokens.get("syncToken", ""))
    )
    offset = 0
    while True:
        page = await _get(
            client, f"{root}/co/contacts", {**params, "limit": str(PAGE), "offset": str(offset)}
        )
        cards = [c for c in page.get("contacts") or [] if isinstance(c, dict)]
        for card in cards:
            yield card
        if len(cards) < PAGE:
            return
        offset += PAGE
