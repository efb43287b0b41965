"""The services' decode cache is bounded (issue 15): it keeps the versions in use, not every
version any screen ever decoded for the life of the process."""

from __future__ import annotations

from dataclasses import dataclass

import pytest

from app.services import base
from app.services.base import Collection
from app.store.memory import MemoryStore


@dataclass(frozen=True)
class Note:
    id: str
    text: str


def test_the_decode_cache_keeps_the_most_recently_used_only(
        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(base, "DECODED_PER_KIND", 5, raising=False)
    notes = Collection(MemoryStore(), "note", Note)
    for i in range(12):
        notes.add(Note(f"n{i}", f"text {i}"), owner="p1")
    kept = notes.get("n11")
    for i in range(12):
        assert notes.get(f"n{i}").value == Note(f"n{i}", f"text {i}")  # type: ignore[union-attr]
        assert notes.get("n11") is kept  # used again and again: never the one to go
    assert len(notes._decoded) == 5
    latest = notes.correct(Note("n3", "corrected"), "p1", expected_version=1)
    assert [v.value.text for v in notes.history("n3")] == ["text 3", "corrected"]
    assert notes.get("n3") is latest and len(notes._decoded) == 5
