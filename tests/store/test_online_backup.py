"""`backup` while another process keeps saving (issue 15): the file restores to a consistent
store holding every save acknowledged before the backup started, each batch whole or not at
all, and nothing that was never saved.

The writer is a separate process, as the server is for `python -m app backup`; a small
compaction threshold makes compactions (the snapshot and journal being swapped) happen
while backups read the folder. Before the change the backup was refused (StoreLocked).
"""

from __future__ import annotations

import subprocess
import sys
import threading
from pathlib import Path

import pytest

from app.store.backup import backup, restore
from app.store.interfaces import Query, StoreCorrupt
from app.store.journal import SNAPSHOT_FILE, JournalStore

REPO = Path(__file__).resolve().parents[2]
BACKUPS = 4
BATCH = 3

# Prints "ack N" only after save N (or batch N) has returned. Every fifth is a batch of
# three records under one line; every save also raises the counter record's version, so
# version numbers show whether a version went missing in the middle.
WRITER = r"""
import sys
from pathlib import Path
from app.store.interfaces import Change
from app.store.journal import JournalStore

store = JournalStore.open(Path(sys.argv[1]), compact_threshold=40)
print("ready", flush=True)
n = 0
while True:
    n += 1
    if n % 5 == 0:
        store.save_all([Change("batch", f"b{n}-{k}", {"id": f"b{n}-{k}", "n": n}, owner="p")
                        for k in range(3)])
    else:
        store.save("pain_entry", f"e{n}", {"id": f"e{n}", "nrs": n % 11, "n": n}, owner="p")
    store.save("counter", "c", {"id": "c", "n": n})
    print(f"ack {n}", flush=True)
"""


class Writer:
    """The saving process and the acknowledgements read from it so far."""

    def __init__(self, data_dir: Path) -> None:
        self.process = subprocess.Popen(
            [sys.executable, "-c", WRITER, str(data_dir)], cwd=REPO,
            stdout=subprocess.PIPE, text=True)
        assert self.process.stdout is not None
        assert self.process.stdout.readline().strip() == "ready"
        self.acked = 0
        self.changed = threading.Condition()
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self) -> None:
        assert self.process.stdout is not None
        for line in self.process.stdout:
            with self.changed:
                self.acked = int(line.split()[1])
                self.changed.notify_all()

    def wait_for(self, count: int) -> int:
        with self.changed:
            assert self.changed.wait_for(lambda: self.acked >= count, timeout=120), \
                "the writer stopped acknowledging saves"
            return self.acked

    def stop(self) -> None:
        self.process.kill()
        self.process.wait()


def _check_restored(archive: Path, target: Path, acked_before: int) -> int:
    """Restore `archive` and check it; returns the last save it holds."""
    restored = restore(archive, target)
    with JournalStore.open(target) as store:
        singles = {r.data["n"] for r in store.find(Query("pain_entry", owner="p"))}
        batches = [r.data["n"] for r in store.find(Query("batch", owner="p"))]
        counter = store.history("counter", "c")
        stats = store.stats()
    held = singles | set(batches)
    last = max(held)
    # Saves happen one after another, so the backup holds saves 1..last and no gaps.
    assert held == set(range(1, last + 1))
    assert last >= acked_before  # every acknowledged save before the backup started
    assert all(batches.count(n) == BATCH for n in set(batches))  # no batch half-in
    # The counter is saved after each entry: its versions are 1..k, k = last or last - 1
    # (the moment fell between the two saves of one round).
    assert [r.version for r in counter] == list(range(1, len(counter) + 1))
    assert len(counter) in (last, last - 1)
    assert restored.versions == stats["versions"]
    return last


def test_backup_while_another_process_saves(tmp_path: Path) -> None:
    data_dir = tmp_path / "live"
    writer = Writer(data_dir)
    taken: list[tuple[Path, int]] = []
    try:
        for number in range(BACKUPS):
            acked_before = writer.wait_for(60 * (number + 1))
            archive = backup(data_dir, tmp_path / f"during-{number}.zip")
            taken.append((archive, acked_before))
        after_last = writer.wait_for(writer.acked + 20)  # it kept saving throughout
    finally:
        writer.stop()
    lasts = [_check_restored(archive, tmp_path / f"restored-{number}", acked_before)
             for number, (archive, acked_before) in enumerate(taken)]
    assert lasts == sorted(lasts) and lasts[-1] < after_last
    with JournalStore.open(data_dir) as live:  # and the live store is as sound as ever
        assert len(live.history("counter", "c")) >= after_last


def test_a_damaged_snapshot_is_not_backed_up(tmp_path: Path) -> None:
    """The snapshot is copied as it is, block by block: its checksum is checked on the way,
    so a changed digit fails the backup instead of being carried into it."""
    data_dir = tmp_path / "live"
    with JournalStore.open(data_dir) as store:
        for i in range(50):
            store.save("pain_entry", f"e{i}", {"nrs": i % 11}, owner="p")
    snapshot = data_dir / SNAPSHOT_FILE
    snapshot.write_bytes(snapshot.read_bytes().replace(b'"nrs":3', b'"nrs":4', 1))
    with pytest.raises(StoreCorrupt, match="checksum"):
        backup(data_dir, tmp_path / "b.zip")
    assert not (tmp_path / "b.zip").exists()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["live"]  # no .tmp left either


def test_backup_streams_a_large_snapshot_in_blocks(tmp_path: Path) -> None:
    """More versions than one 1 MiB block holds: entries cut across blocks decode whole."""
    data_dir = tmp_path / "live"
    with JournalStore.open(data_dir) as store:
        for i in range(3_000):
            store.save("pain_entry", f"e{i}", {"note": "x" * (i % 700), "n": i}, owner="p")
    assert (data_dir / SNAPSHOT_FILE).stat().st_size > 1 << 20
    restored = restore(backup(data_dir, tmp_path / "b.zip"), tmp_path / "again")
    assert restored.versions == 3_000
    with JournalStore.open(tmp_path / "again") as again:
        assert again.latest("pain_entry", "e2999").data["n"] == 2_999  # type: ignore[union-attr]
