"""Plumbing every service shares: ids, the clock, and typed collections over the store.

`Collection` maps one domain dataclass onto one record kind, so services speak in
entries and never in dicts.
"""

from __future__ import annotations

import threading
import uuid
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Generic, TypeVar

from app.domain.codec import from_json, to_json
from app.store.interfaces import Query, Record, RecordStore

T = TypeVar("T")
Clock = Callable[[], datetime]

# Decoded versions kept per kind, the least recently used going first. The caseload reads
# every shared patient's records (a year of check-ins is 365 records a patient), so the
# bound must hold that working set: at 20,000 it was thrown away and decoded again on every
# refresh (bench/pauses.py: twice the objects for the collector to walk). Without a bound
# the cache grew with the clinic's whole history for the life of the process (issue 15).
DECODED_PER_KIND = 100_000


def system_clock() -> datetime:
    return datetime.now(UTC)


def new_id() -> str:
    return uuid.uuid4().hex


@dataclass(frozen=True)
class Versioned(Generic[T]):
    """An entry together with its place in history."""

    value: T
    version: int
    saved_at: str

    @property
    def corrected(self) -> bool:
        return self.version > 1


class Collection(Generic[T]):
    def __init__(self, store: RecordStore, kind: str, cls: type[T]) -> None:
        self.store = store
        self.kind = kind
        self.cls = cls
        # Stored versions never change, so a version is decoded once while it is in use
        # (decoding dominated reading a patient's record: docs/performance.md); the least
        # recently used go when the cache is full.
        self._decoded: OrderedDict[tuple[str, int], Versioned[T]] = OrderedDict()
        self._decoded_lock = threading.Lock()

    def _wrap(self, record: Record) -> Versioned[T]:
        key = (record.id, record.version)
        with self._decoded_lock:
            found = self._decoded.get(key)
            if found is not None and found.saved_at == record.saved_at:
                self._decoded.move_to_end(key)
                return found
        found = Versioned(from_json(self.cls, record.data), record.version, record.saved_at)
        with self._decoded_lock:
            self._decoded[key] = found
            self._decoded.move_to_end(key)
            while len(self._decoded) > DECODED_PER_KIND:
                self._decoded.popitem(last=False)
        return found

    def add(self, value: T, owner: str | None) -> Versioned[T]:
        record = self.store.save(self.kind, _id_of(value), to_json(value), owner=owner,
                                 expected_version=0)
        return self._wrap(record)

    def correct(self, value: T, owner: str | None, expected_version: int) -> Versioned[T]:
        record = self.store.save(self.kind, _id_of(value), to_json(value), owner=owner,
                                 expected_version=expected_version)
        return self._wrap(record)

    def withdraw(self, value: T, owner: str | None, expected_version: int) -> None:
        self.store.save(self.kind, _id_of(value), to_json(value), owner=owner,
                        expected_version=expected_version, deleted=True)

    def get(self, record_id: str) -> Versioned[T] | None:
        record = self.store.latest(self.kind, record_id)
        return None if record is None or record.deleted else self._wrap(record)

    def history(self, record_id: str) -> list[Versioned[T]]:
        return [self._wrap(r) for r in self.store.history(self.kind, record_id)]

    def find(self, owner: str | None = None, **where: Any) -> list[Versioned[T]]:
        return [self._wrap(r) for r in self.store.find(Query(self.kind, owner, where))]


def _id_of(value: object) -> str:
    return str(value.id)  # type: ignore[attr-defined]
