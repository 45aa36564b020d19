"""Ordered sets of asset indices with O(1)-ish rank lookups, never materialised.

A Photos list query asks for "the assets of index X from rank r on"; these sets answer
``at(rank)`` and ``rank_of(index)`` for a periodic pattern (generated libraries), an
explicit list (replayed libraries), or either minus a few deleted assets.
"""

from __future__ import annotations

import bisect
from collections.abc import Iterable, Sequence
from typing import Protocol


class IndexSet(Protocol):
    def __len__(self) -> int: ...

    def at(self, rank: int) -> int: ...

    def rank_of(self, index: int) -> int | None: ...


class PeriodicSet:
    """Indices ``i < n`` with ``i % period`` in ``offsets`` (sorted, within a period)."""

    def __init__(self, offsets: Sequence[int], period: int, n: int) -> None:
        self.offsets = sorted(offsets)
        self.period = period
        self.n = n
        self._pos = {o: k for k, o in enumerate(self.offsets)}

    def __len__(self) -> int:
        full, rest = divmod(self.n, self.period)
        return full * len(self.offsets) + bisect.bisect_left(self.offsets, rest)

    def at(self, rank: int) -> int:
        if not 0 <= rank < len(self):
            raise IndexError(rank)
        cycle, k = divmod(rank, len(self.offsets))
        return cycle * self.period + self.offsets[k]

    def rank_of(self, index: int) -> int | None:
        if not 0 <= index < self.n:
            return None
        cycle, offset = divmod(index, self.period)
        k = self._pos.get(offset)
        return None if k is None else cycle * len(self.offsets) + k


class ListSet:
    """An explicit ascending list of indices."""

    def __init__(self, indices: Iterable[int]) -> None:
        self.indices = sorted(set(indices))

    def __len__(self) -> int:
        return len(self.indices)

    def at(self, rank: int) -> int:
        if not 0 <= rank < len(self.indices):
            raise IndexError(rank)
        return self.indices[rank]

    def rank_of(self, index: int) -> int | None:
        k = bisect.bisect_left(self.indices, index)
        return k if k < len(self.indices) and self.indices[k] == index else None


class ExcludingSet:
    """``base`` without ``excluded`` indices (e.g. assets deleted through the API)."""

    def __init__(self, base: IndexSet, excluded: Iterable[int]) -> None:
        self.base = base
        ranks = (base.rank_of(i) for i in excluded)
        self._gone = sorted(r for r in ranks if r is not None)

    def __len__(self) -> int:
        return len(self.base) - len(self._gone)

    def at(self, rank: int) -> int:
        if not 0 <= rank < len(self):
            raise IndexError(rank)
        base_rank = rank
        for gone in self._gone:  # few deletions: a short walk
            if gone <= base_rank:
                base_rank += 1
            else:
                break
        return self.base.at(base_rank)

    def rank_of(self, index: int) -> int | None:
        base_rank = self.base.rank_of(index)
        if base_rank is None:
            return None
        k = bisect.bisect_left(self._gone, base_rank)
        if k < len(self._gone) and self._gone[k] == base_rank:
            return None
        return base_rank - k
