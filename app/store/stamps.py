"""Change stamps per owner: has anything of this patient's changed since I last looked?

A list of 300 patients cannot re-read every patient's record on every view (issue 15), and
a summary worked out once stays right until one of the patient's records changes. Both
stores bump a counter per (owner, kind) on every version they hold, so a caller keeps the
stamp next to what it worked out and compares: O(kinds the owner has), no reads. Stamps
live in memory only (each process starts again from 0) and only ever grow.
"""

from __future__ import annotations


class OwnerStamps:
    """Not thread-safe on its own: the store's lock guards every call."""

    def __init__(self) -> None:
        self._counter = 0
        self._by_owner: dict[str | None, dict[str, int]] = {}

    def saved(self, owner: str | None, kind: str) -> None:
        self._counter += 1
        self._by_owner.setdefault(owner, {})[kind] = self._counter

    def purged(self, owner: str) -> None:
        """Everything of the owner went: their stamp moves on, so no cache keeps it."""
        self._counter += 1
        self._by_owner[owner] = {"": self._counter}

    def stamp(self, owner: str, ignoring: frozenset[str] = frozenset()) -> int:
        kinds = self._by_owner.get(owner, {})
        return max((seq for kind, seq in kinds.items() if kind not in ignoring), default=0)
