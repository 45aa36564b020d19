"""What a contacts changeset may be trusted with (``mme_contacts.groups_after``): a group
whose members moved without their cards would leave those cards' ``groups`` stale, so
the feed is not used then and the whole book is listed instead."""

from __future__ import annotations

from typing import Any

from cloudtap.icloud.datatypes.mme_contacts import groups_after
from cloudtap.icloud.services.contacts import Changes

KEPT: dict[str, Any] = {"g1": {"name": "Family", "contactIds": ["a", "b"]}}


def _changes(
    cards: list[str], groups: list[dict[str, Any]] | None, deleted: tuple[str, ...] = ()
) -> Changes:
    return Changes(
        tokens={"prefToken": "p", "syncToken": "s2"},
        cards=[{"contactId": c} for c in cards],
        groups=groups,
        deleted_contacts=list(deleted),
        deleted_groups=[],
    )


def test_groups_without_moves_are_kept() -> None:
    assert groups_after(KEPT, _changes(["c"], None)) == KEPT


def test_a_member_that_came_with_its_card_is_trusted() -> None:
    moved = [{"groupId": "g1", "name": "Family", "contactIds": ["a", "b", "c"]}]
    after = groups_after(KEPT, _changes(["c"], moved))
    assert after == {"g1": {"name": "Family", "contactIds": ["a", "b", "c"]}}


def test_a_deleted_member_leaves_its_group() -> None:
    left = [{"groupId": "g1", "name": "Family", "contactIds": ["a"]}]
    assert groups_after(KEPT, _changes([], left, deleted=("b",))) is not None


def test_a_member_moved_without_its_card_is_not_trusted() -> None:
    moved = [{"groupId": "g1", "name": "Family", "contactIds": ["a"]}]
    assert groups_after(KEPT, _changes([], moved)) is None
