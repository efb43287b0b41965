"""Erasing a patient (purge_owner) reaches the side files the journal store keeps in its
folder too: the unfinished tail of a write cut off by a crash (records.journal.jsonl.torn-…)
and the copy kept before a schema upgrade (….schema-<n>-…). Before, both still held the
patient's notes after a purge (issue 14: nothing of the patient anywhere in the store)."""

from __future__ import annotations

import shutil
from pathlib import Path

from app.store.journal import JOURNAL_FILE, PRE_MIGRATION_SUFFIX, TORN_SUFFIX, JournalStore

SECRET = b"ocelot-secret-of-p1"


def folder_bytes(folder: Path) -> bytes:
    return b"".join(p.read_bytes() for p in sorted(folder.iterdir()) if p.is_file())


def side_files(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir()
                  if TORN_SUFFIX in p.name or PRE_MIGRATION_SUFFIX in p.name)


def test_purge_erases_the_patients_side_files_and_keeps_the_others(tmp_path: Path) -> None:
    with JournalStore.open(tmp_path, compact_on_close=False) as store:
        store.save("pain_entry", "e1", {"note": SECRET.decode()}, owner="p1")
        store.save("pain_entry", "e2", {"note": "p2's note"}, owner="p2")
    journal = tmp_path / JOURNAL_FILE
    # A copy kept before an upgrade (what keep_aside writes), and one that holds only p2.
    shutil.copyfile(journal, tmp_path / f"{JOURNAL_FILE}{PRE_MIGRATION_SUFFIX}1-20250101T0")
    only_p2 = tmp_path / f"records.snapshot.json{PRE_MIGRATION_SUFFIX}1-20250101T0"
    only_p2.write_bytes(b'{"owner": "p2", "data": {"note": "p2 only"}}')
    # A write cut off by a crash: the store sets the torn tail aside when it opens.
    with journal.open("ab") as f:
        f.write(b'{"seq": 3, "rec": {"kind": "pain_entry", "id": "e3", "owner": "p1", '
                b'"data": {"note": "' + SECRET + b'-torn')
    with JournalStore.open(tmp_path, compact_on_close=False) as store:
        assert any(TORN_SUFFIX in name for name in side_files(tmp_path))
        assert folder_bytes(tmp_path).count(SECRET) >= 3  # journal, torn tail, copy
        assert store.purge_owner("p1") == 1
        assert SECRET not in folder_bytes(tmp_path)
        assert side_files(tmp_path) == [only_p2.name]  # another patient's copy stays
        assert store.owner_history("p2")
