"""JournalStore: the durable RecordStore built from the journal, snapshots and the index.

A save is one append + fdatasync of one line, so its cost does not depend on how much
history exists. Every acknowledged version is in the journal or in a snapshot that was
fsynced and atomically renamed before the journal lines were dropped.
"""

from __future__ import annotations

import functools
import gc
import json
import logging
import mmap
import os
import threading
import uuid
import zlib
from collections.abc import Callable, Iterable, Iterator, Sequence
from pathlib import Path

from app.store.interfaces import (
    Change,
    JSONDict,
    Query,
    Record,
    StoreCorrupt,
    StoreError,
    StoreUnavailable,
)
from app.store.journal.files import (
    JOURNAL_FILE,
    PRE_MIGRATION_SUFFIX,
    SNAPSHOT_FILE,
    STORE_FILE_PREFIX,
    TMP_SUFFIX,
    TORN_SUFFIX,
    fsync_dir,
    install_file,
    keep_aside,
    timestamp,
    write_all,
    write_file_atomically,
    write_tmp_file,
)
from app.store.journal.folder_lock import (
    acquire_folder_lock,
    note_saved,
    release_folder_lock,
    saved_up_to,
    swap_lock,
)
from app.store.journal.index import VersionIndex
from app.store.journal.index_file import (
    SnapshotIndex,
    index_path,
    latest_versions,
    read_index,
    rebuild_index,
    write_index,
)
from app.store.journal.journal_file import JournalData, read_journal
from app.store.journal.lines import batch_line, dumps, header_line, journal_line
from app.store.journal.placements import Placed, Placements
from app.store.journal.recovery import (
    cannot_use,
    plan_recovery,
    refuse_if_a_restore_stopped,
)
from app.store.journal.schema import SCHEMA_VERSION, stored_record
from app.store.journal.snapshot import (
    VERSIONS_HEAD,
    Entry,
    SnapshotData,
    read_snapshot,
    snapshot_chunks,
    snapshot_end,
    snapshot_meta,
    versions_span,
)
from app.store.journal.snapshot_stream import copied_versions
from app.store.memory import checked_import, encoded, next_version, next_versions

DEFAULT_COMPACT_THRESHOLD = 5_000  # journal lines before a background snapshot
_ENTRIES_PER_CHUNK = 2_000  # recent versions per write() while a snapshot is written


class _CannotBuildOn(Exception):
    """The snapshot file cannot be the start of the next one: it is written from memory."""

log = logging.getLogger(__name__)


