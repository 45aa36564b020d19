"""Rank ↔ index arithmetic of the lazily evaluated index sets."""

from __future__ import annotations

from cloudtap.sandbox.photos.indexes import ExcludingSet, ListSet, PeriodicSet


def brute(offsets: list[int], period: int, n: int) -> list[int]:
    return [i for i in range(n) if i % period in offsets]


def test_periodic_set_matches_brute_force() -> None:
    for n in (0, 1, 7, 20, 41, 1000):
        members = brute([1, 4, 9], 10, n)
        s = PeriodicSet([9, 1, 4], 10, n)
        assert len(s) == len(members)
        assert [s.at(r) for r in range(len(s))] == members
        assert [s.rank_of(i) for i in members] == list(range(len(members)))
        assert s.rank_of(2) is None and s.rank_of(n) is None


def test_excluding_set_skips_removed_indices() -> None:
    base = PeriodicSet([0, 3], 5, 50)
    members = [i for i in brute([0, 3], 5, 50) if i not in {3, 20, 48}]
    s = ExcludingSet(base, [48, 3, 20, 7])  # 7 is not a member: ignored
    assert len(s) == len(members)
    assert [s.at(r) for r in range(len(s))] == members
    assert [s.rank_of(i) for i in members] == list(range(len(members)))
    assert s.rank_of(20) is None


def test_list_set() -> None:
    s = ListSet([5, 1, 9, 5])
    assert len(s) == 3 and [s.at(r) for r in range(3)] == [1, 5, 9]
    assert s.rank_of(9) == 2 and s.rank_of(4) is None
