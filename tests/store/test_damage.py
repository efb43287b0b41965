"""Damage is never silent: a missing, rolled-back or damaged file stops the store from
opening with a message naming the file and the restore command, and nothing is rewritten.
Only a torn last write (no newline at the end: never acknowledged) is recovered."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from app.store.interfaces import Query, StoreCorrupt
from app.store.journal import JOURNAL_FILE, SNAPSHOT_FILE, TORN_SUFFIX, JournalStore

FIXTURES = Path(__file__).parent / "fixtures"
REPO = Path(__file__).resolve().parents[2]
RESTORE_COMMAND = "python -m app restore"


def _files(folder: Path) -> dict[str, bytes]:
    """Every file in the folder but the lock (which holds the opener's pid)."""
    return {p.name: p.read_bytes() for p in sorted(folder.iterdir())
            if p.is_file() and p.name != "records.lock"}


def _save(store: JournalStore, first: int, count: int) -> None:
    for i in range(first, first + count):
        store.save("check_in", f"c{i}", {"id": f"c{i}", "pain_now": i % 11}, owner="p1")


def _refused(folder: Path, names: str) -> StoreCorrupt:
    """Open must refuse, name the file and the restore command, and change no file."""
    before = _files(folder)
    with pytest.raises(StoreCorrupt) as caught:
        JournalStore.open(folder)
    message = str(caught.value)
    assert str(folder / names) in message
    assert RESTORE_COMMAND in message
    assert _files(folder) == before
    with pytest.raises(StoreCorrupt):  # refused again: the first attempt "fixed" nothing
        JournalStore.open(folder)
    return caught.value


def test_deleted_journal_is_refused(tmp_path: Path) -> None:
    with JournalStore.open(tmp_path, compact_on_close=False) as store:
        _save(store, 0, 41)
        store.compact()
        _save(store, 41, 59)  # only in the journal
    (tmp_path / JOURNAL_FILE).unlink()
    refused = _refused(tmp_path, JOURNAL_FILE)
    assert "missing" in str(refused)


def test_journal_rolled_back_to_before_the_last_compaction_is_refused(tmp_path: Path) -> None:
    with JournalStore.open(tmp_path, compact_on_close=False) as store:
        _save(store, 0, 20)
        older = (tmp_path / JOURNAL_FILE).read_bytes()  # e.g. a file-sync tool's old copy
        _save(store, 20, 20)
        store.compact()
        _save(store, 40, 5)
    (tmp_path / JOURNAL_FILE).write_bytes(older)
    refused = _refused(tmp_path, JOURNAL_FILE)
    assert "rolled back" in str(refused)


def test_journal_rolled_back_within_one_generation_is_refused(tmp_path: Path) -> None:
    """No compaction between the copy and the crash: snapshot and journal headers still
    match, so only the store's own note of the last entry it saved can tell."""
    with JournalStore.open(tmp_path, compact_on_close=False) as store:
        _save(store, 0, 20)
        older = (tmp_path / JOURNAL_FILE).read_bytes()
        _save(store, 20, 20)
    (tmp_path / JOURNAL_FILE).write_bytes(older)
    refused = _refused(tmp_path, JOURNAL_FILE)
    assert "rolled back" in str(refused) and "entry 40" in str(refused)


def test_journal_two_generations_old_is_refused(tmp_path: Path) -> None:
    with JournalStore.open(tmp_path, compact_on_close=False) as store:
        _save(store, 0, 5)
        store.compact()
        older = (tmp_path / JOURNAL_FILE).read_bytes()  # header only: nothing newer in it
        _save(store, 5, 5)
        store.compact()
        _save(store, 10, 5)
        store.compact()
    (tmp_path / JOURNAL_FILE).write_bytes(older)
    refused = _refused(tmp_path, JOURNAL_FILE)
    assert "rolled back" in str(refused)


def test_snapshot_rolled_back_is_refused(tmp_path: Path) -> None:
    with JournalStore.open(tmp_path) as store:
        _save(store, 0, 5)
    older = (tmp_path / SNAPSHOT_FILE).read_bytes()
    with JournalStore.open(tmp_path) as store:  # close() compacts: the journal is empty
        _save(store, 5, 5)
    (tmp_path / SNAPSHOT_FILE).write_bytes(older)
    refused = _refused(tmp_path, SNAPSHOT_FILE)
    assert "rolled back" in str(refused)


def test_bit_flip_in_the_last_complete_line_is_refused(tmp_path: Path) -> None:
    with JournalStore.open(tmp_path, compact_on_close=False) as store:
        _save(store, 0, 5)
    journal = tmp_path / JOURNAL_FILE
    raw = bytearray(journal.read_bytes())
    assert raw.endswith(b"\n")
    spot = raw.rindex(b'"pain_now":4')
    raw[spot + len('"pain_now":')] ^= 0x01  # 4 -> 5: still valid JSON, checksum fails
    journal.write_bytes(bytes(raw))
    refused = _refused(tmp_path, JOURNAL_FILE)
    assert "line 6" in str(refused) and "checksum" in str(refused)


def test_torn_last_line_is_still_recovered(tmp_path: Path) -> None:
    lock = tmp_path / "records.lock"
    with JournalStore.open(tmp_path, compact_on_close=False) as store:
        _save(store, 0, 4)
        note = lock.read_bytes()  # the store's note of its last acknowledged save
        _save(store, 4, 1)
    journal = tmp_path / JOURNAL_FILE
    whole = journal.read_bytes()
    cut = whole[: whole.rindex(b"\n", 0, len(whole) - 1) + 1 + 30]  # last line, half written
    journal.write_bytes(cut)
    lock.write_bytes(note)  # a torn write was never acknowledged, so never noted
    with JournalStore.open(tmp_path) as store:
        assert len(store.find(Query("check_in"))) == 4
    assert len(list(tmp_path.glob(JOURNAL_FILE + TORN_SUFFIX + "*"))) == 1


def test_a_store_written_before_generations_still_opens(tmp_path: Path) -> None:
    """Files written by the December 2026 code (no generation counter) open as they are."""
    folder = tmp_path / "store"
    shutil.copytree(FIXTURES / "store-2026-12", folder)
    with JournalStore.open(folder) as store:
        assert [r.id for r in store.find(Query("pain_entry"))] == [
            "e0", "e1", "e3", "e4", "e5", "e6", "e7"]
        e3 = store.latest("pain_entry", "e3")
        assert e3 is not None and (e3.version, e3.data["nrs"]) == (2, 9)
        assert store.latest("note", "n1") is not None
        store.save("note", "n2", {"id": "n2"}, owner="p2")
    with JournalStore.open(folder) as store:  # and again, now with a generation counter
        assert store.latest("note", "n2") is not None
        assert len(store.find(Query("pain_entry", include_deleted=True))) == 8


def test_the_app_refuses_to_start_and_says_how_to_restore(tmp_path: Path) -> None:
    """As an operator sees it: one line on stderr, exit 1, nothing rewritten."""
    store_dir = tmp_path / "store"  # app/paths.py: DATA_DIR/store
    with JournalStore.open(store_dir, compact_on_close=False) as store:
        _save(store, 0, 41)
        store.compact()
        _save(store, 41, 59)
    (store_dir / JOURNAL_FILE).unlink()
    before = _files(store_dir)
    env = {**os.environ, "BACKTRACK_FAST_HASH": "1", "BACKTRACK_NO_BROWSER": "1"}
    done = subprocess.run([sys.executable, "-m", "app", "seed-demo", "--data-dir",
                           str(tmp_path)], cwd=REPO, env=env, capture_output=True,
                          text=True, timeout=120)
    assert done.returncode == 1
    assert done.stderr.count("\n") == 1 and "Traceback" not in done.stderr
    assert str(store_dir / JOURNAL_FILE) in done.stderr and RESTORE_COMMAND in done.stderr
    assert _files(store_dir) == before


def test_a_changed_value_in_the_snapshot_is_refused(tmp_path: Path) -> None:
    """Still valid JSON, so only a checksum can tell."""
    with JournalStore.open(tmp_path) as store:
        _save(store, 0, 5)
    snapshot = tmp_path / SNAPSHOT_FILE
    raw = snapshot.read_bytes()
    snapshot.write_bytes(raw.replace(b'"pain_now":3', b'"pain_now":8'))
    refused = _refused(tmp_path, SNAPSHOT_FILE)
    assert "checksum" in str(refused)
