"""Plumbing every service shares: ids, the clock, and typed collections over the store.

`Collection` maps one domain dataclass onto one record kind, so services speak in
entries and never in dicts.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Generic, TypeVar

from app.domain.codec import from_json, to_json
from app.store.interfaces import Query, Record, RecordStore

T = TypeVar("T")
Clock = Callable[[], datetime]


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
        # Stored versions never change, so each is decoded once (decoding dominated
        # reading a patient's record: docs/performance.md).
        self._decoded: dict[tuple[str, int], Versioned[T]] = {}

    def _wrap(self, record: Record) -> Versioned[T]:
        key = (record.id, record.version)
        found = self._decoded.get(key)
        if found is None or found.saved_at != record.saved_at:
            found = Versioned(from_json(self.cls, record.data), record.version,
                              record.saved_at)
            self._decoded[key] = found
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
