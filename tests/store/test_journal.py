"""JournalStore durability: reopen, compaction, torn tails, corruption, locking, migration."""

from __future__ import annotations

import json
import os
import stat
import subprocess
import sys
import zlib
from pathlib import Path

import pytest
from tinydb import TinyDB

from app.store.interfaces import (
    Change,
    Query,
    Record,
    RecordRefused,
    StoreCorrupt,
    StoreError,
    StoreLocked,
)
from app.store.journal import (
    JOURNAL_FILE,
    LOCK_FILE,
    PRE_MIGRATION_SUFFIX,
    SCHEMA_VERSION,
    SNAPSHOT_FILE,
    TORN_SUFFIX,
    JournalStore,
)
from app.store.journal.files import write_file_atomically
from app.store.journal.lines import header_line
from app.store.journal.snapshot import snapshot_chunks

REPO = Path(__file__).resolve().parents[2]


def _fill(store: JournalStore, count: int, owner: str = "p1") -> None:
    for i in range(count):
        store.save("pain_entry", f"e{i}", {"nrs": i % 11}, owner=owner)


def _state(store: JournalStore) -> list[Record]:
    return store.owner_history("p1") + store.owner_history("p2")


def test_reopen_keeps_everything(tmp_path: Path) -> None:
    with JournalStore.open(tmp_path, compact_on_close=False) as store:
        _fill(store, 20)
        store.save("pain_entry", "e3", {"nrs": 0}, owner="p1")
        store.save("pain_entry", "e4", {}, owner="p1", deleted=True)
        store.save("note", "n", {"t": (1, 2)}, owner="p2")
        before = _state(store)
        found = store.find(Query("pain_entry", include_deleted=True))
    with JournalStore.open(tmp_path) as store:
        assert _state(store) == before
        assert store.find(Query("pain_entry", include_deleted=True)) == found
        latest = store.latest("note", "n")
        assert latest is not None and latest.data == {"t": [1, 2]}
        assert store.save("pain_entry", "e3", {}, owner="p1").version == 3


def test_compaction_in_background_and_on_close(tmp_path: Path) -> None:
    store = JournalStore.open(tmp_path, compact_threshold=50)
    _fill(store, 175)
    compactor = store._compactor
    assert compactor is not None
    compactor.join()
    # The threshold is soft: saves made while a snapshot is written stay in the journal.
    assert store.stats()["journal_lines"] < 175
    snapshot = TinyDB(tmp_path / SNAPSHOT_FILE, access_mode="r")  # stock TinyDB reads it
    assert len(snapshot.table("versions")) >= 50
    snapshot.close()
    before = _state(store)
    store.close()
    journal = (tmp_path / JOURNAL_FILE).read_bytes().splitlines()
    assert len(journal) == 1  # close() compacted: only the header is left
    with JournalStore.open(tmp_path) as again:
        assert _state(again) == before


def test_torn_tail_is_dropped_and_kept_aside(tmp_path: Path) -> None:
    with JournalStore.open(tmp_path, compact_on_close=False) as store:
        _fill(store, 5)
    journal = tmp_path / JOURNAL_FILE
    intact = journal.read_bytes()
    torn = b'{"crc":"0badf00d","seq":6,"rec":{"kind":"pain_en'
    journal.write_bytes(intact + torn)
    with JournalStore.open(tmp_path, compact_on_close=False) as store:
        assert len(store.find(Query("pain_entry"))) == 5
        store.save("pain_entry", "after", {}, owner="p1")
    aside = list(tmp_path.glob(JOURNAL_FILE + TORN_SUFFIX + "*"))
    assert len(aside) == 1 and aside[0].read_bytes() == torn
    with JournalStore.open(tmp_path) as store:
        assert len(store.find(Query("pain_entry"))) == 6


def test_zero_filled_tail_is_dropped(tmp_path: Path) -> None:
    with JournalStore.open(tmp_path, compact_on_close=False) as store:
        _fill(store, 3)
    journal = tmp_path / JOURNAL_FILE
    journal.write_bytes(journal.read_bytes() + b"\0" * 4096)
    with JournalStore.open(tmp_path) as store:
        assert len(store.find(Query("pain_entry"))) == 3


