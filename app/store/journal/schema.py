"""Schema versions of the stored record format, the migrations between them, and the checks
every stored version passes when it is read back (snapshot, journal or backup).

Schema history: 1 = before tombstones (records had no "deleted"); 2 = before batch lines;
3 = current (a journal line may hold several versions written as one, see lines.py).
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from typing import Any

from app.store.interfaces import JSONDict, Record, StoreCorrupt

SCHEMA_VERSION = 3


def _v1_add_deleted(raw: JSONDict) -> JSONDict:
    """Schema 1 predates tombstones: every stored version was a live one."""
    return {**raw, "deleted": bool(raw.get("deleted", False))}


# MIGRATIONS[n] upgrades one stored record dict from schema n to n + 1. Files are upgraded
# on open; the old files are first copied aside (never overwritten in place).
def _v2_unchanged(raw: JSONDict) -> JSONDict:
    """Schema 3 changed the journal's lines, not the records: an older BackTrack must not
    read a journal holding batch lines, so the files say 3."""
    return raw


MIGRATIONS: dict[int, Callable[[JSONDict], JSONDict]] = {1: _v1_add_deleted, 2: _v2_unchanged}


def migrate_record(raw: JSONDict, schema: int) -> JSONDict:
    for version in range(schema, SCHEMA_VERSION):
        raw = MIGRATIONS[version](raw)
    return raw


def record_from(raw: Any, schema: int, where: str) -> Record:
    """One stored version, migrated and checked; StoreCorrupt naming `where` otherwise."""
    if not isinstance(raw, dict):
        raise StoreCorrupt(where, "a stored version is not a JSON object")
    try:
        record = Record.from_json(migrate_record(raw, schema))
    except (KeyError, TypeError, ValueError) as exc:
        raise StoreCorrupt(where, f"a stored version is malformed: {exc!r}") from exc
    if not isinstance(record.data, dict) or record.version < 1:
        raise StoreCorrupt(where, f"version {record.version} of {record.id} is malformed")
    return record


def check_schema(schema: Any, where: str) -> int:
    if not isinstance(schema, int) or schema < 1:
        raise StoreCorrupt(where, f"unknown schema version {schema!r}")
    if schema > SCHEMA_VERSION:
        raise StoreCorrupt(
            where,
            f"schema version {schema} was written by a newer BackTrack "
            f"(this one reads up to {SCHEMA_VERSION}); install the newer version",
        )
    return schema


_ENVELOPE = frozenset(("kind", "id", "version", "owner", "saved_at", "deleted", "data"))


def stored_record(raw: Any, where: str) -> Record:
    """One version of the current schema as `record_from` reads it, faster: a version with
    exactly the envelope `Record.to_json` writes, each field of its type, becomes a Record
    over the decoded dict itself (no copies), its kind and owner strings shared between
    records. Anything else goes through `record_from` (and its refusals). Opening a
    million versions' store decodes each record's latest version: this halves that."""
    if type(raw) is dict and raw.keys() == _ENVELOPE:
        kind, owner, version = raw["kind"], raw["owner"], raw["version"]
        if type(kind) is str and type(raw["id"]) is str and type(version) is int \
                and version >= 1 and type(raw["data"]) is dict \
                and type(raw["saved_at"]) is str and type(raw["deleted"]) is bool \
                and (owner is None or type(owner) is str):
            raw["kind"] = sys.intern(kind)
            if owner is not None:
                raw["owner"] = sys.intern(owner)
            record: Record = object.__new__(Record)
            object.__setattr__(record, "__dict__", raw)  # the fields, as Record has them
            return record
    return record_from(raw, SCHEMA_VERSION, where)
