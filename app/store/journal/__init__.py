"""The durable RecordStore: an fsynced append-only journal, periodic TinyDB snapshots, and
an in-memory TinyDB index for queries.

On disk (one data folder, owned by one process at a time)::

    records.lock            fcntl.flock target; holds the owner's pid for the error message
    records.snapshot.json   stock TinyDB JSON: table "meta" (doc 1) + table "versions"
                            (doc id = sequence number, doc = Record.to_json()); atomic rename
    records.journal.jsonl   line 1 a header, then one version per line:
                            {"crc":"<crc32 of the rest>","seq":N,"rec":{...Record...}}
    records.journal.jsonl.torn-<ts>   bytes of an unacknowledged, torn last write, kept aside

Why this shape: TinyDB's own JSONStorage rewrites the whole file per insert (slow and not
atomic, see STACK.md). A save here is one append + fdatasync of one line.

Files are linked by random "generation" ids: the journal header names the snapshot it
continues (`base_gen`), and each snapshot names the journal base it was compacted from
(`based_on`). That tells a half-finished compaction (replay the newer journal lines) from a
journal that belongs to another history (refuse: StoreCorrupt), without guessing.

The package, one seam per module::

    files.py         file names; fsync, atomic replace, copies kept aside
    lines.py         the journal's line format and its CRC
    schema.py        schema versions, migrations, checks on every stored version
    snapshot.py      writing and parsing snapshots (also used to check backups)
    journal_file.py  parsing the journal: header, lines, a torn last write
    folder_lock.py   one process per data folder
    index.py         every version in memory; the TinyDB query index
    store.py         JournalStore: opening, saving, compaction, closing

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
