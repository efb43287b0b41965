"""A data folder that cannot be opened or written (full disk, a path that is not a folder,
no permission) gives one clear line, StoreUnavailable, not a raw OSError; nothing changes."""

from __future__ import annotations

import errno
import os
import subprocess
import sys
from pathlib import Path

import pytest

from app.store.interfaces import Query, StoreError, StoreUnavailable
from app.store.journal import JOURNAL_FILE, JournalStore
from app.store.journal import files as store_files

REPO = Path(__file__).resolve().parents[2]


def _files(folder: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted(folder.iterdir())
            if p.is_file() and p.name != "records.lock"}


def _disk_full(monkeypatch: pytest.MonkeyPatch) -> None:
    def no_space(fd: int, payload: bytes) -> None:
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))

    monkeypatch.setattr(store_files, "write_all", no_space)  # every whole-file write


def test_reopening_on_a_full_disk_is_one_clear_line(tmp_path: Path,
                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    with JournalStore.open(tmp_path, compact_on_close=False) as store:
        for i in range(30):
            store.save("check_in", f"c{i}", {"id": f"c{i}"}, owner="p1")
    before = _files(tmp_path)
    _disk_full(monkeypatch)
    with pytest.raises(StoreUnavailable) as caught:  # open compacts a journal this long
        JournalStore.open(tmp_path, compact_threshold=10)
    message = str(caught.value)
    assert "\n" not in message
    assert str(tmp_path) in message and "No space left on device" in message
    assert "disk space" in message
    assert _files(tmp_path) == before
    monkeypatch.undo()
    with JournalStore.open(tmp_path) as store:  # once there is room, all is there
        assert len(store.find(Query("check_in"))) == 30


def test_closing_on_a_full_disk_keeps_the_journal(tmp_path: Path,
                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    store = JournalStore.open(tmp_path)
    store.save("check_in", "c1", {"id": "c1"}, owner="p1")
    _disk_full(monkeypatch)
    store.close()  # the snapshot could not be written; the journal holds everything
    monkeypatch.undo()
    with JournalStore.open(tmp_path) as again:
        assert again.latest("check_in", "c1") is not None


def test_a_data_folder_that_cannot_be_made_is_one_clear_line(tmp_path: Path) -> None:
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("a file where the data folder should be")
    with pytest.raises(StoreUnavailable) as caught:
        JournalStore.open(blocker / "store")
    assert str(blocker / "store") in str(caught.value) and "\n" not in str(caught.value)


def test_the_app_prints_one_line_and_exits_1(tmp_path: Path) -> None:
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("")
    env = {**os.environ, "BACKTRACK_FAST_HASH": "1", "BACKTRACK_NO_BROWSER": "1"}
    done = subprocess.run([sys.executable, "-m", "app", "seed-demo", "--data-dir",
                           str(blocker)], cwd=REPO, env=env, capture_output=True, text=True,
                          timeout=120)
    assert done.returncode == 1
    assert "Traceback" not in done.stderr and done.stderr.count("\n") == 1
    assert done.stderr.startswith("BackTrack: Cannot use the data folder ")
    assert str(blocker) in done.stderr and "check --data-dir" in done.stderr


def test_a_save_on_a_full_disk_is_a_store_error(tmp_path: Path,
                                                monkeypatch: pytest.MonkeyPatch) -> None:
    with JournalStore.open(tmp_path) as store:
        journal_before = (tmp_path / JOURNAL_FILE).read_bytes()

        def no_space(fd: int) -> None:
            raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))

        monkeypatch.setattr(os, "fdatasync", no_space)
        with pytest.raises(StoreError, match="No space left"):
            store.save("check_in", "c1", {"id": "c1"}, owner="p1")
        monkeypatch.undo()
        assert (tmp_path / JOURNAL_FILE).read_bytes() == journal_before  # cut back
