"""Reading the journal file back: header, checksummed lines, and a torn last write.

Only the last write can tear (a crash in the middle of an append), so damage followed by
intact lines is corruption, never a crash, and is refused.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from app.store.interfaces import JSONDict, Record, StoreCorrupt
from app.store.journal.lines import JOURNAL_FORMAT, parse_line
from app.store.journal.schema import check_schema, record_from


@dataclass
class JournalData:
    schema: int
    base_gen: str
    base_seq: int
    records: list[tuple[int, Record]]
    good_length: int  # bytes up to the end of the last intact line
    torn: bytes  # what follows it (an unacknowledged write), usually b""


def read_journal(path: Path) -> JournalData:
    where = str(path)
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise StoreCorrupt(where, f"cannot be read: {exc}") from exc
    lines = raw.split(b"\n")
    fragment = lines.pop()  # bytes after the last newline: b"" unless the last write tore
    parsed: list[JSONDict] = []
    offset = 0
    bad: tuple[int, int] | None = None  # (line number, byte offset) of the first bad line
    for number, line in enumerate(lines, start=1):
        obj = parse_line(line)
        if obj is None:
            if bad is None:
                bad = (number, offset)
        elif bad is not None:
            # Only the last write can tear. Damage followed by intact lines is not a crash.
            raise StoreCorrupt(
                where, f"line {bad[0]} is damaged but line {number} after it is intact"
            )
        else:
            parsed.append(obj)
        offset += len(line) + 1
    if fragment and bad is None:
        bad = (len(lines) + 1, offset)
    good_length = bad[1] if bad is not None else len(raw)
    if not parsed or not isinstance(parsed[0].get("journal"), dict):
        raise StoreCorrupt(where, "the journal header is missing or damaged")
    header = parsed[0]["journal"]
    if header.get("format") != JOURNAL_FORMAT:
        raise StoreCorrupt(where, "not a BackTrack journal")
    schema = check_schema(header.get("schema"), where)
    base_seq = header.get("base_seq")
    if not isinstance(base_seq, int) or base_seq < 0:
        raise StoreCorrupt(where, "header.base_seq is missing")
    records: list[tuple[int, Record]] = []
    expected = base_seq + 1
    for obj in parsed[1:]:
        seq = obj.get("seq")
        if seq != expected:
            raise StoreCorrupt(where, f"sequence number {seq!r} where {expected} was expected")
        records.append((seq, record_from(obj.get("rec"), schema, where)))
        expected += 1
    return JournalData(
        schema=schema,
        base_gen=str(header.get("base_gen", "")),
        base_seq=base_seq,
        records=records,
        good_length=good_length,
        torn=raw[good_length:],
    )
