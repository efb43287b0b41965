"""The durable RecordStore: an fsynced append-only journal, periodic TinyDB snapshots, and
an in-memory TinyDB index for queries.

On disk (one data folder, owned by one process at a time)::

    records.lock            fcntl.flock target; holds the owner's pid for the error message
    records.snapshot.json   stock TinyDB JSON: table "versions" (doc id = sequence number,
                            doc = Record.to_json()) + table "meta" (doc 1, with a CRC-32 of
                            the versions); replaced by atomic rename
    records.journal.jsonl   line 1 a header, then one version per line, or a batch of
                            versions written as one: {"crc":"<crc32 of the rest>","seq":N,...}
    records.journal.jsonl.torn-<ts>   bytes of an unacknowledged, torn last write, kept aside
    records.swap.lock       flock held while the snapshot/journal pair is swapped, and while
                            a backup opens the pair (capture.py): no data

Why this shape: TinyDB's own JSONStorage rewrites the whole file per insert (slow and not
atomic, see STACK.md). A save here is one append + fdatasync of one line.

Snapshot and journal are linked by random ids (the journal header names the snapshot it
continues, each snapshot the journal generation it was compacted from) and ordered by a
generation counter and sequence numbers in both. That tells a compaction cut short (replay
the newer lines) from a missing, rolled-back or foreign file (refuse: StoreCorrupt), and
damage (a checksum fails) from a torn last write (no newline: set aside), without guessing.
Nothing is written while opening until every check has passed (recovery.py).

The package, one seam per module::

    files.py         file names; fsync, atomic replace, copies kept aside, folder exchange
    lines.py         the journal's line format and its CRC
    schema.py        schema versions, migrations, checks on every stored version
    snapshot.py      writing, parsing and checksumming snapshots (also checks backups)
    journal_file.py  parsing the journal: header, lines, a torn last write
    recovery.py      which files belong together before anything is written, or a refusal
    folder_lock.py   one process per data folder
    index.py         every version in memory; the TinyDB query index
    store.py         JournalStore: opening, saving, batches, compaction, closing
    capture.py       a point-in-time copy for backups, beside a running store
    snapshot_stream.py  a snapshot's versions read block by block (bounded memory)

What must not live here: services, UI or chart code (see pyproject import contracts).
"""

from app.store.journal.files import (
    JOURNAL_FILE,
    LOCK_FILE,
    PRE_MIGRATION_SUFFIX,
    SNAPSHOT_FILE,
    STORE_FILE_PREFIX,
    TMP_SUFFIX,
    TORN_SUFFIX,
)
from app.store.journal.lines import journal_line
from app.store.journal.schema import SCHEMA_VERSION
from app.store.journal.store import DEFAULT_COMPACT_THRESHOLD, JournalStore

__all__ = [
    "DEFAULT_COMPACT_THRESHOLD",
    "JOURNAL_FILE",
    "LOCK_FILE",
    "PRE_MIGRATION_SUFFIX",
    "SCHEMA_VERSION",
    "SNAPSHOT_FILE",
    "STORE_FILE_PREFIX",
    "TMP_SUFFIX",
    "TORN_SUFFIX",
    "JournalStore",
    "journal_line",
]
