"""The journal's line format: one JSON object per line, led by a CRC-32 of the rest.

    {"crc":"<8 hex digits: crc32 of everything after the comma>","seq":N,"rec":{...}}
    {"crc":"...","seq":N,"recs":[{...},{...}]}     versions N, N+1, ... written as one
    {"crc":"...","journal":{...header...}}

A batch line (save_all, import_versions) holds several versions under one checksum, so a
crash keeps all of them or none: a torn line is dropped whole.

Every line is strict JSON (readable by any tool), and its checksum is checked before it is
trusted. The writer builds lines by hand from the record's compact JSON (made once per save)
instead of dumping a dict per line: that keeps a save's CPU cost small.
"""

from __future__ import annotations

import json
import zlib
from typing import Any

from app.store.interfaces import JSONDict
from app.store.memory import utc_now_iso

JOURNAL_FORMAT = "backtrack-journal"

_LINE_HEAD = b'{"crc":"'
_CRC_END = len(_LINE_HEAD) + 8  # 8 hex digits
_BODY_START = _CRC_END + 2  # after '",'

# allow_nan=False: the files stay strict JSON, readable by any tool and by stock TinyDB.
# One shared encoder: json.dumps(**options) would build a new one per call.
_ENCODER = json.JSONEncoder(separators=(",", ":"), allow_nan=False)


def dumps(value: Any) -> str:
    """Compact, strict JSON: the form every version is stored in."""
    return _ENCODER.encode(value)


def _frame(body: str) -> bytes:
    raw = body.encode()
    return b'%s%08x",%s\n' % (_LINE_HEAD, zlib.crc32(raw), raw)


def journal_line(seq: int, rec_json: str) -> bytes:
    """One journal line for one version; `rec_json` is the compact JSON of Record.to_json()."""
    return _frame(f'"seq":{seq},"rec":{rec_json}}}')


def batch_line(first_seq: int, rec_jsons: list[str]) -> bytes:
    """One journal line for several versions numbered from `first_seq`: written at once."""
    return _frame(f'"seq":{first_seq},"recs":[{",".join(rec_jsons)}]}}')


def header_line(*, schema: int, base_gen: str, base_seq: int, generation: int) -> bytes:
    """The journal's first line: which snapshot it continues (`base_gen`, its generation
    counter, and the last sequence number in it)."""
    header = {
        "format": JOURNAL_FORMAT,
        "schema": schema,
        "base_gen": base_gen,
        "base_seq": base_seq,
        "generation": generation,
        "created_at": utc_now_iso(),
    }
    return _frame(f'"journal":{dumps(header)}}}')


def parse_line(line: bytes) -> JSONDict | None:
    """The line's object if its checksum holds, else None (torn or damaged)."""
    if not line.startswith(_LINE_HEAD) or line[_CRC_END:_BODY_START] != b'",':
        return None
    try:
        crc = int(line[len(_LINE_HEAD) : _CRC_END], 16)
    except ValueError:
        return None
    if zlib.crc32(line[_BODY_START:]) != crc:
        return None
    try:
        obj = json.loads(line)
    except ValueError:
        return None
    return obj if isinstance(obj, dict) else None
