"""Backup and restore: round trip, bad files refused with data untouched, old data kept."""

from __future__ import annotations

import errno
import hashlib
import json
import os
import stat
import zipfile
from pathlib import Path

import pytest

from app.store import backup as backup_module
from app.store.backup import BackupInvalid, backup, restore, verify_backup
from app.store.interfaces import Query, StoreCorrupt, StoreError, StoreLocked
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
        assert restore(archive, target).versions == 31
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
    restored = restore(archive, target)
    assert restored.previous is not None
    assert restored.previous.parent == target.parent  # the whole old folder, swapped out
    assert restored.previous.name.startswith("target.before-restore-")
    assert str(restored.previous) in str(restored)  # the message says where it went
    kept = _folder_bytes(restored.previous)
    assert kept[JOURNAL_FILE] == before[JOURNAL_FILE]
    assert kept[SNAPSHOT_FILE] == before[SNAPSHOT_FILE]
    with JournalStore.open(target) as store:
        assert store.latest("note", "mine") is None  # the folder now holds the backup
    assert sorted(p.name for p in tmp_path.iterdir() if p.name.startswith("target")) == [
        "target", restored.previous.name]  # no staging folder left behind


def test_restore_without_an_atomic_exchange_also_works(source: Path, tmp_path: Path,
                                                        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(backup_module, "exchange_folders", lambda a, b: False)
    archive = backup(source, tmp_path / "b.zip")
    target = tmp_path / "target"
    with JournalStore.open(target, compact_on_close=False) as store:
        store.save("note", "mine", {"keep": "me"})
    restored = restore(archive, target)
    assert restored.versions == 31 and restored.previous is not None
    with JournalStore.open(restored.previous) as old:
        assert old.latest("note", "mine") is not None


def test_an_interrupted_restore_does_not_start_an_empty_store(tmp_path: Path) -> None:
    """Without an atomic exchange there is a moment with no live folder: if the process dies
    then, the next start must not begin a new, empty store beside the restored one."""
    (tmp_path / "target.restoring-20261201T000000Z").mkdir()
    with pytest.raises(StoreCorrupt, match="restore"):
        JournalStore.open(tmp_path / "target")
    assert not (tmp_path / "target").exists()


def _with_a_duplicated_version(archive: Path, out: Path) -> Path:
    """A backup whose snapshot holds one version twice, with manifest and checksum made to
    match, so that only a complete check of the records finds it."""
    with zipfile.ZipFile(archive) as src:
        manifest = json.loads(src.read("manifest.json"))
        tables = json.loads(src.read(SNAPSHOT_FILE))
    versions = tables["versions"]
    last = max(int(seq) for seq in versions)
    versions[str(last + 1)] = versions["1"]
    tables["meta"]["1"].update(last_seq=last + 1, versions=len(versions))
    body = json.dumps(tables).encode()
    manifest.update(versions=len(versions), last_seq=last + 1,
                    sha256=hashlib.sha256(body).hexdigest())
    with zipfile.ZipFile(out, "w") as dst:
        dst.writestr("manifest.json", json.dumps(manifest))
        dst.writestr(SNAPSHOT_FILE, body)
    return out


def _live(tmp_path: Path) -> tuple[Path, dict[str, bytes]]:
    target = tmp_path / "target"
    with JournalStore.open(target, compact_on_close=False) as store:
        store.save("note", "mine", {"keep": "me"})
    return target, _folder_bytes(target)


def test_backup_with_a_duplicated_version_is_refused_before_anything_changes(
    source: Path, tmp_path: Path
) -> None:
    bad = _with_a_duplicated_version(backup(source, tmp_path / "good.zip"), tmp_path / "d.zip")
    target, before = _live(tmp_path)
    with pytest.raises(BackupInvalid) as caught:
        restore(bad, target)
    assert "twice" in str(caught.value)
    assert f"still in {target}" in str(caught.value)  # says where the data is
    assert _folder_bytes(target) == before
    assert sorted(p.name for p in tmp_path.iterdir() if p.name.startswith("target")) == [
        "target"]


def test_a_restore_failing_half_way_leaves_the_live_store_untouched(
    source: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    archive = backup(source, tmp_path / "b.zip")
    target, before = _live(tmp_path)

    def disk_full(*args: object, **kwargs: object) -> None:
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(backup_module, "install_snapshot", disk_full)
    with pytest.raises(StoreError) as caught:
        restore(archive, target)
    assert "No space left" in str(caught.value)
    assert f"still in {target}" in str(caught.value)
    assert _folder_bytes(target) == before
    with JournalStore.open(target) as store:
        assert store.latest("note", "mine") is not None


def test_backup_file_is_private(source: Path, tmp_path: Path) -> None:
    old_umask = os.umask(0o022)  # the usual default, which made backups world-readable
    try:
        out = backup(source, tmp_path / "backups" / "b.zip")
        again = tmp_path / "loose.zip"
        again.write_bytes(b"")
        again.chmod(0o644)
        backup(source, again)  # an existing file is replaced by a private one
    finally:
        os.umask(old_umask)
    assert stat.S_IMODE(out.stat().st_mode) == 0o600
    assert stat.S_IMODE(out.parent.stat().st_mode) == 0o700
    assert stat.S_IMODE(again.stat().st_mode) == 0o600


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


def test_backup_of_an_open_folder_works(source: Path, tmp_path: Path) -> None:
    """Backups no longer need the server stopped (issue 15): the folder's files are read
    as of one moment (tests/store/test_online_backup.py runs saves meanwhile)."""
    with JournalStore.open(source) as store:
        store.save("pain_entry", "after", {"nrs": 1}, owner="p0")
        written = backup(source, tmp_path / "c.zip")
    assert verify_backup(written).versions == 32


@pytest.mark.parametrize("kind", ["fifo", "folder", "link"])
def test_backup_refuses_to_replace_what_is_not_a_regular_file(
        source: Path, tmp_path: Path, kind: str) -> None:
    """`backup --out /dev/full` renamed the backup over the device: whatever is at the
    path and is not a plain file (a pipe, a device, a folder, a link) is left alone."""
    out = tmp_path / "out"
    if kind == "fifo":
        os.mkfifo(out)
    elif kind == "folder":
        out.mkdir()
        (out / "kept.txt").write_text("kept")
    else:
        (tmp_path / "elsewhere.zip").write_bytes(b"kept")
        out.symlink_to(tmp_path / "elsewhere.zip")
    before = os.lstat(out)
    with pytest.raises(StoreError) as caught:
        backup(source, out)
    message = str(caught.value)
    assert str(out) in message and "not a regular file" in message
    assert "Nothing was written" in message
    after = os.lstat(out)
    assert (after.st_ino, stat.S_IFMT(after.st_mode)) == (before.st_ino,
                                                          stat.S_IFMT(before.st_mode))
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(
        ["source", "out"] + (["elsewhere.zip"] if kind == "link" else []))
