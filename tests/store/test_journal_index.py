"""Issue 15: the journal store holds each record's latest version, not its history.

Older versions are read from the snapshot by offset; opening reads the snapshot's index
file and the latest versions instead of decoding every version. The index is a cache that
is checked and rebuilt, never trusted blindly, and holds nothing of a patient.
"""

from __future__ import annotations

import gc
import json
from collections.abc import Callable
from pathlib import Path

import pytest

from app.store.interfaces import Query, Record, StoreCorrupt
from app.store.journal import SNAPSHOT_FILE, JournalStore
from app.store.journal.lines import dumps
from app.store.journal.schema import stored_record

INDEX_FILE = "records.snapshot.index"


def _clinic(store: JournalStore) -> None:
    """Three patients, corrections and withdrawals, across several snapshots."""
    for round_ in range(4):
        for i in range(12):
            store.save("pain_entry", f"e{i}", {"nrs": (i + round_) % 11, "round": round_},
                       owner=f"p{i % 3}", deleted=round_ == 3 and i % 5 == 0)
        store.save("note", f"n{round_}", {"text": f"note {round_}"}, owner="p1")
        store.compact()
    store.save("pain_entry", "e1", {"nrs": 9, "round": 4}, owner="p1")  # in the journal


def _state(store: JournalStore) -> tuple[object, ...]:
    return (
        [store.history("pain_entry", f"e{i}") for i in range(12)],
        [store.owner_history(f"p{n}") for n in range(3)],
        store.find(Query("pain_entry", include_deleted=True)),
        store.find(Query("pain_entry", "p1")),
        store.find(Query("pain_entry", where={"nrs": 3})),
        store.stats()["versions"],
        store.stats()["records"],
    )


def _records_in_memory(monkeypatch: pytest.MonkeyPatch) -> Callable[[], int]:
    """How many Record objects are alive (the store's gc.freeze made a no-op, so the
    collector still sees them)."""
    monkeypatch.setattr(gc, "freeze", lambda: None)
    gc.collect()
    before = sum(isinstance(o, Record) for o in gc.get_objects())
    return lambda: sum(isinstance(o, Record) for o in gc.get_objects()) - before


def test_history_and_owner_history_after_reopen_equal_before(tmp_path: Path) -> None:
    with JournalStore.open(tmp_path) as store:
        _clinic(store)
        before = _state(store)
    with JournalStore.open(tmp_path) as store:
        assert _state(store) == before
        assert [r.version for r in store.history("pain_entry", "e1")] == [1, 2, 3, 4, 5]
    with JournalStore.open(tmp_path, compact_on_close=False) as store:  # twice: new index
        assert _state(store) == before