def test_damaged_middle_line_is_refused(tmp_path: Path) -> None:
    with JournalStore.open(tmp_path, compact_on_close=False) as store:
        _fill(store, 5)
    journal = tmp_path / JOURNAL_FILE
    lines = journal.read_bytes().split(b"\n")
    lines[2] = lines[2].replace(b'"nrs":1', b'"nrs":7')  # bit rot: checksum no longer holds
    damaged = b"\n".join(lines)
    journal.write_bytes(damaged)
    with pytest.raises(StoreCorrupt) as caught:
        JournalStore.open(tmp_path)
    assert str(journal) in str(caught.value) and "line 3" in str(caught.value)
    assert journal.read_bytes() == damaged  # never rewritten
    with pytest.raises(StoreCorrupt):  # and refused again, not "fixed" by the first attempt
        JournalStore.open(tmp_path)


def test_unparseable_snapshot_is_refused(tmp_path: Path) -> None:
    with JournalStore.open(tmp_path) as store:
        _fill(store, 5)
    snapshot = tmp_path / SNAPSHOT_FILE
    damaged = snapshot.read_bytes()[:-40]
    snapshot.write_bytes(damaged)
    with pytest.raises(StoreCorrupt) as caught:
        JournalStore.open(tmp_path)
    assert str(snapshot) in str(caught.value)
    assert snapshot.read_bytes() == damaged


def test_missing_snapshot_is_refused(tmp_path: Path) -> None:
    with JournalStore.open(tmp_path) as store:
        _fill(store, 5)
    (tmp_path / SNAPSHOT_FILE).rename(tmp_path / "elsewhere.json")
    with pytest.raises(StoreCorrupt, match="missing"):
        JournalStore.open(tmp_path)


def test_newer_schema_is_refused(tmp_path: Path) -> None:
    (tmp_path / JOURNAL_FILE).write_bytes(
        header_line(schema=SCHEMA_VERSION + 1, base_gen="g", base_seq=0, generation=1)
    )
    with pytest.raises(StoreCorrupt, match="newer BackTrack"):
        JournalStore.open(tmp_path)


def test_second_process_gets_store_locked(tmp_path: Path) -> None:
    with JournalStore.open(tmp_path):
        probe = (
            "import sys; from pathlib import Path\n"
            "from app.store.journal import JournalStore\n"
            "from app.store.interfaces import StoreLocked\n"
            "try:\n    JournalStore.open(Path(sys.argv[1]))\n"
            "except StoreLocked as exc:\n    print('LOCKED', exc)\n"
        )
        result = subprocess.run(
            [sys.executable, "-c", probe, str(tmp_path)],
            cwd=REPO,
            capture_output=True,
            text=True,
            timeout=30,
        )
        assert result.stdout.startswith("LOCKED"), result.stderr
        assert str(tmp_path) in result.stdout and "another BackTrack process" in result.stdout
        with pytest.raises(StoreLocked):  # a second open in the same process as well
            JournalStore.open(tmp_path)
    JournalStore.open(tmp_path).close()  # released on close


def test_closed_store_refuses_work(tmp_path: Path) -> None:
    store = JournalStore.open(tmp_path)
    store.close()
    store.close()
    with pytest.raises(StoreError):
        store.save("k", "i", {})


def _v1_line(seq: int, rec: dict[str, object]) -> bytes:
    body = f'"seq":{seq},"rec":{json.dumps(rec)}}}'.encode()
    return b'{"crc":"%08x",%s\n' % (zlib.crc32(body), body)


