"""Where each version in the snapshot file lies, as seven flat integer arrays.

Older versions are not held in memory (issue 15): a record's history is read from the
snapshot by offset when someone asks for it. Per version the store keeps its record's
ordinal, version number, sequence number, the offset and length of its JSON in the
snapshot, the CRC-32 of that JSON (a version read back is checked, not believed) and the
position of the same record's next lower version (`prev`, -1 for none), so one record's
versions are found without scanning the others. `head` maps a record's ordinal to the
position of its highest version in the file.

`array('q')` holds a million versions in 56 MB and gives the garbage collector nothing to
walk; a million tuples of ints would cost about four times that and be tracked.
"""

from __future__ import annotations

from array import array
from typing import NamedTuple

FIELDS = ("ordinal", "version", "seq", "offset", "length", "crc", "prev")


class Placed(NamedTuple):
    """One version as written into a snapshot file (what Placements.add takes)."""

    ordinal: int
    version: int
    seq: int
    offset: int
    length: int
    crc: int


class Placements:
    """The versions of one snapshot file in file order (which is sequence order)."""

    def __init__(self) -> None:
        self.ordinal = array("q")
        self.version = array("q")
        self.seq = array("q")
        self.offset = array("q")
        self.length = array("q")
        self.crc = array("q")
        self.prev = array("q")
        self.head: dict[int, int] = {}  # record ordinal -> position of its highest version

    def __len__(self) -> int:
        return len(self.seq)

    def arrays(self) -> list[array[int]]:
        return [getattr(self, name) for name in FIELDS]

    def add(self, placed: Placed) -> None:
        """Append one version; the record's chain stays ordered highest version first (an
        import may add a lower version after a higher one)."""
        pos = len(self.seq)
        top = self.head.get(placed.ordinal, -1)
        if top < 0 or self.version[top] < placed.version:
            prev = top
            self.head[placed.ordinal] = pos
        else:
            at = top
            while self.prev[at] >= 0 and self.version[self.prev[at]] > placed.version:
                at = self.prev[at]
            prev = self.prev[at]
            self.prev[at] = pos
        self.ordinal.append(placed.ordinal)
        self.version.append(placed.version)
        self.seq.append(placed.seq)
        self.offset.append(placed.offset)
        self.length.append(placed.length)
        self.crc.append(placed.crc)
        self.prev.append(prev)

    def chain(self, ordinal: int) -> list[int]:
        """Positions of one record's versions in the file, highest version first."""
        out = []
        pos = self.head.get(ordinal, -1)
        while pos >= 0:
            out.append(pos)
            pos = self.prev[pos]
        return out

    def versions_of(self, ordinal: int) -> list[int]:
        return [self.version[pos] for pos in self.chain(ordinal)]