def test_opening_decodes_latest_versions_not_every_version(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    with JournalStore.open(tmp_path) as store:
        for round_ in range(10):
            for i in range(20):
                store.save("pain_entry", f"e{i}", {"nrs": round_}, owner="p1")
    # 200 versions of 20 records, all in the snapshot.
    held = _records_in_memory(monkeypatch)
    with JournalStore.open(tmp_path, compact_on_close=False) as store:
        assert held() == 20
        assert store.latest("pain_entry", "e7").data == {"nrs": 9}  # type: ignore[union-attr]
        history = store.history("pain_entry", "e7")  # older versions read from disk
        assert [r.data["nrs"] for r in history] == list(range(10))
        del history
        assert held() == 20


@pytest.mark.parametrize("damage", ["flipped", "cut", "missing", "another generation"])
def test_an_index_that_does_not_match_is_rebuilt_not_trusted(
        tmp_path: Path, damage: str, monkeypatch: pytest.MonkeyPatch) -> None:
    with JournalStore.open(tmp_path) as store:
        _clinic(store)
        older_index = (tmp_path / INDEX_FILE).read_bytes()
        store.save("pain_entry", "e2", {"nrs": 1}, owner="p2")
        store.compact()
        before = _state(store)
    index = tmp_path / INDEX_FILE
    raw = index.read_bytes()
    if damage == "flipped":
        index.write_bytes(raw[:-20] + bytes([raw[-20] ^ 1]) + raw[-19:])
    elif damage == "cut":
        index.write_bytes(raw[: len(raw) // 2])
    elif damage == "missing":
        index.unlink()
    else:
        index.write_bytes(older_index)
    with JournalStore.open(tmp_path, compact_on_close=False) as store:
        assert _state(store) == before
    assert index.read_bytes() == raw  # written again, the same
    held = _records_in_memory(monkeypatch)
    with JournalStore.open(tmp_path, compact_on_close=False) as store:
        assert held() == before[6]  # the rebuilt index is used: latest versions only


def test_an_older_version_changed_on_disk_is_refused_not_returned(tmp_path: Path) -> None:
    store = JournalStore.open(tmp_path, compact_threshold=10**6)
    try:
        store.save("pain_entry", "e1", {"nrs": 3}, owner="p1")
        store.save("pain_entry", "e1", {"nrs": 5}, owner="p1")
        store.compact()
        snapshot = tmp_path / SNAPSHOT_FILE
        snapshot.write_bytes(snapshot.read_bytes().replace(b'"nrs":3', b'"nrs":4', 1))
        assert store.latest("pain_entry", "e1").data == {"nrs": 5}  # type: ignore[union-attr]
        with pytest.raises(StoreCorrupt, match="checksum"):
            store.history("pain_entry", "e1")
    finally:
        store._compact_on_close = False
        store.close()


def test_imported_versions_are_read_back_from_the_snapshot(tmp_path: Path) -> None:
    v = [Record("pain_entry", "x", n, {"nrs": n}, "p1", f"2026-01-0{n}T00:00:00+00:00")
         for n in (1, 2, 3)]
    with JournalStore.open(tmp_path) as store:
        store.import_versions(v[:1])
        store.compact()
        assert store.import_versions(v) == 2  # version 1 is held (on disk only): skipped
        store.compact()
        assert store.import_versions(v) == 0
        assert store.history("pain_entry", "x") == v
    with JournalStore.open(tmp_path) as store:
        assert store.history("pain_entry", "x") == v
        assert store.import_versions(v) == 0


def test_an_erased_patient_leaves_nothing_in_the_index(tmp_path: Path) -> None:
    owner = "patient-7f3a"
    with JournalStore.open(tmp_path) as store:
        for round_ in range(3):
            store.save("pain_entry", "mine", {"nrs": round_}, owner=owner)
            store.save("pain_entry", "other", {"nrs": round_}, owner="p2")
            store.compact()
        kept = store.history("pain_entry", "other")
        assert store.purge_owner(owner) == 3
        assert store.history("pain_entry", "mine") == []
        assert store.history("pain_entry", "other") == kept
    for path in tmp_path.iterdir():
        if path.is_file():
            assert owner.encode() not in path.read_bytes(), path.name
    with JournalStore.open(tmp_path) as store:
        assert store.history("pain_entry", "other") == kept
        assert store.stats()["versions"] == 3 and store.owner_history(owner) == []


def test_a_record_that_changed_owner_is_in_both_owners_history(tmp_path: Path) -> None:
    with JournalStore.open(tmp_path) as store:
        store.save("note", "n", {"t": 1}, owner="p1")
        store.compact()
        store.save("note", "n", {"t": 2}, owner="p2")
        before = (store.owner_history("p1"), store.owner_history("p2"))
        assert [len(b) for b in before] == [1, 1]
    with JournalStore.open(tmp_path) as store:
        assert (store.owner_history("p1"), store.owner_history("p2")) == before


def test_the_fast_read_of_a_version_is_the_same_record_and_refuses_the_same() -> None:
    record = Record("pain_entry", "e1", 2, {"nrs": 3, "regions": ["neck"]}, "p1",
                    "2026-12-01T08:00:00+00:00", False)
    fast = stored_record(json.loads(dumps(record.to_json())), "here")
    assert fast == record and fast.data == record.data and repr(fast) == repr(record)
    assert stored_record({**record.to_json(), "owner": None}, "here").owner is None
    for bad in ({**record.to_json(), "version": 0}, {**record.to_json(), "data": "x"}, [1]):
        with pytest.raises(StoreCorrupt):
            stored_record(bad, "here")
