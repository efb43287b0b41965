"""Deciding, before any file is touched, what an opening store may do with the files it found.

A snapshot and a journal belong together when the journal's header names the snapshot's
generation. Every compaction writes snapshot N + 1 and then journal N + 1 (two atomic
renames), so the only pair that a crash can leave and that is not a match is snapshot N + 1
with journal N, and that journal then holds at least everything the snapshot holds. Any
other pair means a file was lost or replaced by an older copy (a rolled-back file), and
starting from what is left would silently drop entries that were acknowledged. So:

- matching pair                     replay the journal
- snapshot N + 1, journal N         replay the journal's lines newer than the snapshot, then
  (journal reaches the snapshot)    write a fresh pair (a compaction cut short)
- snapshot and no journal           refuse: the journal was lost
- journal older than the snapshot   refuse: the journal was rolled back
- snapshot older than the journal   refuse: the snapshot was rolled back
- no snapshot, journal from seq 0   replay the journal (it holds everything)

Generations are told apart by random ids (`gen`, `based_on`, `base_gen`: which file comes
from which) and ordered by sequence numbers and a generation counter (`generation`) in both
files; stores written before the counter existed have none, and open the same way.

Also here: a data folder that a restore left missing is not a new store, and the one-line
message for a folder the system will not let us use (full disk, permissions).
"""

from __future__ import annotations

import errno
from dataclasses import dataclass, field
from pathlib import Path

from app.store.interfaces import Record, StoreCorrupt
from app.store.journal.files import JOURNAL_FILE, RESTORING_INFIX, SNAPSHOT_FILE
from app.store.journal.journal_file import JournalData
from app.store.journal.snapshot import SnapshotData


def cannot_use(data_dir: Path, exc: OSError) -> str:
    """One line for the operator: which folder, what the system said, what to do."""
    advice = {
        errno.ENOSPC: "Free some disk space, then start BackTrack again.",
        errno.EDQUOT: "Free some disk space (the disk quota is used up), then start again.",
        errno.EACCES: "Let the account running BackTrack read and write it, then start again.",
        errno.EPERM: "Let the account running BackTrack read and write it, then start again.",
        errno.EROFS: "The disk is read-only; choose a writable --data-dir.",
        errno.ENOTDIR: "Part of that path is a file, not a folder; check --data-dir.",
    }.get(exc.errno or 0, "Fix that, then start BackTrack again.")
    where = f" ({exc.filename})" if exc.filename and str(exc.filename) != str(data_dir) else ""
    return (f"Cannot use the data folder {data_dir}: {exc.strerror or exc}{where}. {advice} "
            "Nothing stored was changed.")


def refuse_if_a_restore_stopped(data_dir: Path) -> None:
    """Where no atomic folder exchange exists, a restore moves the live folder aside and
    then renames its checked copy into place. Dying in between leaves no data folder: that
    must not start a new, empty store."""
    if not data_dir.parent.is_dir():
        return
    staged = sorted(data_dir.parent.glob(data_dir.name + RESTORING_INFIX + "*"))
    if staged:
        raise StoreCorrupt(
            str(data_dir),
            f"it is missing and a restore stopped half-way: the restored copy is in "
            f"{staged[-1]}. Rename that folder to {data_dir.name} to finish the restore, "
            "or run the restore again",
        )


@dataclass
class Plan:
    """What opening does once every check has passed."""

    replay: list[tuple[int, Record]] = field(default_factory=list)  # journal lines to apply
    needs_compaction: bool = False  # write a fresh snapshot + journal pair
    generation: int = 0  # of the pair being continued (0 = not known yet)
    journal_gen: str = ""  # base_gen of the journal appended to, when it is kept