class JournalStore:
    """Durable RecordStore. Thread-safe; one process per data folder (StoreLocked otherwise)."""

    def __init__(
        self, data_dir: Path, lock_fd: int, compact_threshold: int, compact_on_close: bool
    ) -> None:
        self.data_dir = data_dir
        self._lock_fd = lock_fd
        self._compact_threshold = max(1, compact_threshold)
        self._compact_on_close = compact_on_close
        self._lock = threading.RLock()  # guards memory state and journal appends
        self._compact_lock = threading.Lock()  # one snapshot writer at a time (compact/purge)
        self._compactor: threading.Thread | None = None
        self._mem = VersionIndex()
        self._mem.read_json = self._read_json
        self._mem.decode = self._decode
        self._snapshot_fd = -1  # the current snapshot, read for older versions by offset
        self._journal_fd = -1
        self._journal_size = 0
        self._journal_lines = 0
        self._journal_gen = ""  # base_gen of the journal being appended to
        self._generation = 0  # counter of that journal and its snapshot (0: not yet known)
        self._failed: str | None = None
        self._closed = False

    # -- opening ---------------------------------------------------------------------------

    @classmethod
    def open(
        cls,
        data_dir: Path,
        *,
        compact_threshold: int = DEFAULT_COMPACT_THRESHOLD,
        compact_on_close: bool = True,
    ) -> JournalStore:
        data_dir = Path(data_dir)
        try:
            if not data_dir.exists():
                refuse_if_a_restore_stopped(data_dir)
                data_dir.mkdir(parents=True)
                fsync_dir(data_dir.parent)
            lock_fd = acquire_folder_lock(data_dir)
            store = cls(data_dir, lock_fd, compact_threshold, compact_on_close)
            try:
                store._load()
            except BaseException:
                store._release()
                raise
        except OSError as exc:
            raise StoreUnavailable(cannot_use(data_dir, exc)) from exc
        # Move everything loaded so far out of the cyclic GC's reach: with 100,000 versions
        # in memory a full collection took ~240 ms, a pause every thread (and save) would
        # feel. Records hold no reference cycles, so refcounting still frees them.
        gc.freeze()
        return store

    def _load(self) -> None:
        snapshot_path = self.data_dir / SNAPSHOT_FILE
        journal_path = self.data_dir / JOURNAL_FILE
        # Read and check everything before writing anything: a refused store keeps its
        # files exactly as they were found, for whoever has to look at them.
        collecting = gc.isenabled()
        # Hundreds of thousands of records that all stay: nothing for the collector to
        # find, and its full passes over them took most of a million versions' open.
        gc.disable()
        try:
            self._load_checked(snapshot_path, journal_path)
        finally:
            if collecting:
                gc.enable()

    def _load_checked(self, snapshot_path: Path, journal_path: Path) -> None:
        snapshot, indexed, rebuilt = self._read_snapshot(snapshot_path)
        journal = read_journal(journal_path) if journal_path.exists() else None
        plan = plan_recovery(self.data_dir, snapshot, journal, saved_up_to(self._lock_fd))
        if indexed is not None:
            assert snapshot is not None
            index, latest = indexed
            self._mem.load_snapshot(index.placed, latest, index.moved, index.ordinals,
                                    snapshot.last_seq)
        for seq, record in snapshot.records if snapshot else []:
            self._mem.apply(seq, record)  # an older layout: held whole, written anew below
        self._mem.seq = max(self._mem.seq, snapshot.last_seq if snapshot else 0)
        for seq, record in plan.replay:
            self._mem.apply(seq, record)
        self._generation = plan.generation
        note_saved(self._lock_fd, self._mem.seq)  # the next open checks the files reach it

        for stale in (snapshot_path, journal_path):
            # Half-written by a process that died; never renamed, so never part of the store.
            stale.with_name(stale.name + TMP_SUFFIX).unlink(missing_ok=True)
        if journal is not None and journal.torn:
            self._set_torn_tail_aside(journal_path, journal)
        migrated = [
            (path, data.schema)
            for path, data in ((snapshot_path, snapshot), (journal_path, journal))
            if data is not None and data.schema < SCHEMA_VERSION
        ]
        for path, schema in migrated:
            kept = keep_aside(path, f"{PRE_MIGRATION_SUFFIX}{schema}-{timestamp()}")
            log.warning(
                "Upgrading %s from schema %d; the old file is kept as %s", path, schema, kept
            )
        if plan.needs_compaction or migrated or (snapshot is not None and indexed is None) or (
            journal is not None and len(journal.records) >= self._compact_threshold
        ):
            self._compact_now()
        else:
            assert journal is not None
            self._journal_gen = plan.journal_gen
            self._journal_lines = len(journal.records)
            self._open_journal_for_append()
            if rebuilt:
                self._save_index()

    def _read_snapshot(self, path: Path) -> tuple[
            SnapshotData | None, tuple[SnapshotIndex, list[Record]] | None, bool]:
        """The snapshot's meta and, for the current layout, where each version lies and
        each record's latest version: from the index file when it is this snapshot's, else
        by reading every version once (`rebuilt`). Older layouts are read whole (records
        in the returned data). The versions' CRC-32 is checked either way."""
        if not path.exists():
            return None, None, False
        self._snapshot_fd = os.open(path, os.O_RDONLY)  # closed by _release on a refusal
        where = str(path)
        span = versions_span(self._snapshot_fd, where)
        if span is not None:
            # Mapped, not read: the pages are the kernel's cache, dropped with the mapping.
            mapped = mmap.mmap(self._snapshot_fd, 0, access=mmap.ACCESS_READ)
            whole = memoryview(mapped)
            versions = whole[span.start:span.end]
            if f"{zlib.crc32(versions):08x}" != span.meta.versions_crc32:
                raise StoreCorrupt(where, "its checksum does not match: it was changed after "
                                          "it was written (disk damage, a copy or an edit)")
            index = read_index(index_path(path), span)
            rebuilt = index is None
            if index is None:
                index = rebuild_index(versions, span, where)
            if index is not None:
                latest = list(latest_versions(whole, index.placed, where))
                return span.meta, (index, latest), rebuilt
        os.close(self._snapshot_fd)
        self._snapshot_fd = -1
        return read_snapshot(path), None, False

    def _read_json(self, pos: int) -> bytes:
        """The JSON of the version at `pos` in the snapshot file, checked against the CRC-32
        noted when it was written. A record's latest version, held in memory, stands in for
        a damaged copy on disk; any other damage is refused, not believed."""
        placed = self._mem.placed
        raw = os.pread(self._snapshot_fd, placed.length[pos], placed.offset[pos])
        if len(raw) == placed.length[pos] and zlib.crc32(raw) == placed.crc[pos]:
            return raw
        kind, record_id = self._mem.key_of(placed.ordinal[pos])
        latest = self._mem.latest(kind, record_id)
        if latest is not None and latest.version == placed.version[pos]:
            held = dumps(latest.to_json()).encode()
            if zlib.crc32(held) == placed.crc[pos]:
                return held
        raise StoreCorrupt(str(self.data_dir / SNAPSHOT_FILE),
                           f"version {placed.version[pos]} of {kind} {record_id} changed "
                           "after it was written (its checksum does not match)")

    def _decode(self, raw: bytes) -> Record:
        return stored_record(json.loads(raw), str(self.data_dir / SNAPSHOT_FILE))

    def _save_index(self) -> None:
        """Write the current snapshot's index file. It is a cache: failing to write it
        costs the next open the time to read every version, nothing else. The caller holds
        the compaction lock (or is opening), so the placements do not change meanwhile."""
        path = self.data_dir / SNAPSHOT_FILE
        try:
            span = versions_span(self._snapshot_fd, str(path)) \
                if self._snapshot_fd >= 0 else None
            if span is None:
                return
            with self._lock:
                index = SnapshotIndex(self._mem.placed, set(self._mem.moved),
                                      self._mem.ordinals())
            write_index(index_path(path), index, span)
        except (OSError, StoreCorrupt) as exc:
            log.warning("Could not write the index of %s (the next start reads the whole "
                        "snapshot instead): %s", path, exc)

    def _set_torn_tail_aside(self, journal_path: Path, journal: JournalData) -> None:
        """The last write never completed, so it was never acknowledged: keep its bytes in a
        side file, then cut the journal back to its last intact line so appends can go on."""
        aside = journal_path.with_name(journal_path.name + TORN_SUFFIX + timestamp())
        write_file_atomically(aside, [journal.torn])
        fd = os.open(journal_path, os.O_WRONLY)
        try:
            os.ftruncate(fd, journal.good_length)
            os.fsync(fd)
        finally:
            os.close(fd)
        log.warning(
            "Dropped %d bytes of an unfinished write at the end of %s (kept in %s)",
            len(journal.torn),
            journal_path,
            aside,
        )

    def _open_journal_for_append(self) -> None:
        path = self.data_dir / JOURNAL_FILE
        fd = os.open(path, os.O_WRONLY | os.O_APPEND)
        if self._journal_fd >= 0:
            os.close(self._journal_fd)
        self._journal_fd = fd
        self._journal_size = os.fstat(fd).st_size

    def _check_usable(self) -> None:
        if self._closed:
            raise StoreError("the store is closed")
        if self._failed is not None:
            raise StoreError(
                f"the store stopped accepting writes after a disk error ({self._failed}); "
                "restart BackTrack"
            )

    # -- writing ---------------------------------------------------------------------------

    def _append(self, payload: bytes) -> None:
        """Append whole lines and fdatasync; on failure cut the partial write back off so
        the journal never holds a damaged line followed by good ones."""
        start = self._journal_size
        try:
            write_all(self._journal_fd, payload)
            os.fdatasync(self._journal_fd)
        except OSError as exc:
            try:
                os.ftruncate(self._journal_fd, start)
                os.fsync(self._journal_fd)
            except OSError as undo_exc:
                self._failed = f"{exc}; could not undo: {undo_exc}"
            else:
                # After a failed fsync the kernel may have dropped dirty pages: trust
                # nothing written since open (fsyncgate). Reopening re-reads the file.
                self._failed = str(exc)
            raise StoreUnavailable(
                f"Could not save to {self.data_dir / JOURNAL_FILE}: {exc.strerror or exc}. "
                "Nothing of this save was kept."
            ) from exc
        self._journal_size = start + len(payload)

    def save(
        self,
        kind: str,
        record_id: str,
        data: JSONDict,
        *,
        owner: str | None = None,
        expected_version: int | None = None,
        deleted: bool = False,
    ) -> Record:
        with self._lock:
            self._check_usable()
            draft = next_version(kind, record_id, self._mem.latest(kind, record_id), data,
                                 owner=owner, expected_version=expected_version,
                                 deleted=deleted)
            rec_json = encoded(draft)
            # Parse back: memory then holds exactly what a restart would read (a deep copy;
            # tuples become lists), so nothing differs before and after a restart.
            record = Record.from_json(json.loads(rec_json))
            seq = self._mem.seq + 1
            self._append(journal_line(seq, rec_json))
            note_saved(self._lock_fd, seq)
            self._mem.apply(seq, record, rec_json)
            self._journal_lines += 1
            self._maybe_compact_in_background()
            return record

    def save_all(self, changes: Sequence[Change]) -> list[Record]:
        with self._lock:
            self._check_usable()
            drafts = next_versions(changes, self._mem.latest)
            return self._append_batch(drafts)

    def import_versions(self, records: Iterable[Record]) -> int:
        with self._lock:
            self._check_usable()
            # Each held record's history read from disk once per import, not once per version.
            held = functools.cache(lambda kind, record_id: self._mem.history((kind, record_id)))
            fresh = checked_import(records, held)
            return len(self._append_batch(fresh))

    def _append_batch(self, versions: Sequence[Record]) -> list[Record]:
        """Write versions as one batch line (one checksum, one fdatasync): after a crash
        all of them are there or none."""
        if not versions:
            return []
        rec_jsons = [encoded(v) for v in versions]
        records = [Record.from_json(json.loads(js)) for js in rec_jsons]
        first = self._mem.seq + 1
        self._append(batch_line(first, rec_jsons))
        note_saved(self._lock_fd, first + len(records) - 1)
        for offset, (record, rec_json) in enumerate(zip(records, rec_jsons, strict=True)):
            self._mem.apply(first + offset, record, rec_json)
        self._journal_lines += len(records)
        self._maybe_compact_in_background()
        return records

    def purge_owner(self, owner: str) -> int:
        with self._compact_lock, self._lock:
            self._check_usable()
            doomed = {key for key, latest in self._mem.latest_of.items()
                      if latest.owner == owner}
            if not doomed:
                return 0
            count = self._mem.versions_of_keys(doomed)
            kept = self._mem.entries(self._mem.count, frozenset(doomed))
            last_seq = self._mem.seq
            # The new snapshot (without the owner) replaces the old one atomically; then a
            # fresh journal replaces the old one, which still held the owner's lines.
            try:
                self._write_snapshot_and_swap(
                    lambda gen, generation: snapshot_chunks(
                        kept, gen=gen, based_on=self._journal_gen, generation=generation,
                        last_seq=last_seq),
                    last_seq, 0, kept.placements, purge=True)
            except OSError as exc:
                # The files may already be without the owner while memory is not: stop
                # writing until a restart reads them back.
                self._failed = str(exc)
                raise StoreUnavailable(
                    f"Could not finish erasing the patient's data in {self.data_dir}: "
                    f"{exc.strerror or exc}. Restart BackTrack, then erase it again."
                ) from exc
            self._mem.forget(doomed, owner, count)
            self._erase_side_files(owner)
            self._save_index()  # numbers only, but of a snapshot without the owner
            self._erase_side_files(owner)
            return count

    def _erase_side_files(self, owner: str) -> None:
        """Remove the side files that name the owner: a torn tail set aside after a crash
        and the copies kept before a schema upgrade are not part of the store, but they
        are in its folder, and an erasure must leave nothing of the patient there. Copies
        that hold only other patients stay. A record's owner comes before its data in
        every line, so a torn tail holding any of their data names them."""
        named = b'"' + owner.encode() + b'"'
        removed = False
        for path in sorted(self.data_dir.iterdir()):
            if not path.name.startswith(STORE_FILE_PREFIX) or not (
                    TORN_SUFFIX in path.name or PRE_MIGRATION_SUFFIX in path.name):
                continue
            try:
                if named in path.read_bytes():
                    path.unlink()
                    removed = True
                    log.warning("Removed %s: it held records of a patient whose data was "
                                "erased on request", path.name)
            except OSError as exc:
                raise StoreUnavailable(
                    f"Erased the patient's data from the store, but could not remove "
                    f"{path}: {exc.strerror or exc}. Delete that file by hand."
                ) from exc
        if removed:
            fsync_dir(self.data_dir)

    # -- compaction ------------------------------------------------------------------------

    def _maybe_compact_in_background(self) -> None:
        if self._journal_lines < self._compact_threshold:
            return
        if self._compactor is not None and self._compactor.is_alive():
            return
        self._compactor = threading.Thread(
            target=self._compact_in_background, name="backtrack-compaction", daemon=True
        )
        self._compactor.start()

    def _compact_in_background(self) -> None:
        if not self._compact_lock.acquire(blocking=False):
            return  # a purge or another compaction is writing a snapshot right now
        try:
            if self._closed or self._failed is not None:
                return
            self._compact_locked()
        except Exception:
            # The journal still holds everything; the next trigger or close() retries.
            log.exception("Background compaction of %s failed", self.data_dir)
        finally:
            self._compact_lock.release()

    def compact(self) -> None:
        """Write a snapshot and start a fresh journal now (also done on close)."""
        with self._compact_lock:
            self._check_usable()
            try:
                self._compact_locked()
            except OSError as exc:  # the journal still holds everything
                raise StoreUnavailable(cannot_use(self.data_dir, exc)) from exc

    def _compact_now(self) -> None:
        with self._compact_lock:
            self._compact_locked()

    def _compact_locked(self) -> None:
        # Only the capture holds the main lock: the placements and `recent` only grow
        # (purge replaces them, but purge needs the compaction lock), so the first n entries
        # stay put while the snapshot is written and saves go on appending to the old journal.
        with self._lock:
            in_file = len(self._mem.placed)
            captured = len(self._mem.recent)
            last_seq = self._mem.seq
            recent = [(e, self._mem.ordinal_of(e.key), r.version) for e, r in
                      zip(self._mem.recent[:captured], self._mem.recent_records[:captured],
                          strict=True)]
        added: list[Placed] = []
        try:
            self._write_snapshot_and_swap(
                lambda gen, generation: self._built_on_file(recent, in_file, last_seq, gen,
                                                            generation, added),
                last_seq, captured, lambda: added, purge=False)
        except (_CannotBuildOn, StoreCorrupt) as exc:
            log.warning("Writing the next snapshot from memory: %s", exc)
        else:
            self._save_index()
            return
        with self._lock:  # imports may insert older versions meanwhile
            entries = self._mem.entries(in_file + captured)
        self._write_snapshot_and_swap(
            lambda gen, generation: snapshot_chunks(
                entries, gen=gen, based_on=self._journal_gen, generation=generation,
                last_seq=last_seq),
            last_seq, captured, entries.placements, purge=False)
        self._save_index()

    def _built_on_file(self, recent: Sequence[tuple[Entry, int, int]], in_file: int,
                       last_seq: int, gen: str, generation: int,
                       added: list[Placed]) -> Iterator[bytes]:
        """The next snapshot: the current snapshot file's versions, copied block by block
        and checked against the snapshot's CRC-32 (snapshot_stream.py), then the versions
        saved since. The copied versions keep their offsets, so only the added ones get new
        placements (into `added`). Memory need not hold every version's JSON (issue 15)."""
        path = self.data_dir / SNAPSHOT_FILE
        try:
            fd: int | None = os.open(path, os.O_RDONLY)
        except FileNotFoundError:
            fd = None
        try:
            span = versions_span(fd, str(path)) if fd is not None else None
            if fd is not None and span is None:
                raise _CannotBuildOn(f"{path} is in an older layout")
            older = span.versions if span is not None else 0
            if older != in_file or (span is not None and span.start != len(VERSIONS_HEAD)):
                raise _CannotBuildOn(f"{path} holds {older} versions, memory {in_file}")
            meta = snapshot_meta(gen=gen, based_on=self._journal_gen, generation=generation,
                                 last_seq=last_seq, versions=in_file + len(recent))
            crc = 0
            yield VERSIONS_HEAD
            at = len(VERSIONS_HEAD)
            if span is not None:
                assert fd is not None
                for block in copied_versions(fd, span, str(path)):
                    crc = zlib.crc32(block, crc)
                    at += len(block)
                    yield block
            added.clear()
            for start in range(0, len(recent), _ENTRIES_PER_CHUNK):
                pieces: list[bytes] = []
                for entry, ordinal, version in recent[start:start + _ENTRIES_PER_CHUNK]:
                    lead = (b"," if older or pieces or start else b"") + \
                        f'"{entry.seq}":'.encode()
                    raw = entry.rec_json.encode()
                    added.append(Placed(ordinal, version, entry.seq, at + len(lead),
                                        len(raw), zlib.crc32(raw)))
                    at += len(lead) + len(raw)
                    pieces.append(lead + raw)
                chunk = b"".join(pieces)
                crc = zlib.crc32(chunk, crc)
                yield chunk
            yield snapshot_end(meta, crc)
        finally:
            if fd is not None:
                os.close(fd)

    def _write_snapshot_and_swap(
        self, body: Callable[[str, int], Iterable[bytes]], last_seq: int, captured: int,
        placed: Callable[[], Placements | list[Placed]], *, purge: bool
    ) -> None:
        """Write the snapshot `body(gen, generation)` gives, then a fresh journal holding
        the versions saved since `captured` recent ones were taken (none for a purge).
        `placed()` says where the new file holds its versions (all, or those added)."""
        gen = uuid.uuid4().hex
        generation = self._generation + 1
        tmp = write_tmp_file(self.data_dir / SNAPSHOT_FILE, body(gen, generation))
        rows = placed()
        # Both renames under the swap lock: a backup opening the pair meanwhile (another
        # process, capture.py) waits a moment instead of seeing snapshot N + 1, journal N.
        with swap_lock(self.data_dir):
            install_file(tmp, self.data_dir / SNAPSHOT_FILE)
            with self._lock:
                # Versions saved while the snapshot was written go into the fresh journal.
                tail = [] if purge else self._mem.recent[captured:]
                lines = [header_line(schema=SCHEMA_VERSION, base_gen=gen, base_seq=last_seq,
                                     generation=generation)]
                lines.extend(journal_line(e.seq, e.rec_json) for e in tail)
                write_file_atomically(self.data_dir / JOURNAL_FILE, lines)
                self._journal_gen = gen
                self._generation = generation
                self._journal_lines = len(tail)
                self._mem.settle(rows, len(self._mem.recent) if purge else captured)
                # Until here older versions were read from the file this one replaced
                # (still open): a snapshot written anew puts them at other offsets.
                fd = os.open(self.data_dir / SNAPSHOT_FILE, os.O_RDONLY)
                if self._snapshot_fd >= 0:
                    os.close(self._snapshot_fd)
                self._snapshot_fd = fd
                self._open_journal_for_append()

    # -- reading ---------------------------------------------------------------------------

    def latest(self, kind: str, record_id: str) -> Record | None:
        with self._lock:
            return self._mem.latest(kind, record_id)

    def history(self, kind: str, record_id: str) -> list[Record]:
        with self._lock:
            return self._mem.history((kind, record_id))

    def find(self, query: Query) -> list[Record]:
        with self._lock:
            return self._mem.find(query)

    def owner_history(self, owner: str) -> list[Record]:
        with self._lock:
            return self._mem.owner_history(owner)

    def owner_stamp(self, owner: str, ignoring: frozenset[str] = frozenset()) -> int:
        with self._lock:
            return self._mem.stamps.stamp(owner, ignoring)

    def stats(self) -> dict[str, int]:
        """Counts for backups and diagnostics."""
        with self._lock:
            return {
                "records": self._mem.records(),
                "versions": self._mem.count,
                "journal_lines": self._journal_lines,
                "last_seq": self._mem.seq,
            }

    # -- closing ---------------------------------------------------------------------------

    def close(self) -> None:
        compactor = self._compactor
        if compactor is not None:
            compactor.join()
        with self._compact_lock, self._lock:
            if self._closed:
                return
            try:
                if self._compact_on_close and self._journal_lines and self._failed is None:
                    self._compact_locked()
            except OSError as exc:
                # Not fatal: the journal holds every version; the next open compacts.
                log.warning("No snapshot written on close: %s", cannot_use(self.data_dir, exc))
            finally:
                self._closed = True
                self._release()

    def _release(self) -> None:
        if self._snapshot_fd >= 0:
            os.close(self._snapshot_fd)
            self._snapshot_fd = -1
        if self._journal_fd >= 0:
            os.close(self._journal_fd)
            self._journal_fd = -1
        if self._lock_fd >= 0:
            release_folder_lock(self._lock_fd)
            self._lock_fd = -1

    def __enter__(self) -> JournalStore:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