def test_migration_from_schema_1(tmp_path: Path) -> None:
    # Hand-made schema-1 files: the format before tombstones, records have no "deleted".
    old = {
        "kind": "pain_entry",
        "id": "old",
        "version": 1,
        "owner": "p1",
        "saved_at": "2023-05-01T08:00:00+00:00",
        "data": {"nrs": 7},
    }
    snapshot = {
        "meta": {
            "1": {
                "format": "backtrack-snapshot",
                "schema": 1,
                "gen": "g1",
                "based_on": "g0",
                "last_seq": 1,
            }
        },
        "versions": {"1": old},
    }
    (tmp_path / SNAPSHOT_FILE).write_text(json.dumps(snapshot))
    header = {"format": "backtrack-journal", "schema": 1, "base_gen": "g1", "base_seq": 1}
    body = f'"journal":{json.dumps(header)}}}'.encode()
    journal = b'{"crc":"%08x",%s\n' % (zlib.crc32(body), body)
    journal += _v1_line(2, {**old, "version": 2, "data": {"nrs": 5}})
    (tmp_path / JOURNAL_FILE).write_bytes(journal)

    with JournalStore.open(tmp_path, compact_on_close=False) as store:
        history = store.history("pain_entry", "old")
        assert [(r.version, r.deleted, r.data["nrs"]) for r in history] == [
            (1, False, 7),
            (2, False, 5),
        ]
    upgraded = json.loads((tmp_path / SNAPSHOT_FILE).read_text())
    assert upgraded["meta"]["1"]["schema"] == SCHEMA_VERSION
    assert all(doc["deleted"] is False for doc in upgraded["versions"].values())
    kept = sorted(p.name for p in tmp_path.glob(f"*{PRE_MIGRATION_SUFFIX}1-*"))
    assert len(kept) == 2  # both old files kept aside, untouched
    with JournalStore.open(tmp_path) as store:
        assert len(store.history("pain_entry", "old")) == 2


def test_half_finished_compaction_replays_newer_lines(tmp_path: Path) -> None:
    store = JournalStore.open(tmp_path, compact_on_close=False)
    _fill(store, 6)
    # Crash window: the snapshot of the first 5 versions was renamed into place, but the
    # fresh journal was not, so the old journal (with version 6 after it) is still there.
    write_file_atomically(
        tmp_path / SNAPSHOT_FILE,
        snapshot_chunks(store._mem.entries(5), gen="new", based_on=store._journal_gen,
                        generation=store._generation + 1, last_seq=5),
    )
    store.close()
    with JournalStore.open(tmp_path) as store:
        assert len(store.find(Query("pain_entry"))) == 6
    with JournalStore.open(tmp_path) as store:
        assert len(store.find(Query("pain_entry"))) == 6


def test_journal_of_another_history_is_refused(tmp_path: Path) -> None:
    with JournalStore.open(tmp_path, compact_on_close=False) as store:
        _fill(store, 6)
    write_file_atomically(
        tmp_path / SNAPSHOT_FILE,
        snapshot_chunks([], gen="x", based_on="y", generation=1, last_seq=0),
    )
    with pytest.raises(StoreCorrupt, match="another store"):
        JournalStore.open(tmp_path)


def test_import_and_purge_are_durable(tmp_path: Path) -> None:
    foreign = [
        Record("pain_entry", f"r{i}", 1, {"nrs": i}, owner="p2", saved_at="2024-01-01")
        for i in range(10)
    ]
    with JournalStore.open(tmp_path, compact_on_close=False) as store:
        _fill(store, 4, owner="p1")
        store.save("pain_entry", "e0", {"secret": "zebra-owner-p1"}, owner="p1")
        assert store.import_versions(foreign) == 10
    with JournalStore.open(tmp_path, compact_on_close=False) as store:
        assert store.import_versions(foreign) == 0
        assert store.purge_owner("p1") == 5
    for path in (tmp_path / SNAPSHOT_FILE, tmp_path / JOURNAL_FILE):
        assert b"zebra-owner-p1" not in path.read_bytes()
    with JournalStore.open(tmp_path) as store:
        assert store.owner_history("p1") == []
        assert len(store.owner_history("p2")) == 10


@pytest.mark.parametrize("compact_on_close", [False, True])
def test_finding_by_owner_is_the_same_after_a_restart(tmp_path: Path,
                                                      compact_on_close: bool) -> None:
    def by_owner(store: JournalStore) -> dict[str, list[str]]:
        return {p: [r.id for r in store.find(Query("pain_entry", owner=p))]
                for p in ("p1", "p2", "p3")}

    with JournalStore.open(tmp_path, compact_on_close=compact_on_close) as store:
        for n in range(6):
            store.save("pain_entry", f"e{n}", {"nrs": n}, owner=f"p{n % 3 + 1}")
        store.save("pain_entry", "e0", {"nrs": 9}, owner="p3")  # moves to p3
        before = by_owner(store)
    assert before == {"p1": ["e3"], "p2": ["e1", "e4"], "p3": ["e0", "e2", "e5"]}
    with JournalStore.open(tmp_path) as store:
        assert by_owner(store) == before


