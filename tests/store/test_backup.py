"""Backup and restore: round trip, bad files refused with data untouched, old data kept."""

from __future__ import annotations

import json
import zipfile
from pathlib import Path

import pytest

from app.store.backup import ASIDE_PREFIX, BackupInvalid, backup, restore, verify_backup
from app.store.interfaces import Query, StoreLocked
from app.store.journal import JOURNAL_FILE, SNAPSHOT_FILE, JournalStore


def _folder_bytes(folder: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


@pytest.fixture
def source(tmp_path: Path) -> Path:
    folder = tmp_path / "source"
    with JournalStore.open(folder, compact_on_close=False) as store:
        for i in range(30):
            store.save("pain_entry", f"e{i}", {"nrs": i % 11}, owner=f"p{i % 3}")
        store.save("pain_entry", "e1", {}, owner="p1", deleted=True)
    return folder


def test_round_trip_from_open_store_and_from_folder(source: Path, tmp_path: Path) -> None:
    with JournalStore.open(source) as store:
        expected = store.owner_history("p0") + store.owner_history("p1")
        from_store = backup(store, tmp_path / "a.zip")
    from_folder = backup(source, tmp_path / "b.zip")
    assert verify_backup(from_store).versions == verify_backup(from_folder).versions == 31
    for number, archive in enumerate((from_store, from_folder)):
        target = tmp_path / f"target{number}"
        assert restore(archive, target) == 31
        with JournalStore.open(target) as store:
            assert store.owner_history("p0") + store.owner_history("p1") == expected
            assert len(store.find(Query("pain_entry", include_deleted=True))) == 30
            assert store.save("pain_entry", "e0", {}, owner="p0").version == 2


def test_existing_data_is_moved_aside_not_deleted(source: Path, tmp_path: Path) -> None:
    archive = backup(source, tmp_path / "b.zip")
    target = tmp_path / "target"
    with JournalStore.open(target, compact_on_close=False) as store:
        store.save("note", "mine", {"keep": "me"})
    before = _folder_bytes(target)
    restore(archive, target)
    asides = list(target.glob(ASIDE_PREFIX + "*"))
    assert len(asides) == 1
    kept = _folder_bytes(asides[0])
    assert kept[JOURNAL_FILE] == before[JOURNAL_FILE]
    assert kept[SNAPSHOT_FILE] == before[SNAPSHOT_FILE]
    with JournalStore.open(target) as store:
        assert store.latest("note", "mine") is None  # the folder now holds the backup


def _tampered(archive: Path, out: Path, name: str, change: bytes) -> Path:
    with zipfile.ZipFile(archive) as src, zipfile.ZipFile(out, "w") as dst:
        for item in src.namelist():
            body = src.read(item)
            dst.writestr(item, change if item == name else body)
    return out


@pytest.mark.parametrize("damage", ["garbage", "truncated", "checksum", "count", "missing"])
def test_bad_backup_is_refused_and_data_untouched(
    source: Path, tmp_path: Path, damage: str
) -> None:
    good = backup(source, tmp_path / "good.zip")
    bad = tmp_path / "bad.zip"
    manifest = json.loads(zipfile.ZipFile(good).read("manifest.json"))
    if damage == "garbage":
        bad.write_bytes(b"this is not a zip file")
    elif damage == "truncated":
        bad.write_bytes(good.read_bytes()[:-200])
    elif damage == "checksum":
        snapshot = zipfile.ZipFile(good).read(SNAPSHOT_FILE).replace(b'"nrs":3', b'"nrs":4')
        _tampered(good, bad, SNAPSHOT_FILE, snapshot)
    elif damage == "count":
        _tampered(good, bad, "manifest.json", json.dumps({**manifest, "versions": 5}).encode())
    else:
        with zipfile.ZipFile(bad, "w") as archive:
            archive.writestr("manifest.json", json.dumps(manifest))
    target = tmp_path / "target"
    with JournalStore.open(target, compact_on_close=False) as store:
        store.save("note", "mine", {"keep": "me"})
    before = _folder_bytes(target)
    with pytest.raises(BackupInvalid) as caught:
        restore(bad, target)
    assert str(bad) in str(caught.value)
    assert _folder_bytes(target) == before


def test_restore_into_open_store_is_refused(source: Path, tmp_path: Path) -> None:
    archive = backup(source, tmp_path / "b.zip")
    target = tmp_path / "target"
    with JournalStore.open(target), pytest.raises(StoreLocked):
        restore(archive, target)
    with pytest.raises(StoreLocked), JournalStore.open(source):
        backup(source, tmp_path / "c.zip")