def plan_recovery(
    folder: Path, snapshot: SnapshotData | None, journal: JournalData | None,
    saved_up_to: int | None = None,
) -> Plan:
    """The plan for these files, or StoreCorrupt naming the file that is missing or stale.
    `saved_up_to` is the last entry the store noted as saved (folder_lock.py)."""
    plan = _plan(folder, snapshot, journal)
    ends_at = snapshot.last_seq if snapshot else 0
    if journal is not None:
        ends_at = max(ends_at, journal.records[-1][0] if journal.records else journal.base_seq)
    if saved_up_to is not None and saved_up_to > ends_at:
        raise StoreCorrupt(
            str(folder / JOURNAL_FILE),
            f"it was rolled back (replaced by an older copy): this store had saved entry "
            f"{saved_up_to}, but its files end at entry {ends_at}; the entries after it are "
            "missing",
        )
    return plan


def _plan(folder: Path, snapshot: SnapshotData | None, journal: JournalData | None) -> Plan:
    snapshot_path = str(folder / SNAPSHOT_FILE)
    journal_path = str(folder / JOURNAL_FILE)
    if snapshot is None and journal is None:
        return Plan(needs_compaction=True)  # a new store
    if journal is None:
        assert snapshot is not None
        raise StoreCorrupt(
            journal_path,
            f"it is missing, and {SNAPSHOT_FILE} alone may lack the latest entries",
        )
    if snapshot is None:
        if journal.base_seq != 0:
            raise StoreCorrupt(
                snapshot_path, f"it is missing, but {JOURNAL_FILE} continues from it"
            )
        return Plan(replay=journal.records, needs_compaction=True,
                    generation=journal.generation or 0)
    last_in_journal = journal.records[-1][0] if journal.records else journal.base_seq
    if journal.base_gen == snapshot.gen:
        if journal.base_seq != snapshot.last_seq or journal.generation != snapshot.generation:
            raise StoreCorrupt(journal_path, f"its header does not match {SNAPSHOT_FILE}")
        return Plan(replay=journal.records, generation=snapshot.generation or 0,
                    journal_gen=journal.base_gen)
    if journal.base_gen == snapshot.based_on and journal.base_seq <= snapshot.last_seq:
        if last_in_journal < snapshot.last_seq:
            raise StoreCorrupt(journal_path, _rolled_back("journal", last_in_journal,
                                                          snapshot.last_seq))
        # A compaction stopped between renaming the snapshot and the fresh journal: the
        # snapshot holds this journal's older lines; replay only the newer ones.
        newer = [(seq, r) for seq, r in journal.records if seq > snapshot.last_seq]
        return Plan(replay=newer, needs_compaction=True, generation=snapshot.generation or 0)
    journal_older = _older(journal.generation, snapshot.generation,
                           journal.base_seq, snapshot.last_seq)
    if journal_older is True:
        raise StoreCorrupt(journal_path, _rolled_back("journal", last_in_journal,
                                                      snapshot.last_seq))
    if journal_older is False:
        raise StoreCorrupt(
            snapshot_path,
            f"it was rolled back: it is older than {JOURNAL_FILE}, which continues from a "
            f"later snapshot (entry {journal.base_seq}, this one ends at "
            f"{snapshot.last_seq}); the entries in between are missing",
        )
    raise StoreCorrupt(journal_path, f"it belongs to another store than {SNAPSHOT_FILE}")


def _older(journal_generation: int | None, snapshot_generation: int | None,
           journal_base: int, snapshot_last: int) -> bool | None:
    """True if the journal is of an earlier generation than the snapshot, False if later,
    None if neither (files of two different stores)."""
    if journal_generation is not None and snapshot_generation is not None \
            and journal_generation != snapshot_generation:
        return journal_generation < snapshot_generation
    if journal_base != snapshot_last:
        return journal_base < snapshot_last
    return None


def _rolled_back(what: str, ends_at: int, snapshot_last: int) -> str:
    return (
        f"the {what} was rolled back (replaced by an older copy): it ends at entry "
        f"{ends_at}, but {SNAPSHOT_FILE} already holds entries up to {snapshot_last}; "
        "entries saved after it are missing"
    )