def test_an_import_refused_up_front_leaves_a_store_that_opens(tmp_path: Path) -> None:
    """The issue's outage: one imported record with version 0 was accepted, and the next
    start refused to open the store. Now the import is refused before anything is written."""
    with JournalStore.open(tmp_path) as store:
        _fill(store, 3)
        with pytest.raises(RecordRefused, match="versions start at 1"):
            store.import_versions([Record("check_in", "x", 0, {"id": "x"}, owner="p1")])
    with JournalStore.open(tmp_path) as store:
        assert len(store.find(Query("pain_entry"))) == 3
        assert store.latest("check_in", "x") is None


def test_a_batch_is_kept_whole_or_dropped_whole(tmp_path: Path) -> None:
    changes = [Change("invite", "CODE", {"used": True}, owner="p1"),
               Change("grant", "g1", {"to": "t1"}, owner="p1")]
    with JournalStore.open(tmp_path, compact_on_close=False) as store:
        store.save_all(changes)
    with JournalStore.open(tmp_path, compact_on_close=False) as store:
        assert store.latest("invite", "CODE") is not None
        assert store.latest("grant", "g1") is not None
        note = (tmp_path / LOCK_FILE).read_bytes()
        store.save_all([Change("invite", "CODE", {"used": False}, owner="p1"),
                        Change("grant", "g1", {"to": "t2"}, owner="p1")])
    journal = tmp_path / JOURNAL_FILE
    whole = journal.read_bytes()
    journal.write_bytes(whole[:-40])  # the second batch's write tore near its end
    (tmp_path / LOCK_FILE).write_bytes(note)  # so it was never acknowledged, never noted
    with JournalStore.open(tmp_path) as store:
        assert [r.data for r in store.history("invite", "CODE")] == [{"used": True}]
        assert [r.data for r in store.history("grant", "g1")] == [{"to": "t1"}]


def test_store_files_are_private(tmp_path: Path) -> None:
    old_umask = os.umask(0o022)
    try:
        with JournalStore.open(tmp_path / "store") as store:
            _fill(store, 2)
    finally:
        os.umask(old_umask)
    for path in (tmp_path / "store").iterdir():
        assert stat.S_IMODE(path.stat().st_mode) == 0o600, path.name


def test_compaction_builds_on_the_snapshot_file_and_keeps_only_recent_json(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Issue 15: the JSON of versions already in a snapshot is not held in memory; the next
    snapshot copies them from the file (checked) and adds the versions saved since."""
    store = JournalStore.open(tmp_path, compact_threshold=10**6)
    _fill(store, 20)
    store.compact()
    assert store._mem.recent == []
    _fill(store, 5, owner="p2")  # corrections of e0..e4, another owner
    assert [e.seq for e in store._mem.recent] == [21, 22, 23, 24, 25]

    def no_memory_copy(*args: object) -> None:
        raise AssertionError("the snapshot was written from memory")

    monkeypatch.setattr(store._mem, "entries", no_memory_copy)
    store.compact()
    before = _state(store)
    monkeypatch.undo()
    store.close()
    with JournalStore.open(tmp_path) as again:
        assert _state(again) == before and len(before) == 25
        assert again._mem.recent == []  # nothing of the snapshot's held as JSON


def test_a_snapshot_damaged_while_open_is_written_again_from_memory(tmp_path: Path) -> None:
    """The file the next snapshot would build on changed under the running store (a flipped
    digit, still valid JSON): the checksum catches it, and memory, which read it when it
    was sound, writes the next snapshot instead. Nothing wrong is carried forward."""
    store = JournalStore.open(tmp_path, compact_threshold=10**6)
    _fill(store, 20)
    store.compact()
    snapshot = tmp_path / SNAPSHOT_FILE
    snapshot.write_bytes(snapshot.read_bytes().replace(b'"nrs":3', b'"nrs":4', 1))
    store.save("pain_entry", "late", {"nrs": 1}, owner="p1")
    store.compact()  # the fallback, no error
    expected = _state(store)
    store.close()
    with JournalStore.open(tmp_path) as again:
        assert _state(again) == expected
        assert again.latest("pain_entry", "e3").data == {"nrs": 3}  # type: ignore[union-attr]
