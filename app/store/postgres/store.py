"""PostgresStore: the RecordStore contract kept by a PostgreSQL database, so several app
servers can share one clinic group's records (issue 17).

Every rule of the contract is enforced by the database, never by a lock in this process:
a save takes a transaction-level advisory lock per record (so two first saves of one id
take turns) and then the record's `latest` row FOR UPDATE, reads the latest version,
checks `expected_version` with the same helpers as the other stores (memory.py), appends
to `versions` (unique per kind, id, version) and moves `latest` on, all in one
transaction: committed whole or not at all, and only then acknowledged. PostgreSQL's
synchronous commit makes an acknowledged save survive a crash of either side.

Imports (a patient's export, a restore, migrate-store) lock the `latest` table against
other writers for their one transaction instead of one lock per record: they may hold
millions of versions. Owner stamps follow every app server's writes (listener.py).
"""

from __future__ import annotations

import json
import logging
import uuid
from collections.abc import Callable, Generator, Iterable, Iterator, Sequence
from contextlib import contextmanager
from typing import Any, TypeVar

import psycopg
from psycopg import errors as pg_errors
from psycopg_pool import ConnectionPool, PoolTimeout

from app.store.interfaces import (
    Change,
    JSONDict,
    Query,
    Record,
    RecordRefused,
    StoreError,
    StoreUnavailable,
)
from app.store.memory import checked_import, encoded, matches, next_versions
from app.store.postgres.listener import CHANNEL, OwnerListener, SharedStamps, payload, payloads
from app.store.postgres.location import unreachable, where
from app.store.postgres.schema import apply_migrations

log = logging.getLogger(__name__)

T = TypeVar("T")

RECORD_LOCK_SPACE = 0x4252  # pg_advisory_xact_lock(RECORD_LOCK_SPACE, hashtext(kind/id))
CONNECT_TIMEOUT_SECONDS = 10
POOL_MAX = 10  # connections per app server; a save holds one for a few milliseconds
_RETRIES = 8  # a deadlock or a lost race on a unique key: the transaction runs again
_RETRYABLE = (pg_errors.UniqueViolation, pg_errors.DeadlockDetected,
              pg_errors.SerializationFailure, pg_errors.LockNotAvailable)
_COLUMNS = "v.kind, v.id, v.version, v.owner, v.saved_at, v.deleted, v.data"
_STRICT = json.JSONEncoder(separators=(",", ":"), allow_nan=False)
# One version appended and its record's latest row moved on, in one statement.
_APPEND = """
WITH added AS (
    INSERT INTO versions (kind, id, version, owner, saved_at, deleted, data)
    VALUES (%s, %s, %s, %s, %s, %s, %s::jsonb)
    RETURNING seq, kind, id, version, owner, deleted)
INSERT INTO latest (kind, id, first_seq, seq, version, owner, deleted)
SELECT kind, id, seq, seq, version, owner, deleted FROM added
ON CONFLICT (kind, id) DO UPDATE SET seq = EXCLUDED.seq, version = EXCLUDED.version,
    owner = EXCLUDED.owner, deleted = EXCLUDED.deleted"""


def connect(url: str) -> psycopg.Connection:
    """A plain autocommit connection (migrations, the listener, backups)."""
    return psycopg.connect(url, autocommit=True, connect_timeout=CONNECT_TIMEOUT_SECONDS)


def _record(row: Sequence[Any]) -> Record:
    kind, record_id, version, owner, saved_at, deleted, data = row
    return Record(kind=kind, id=record_id, version=int(version), data=data, owner=owner,
                  saved_at=saved_at, deleted=bool(deleted))


def storable(record: Record) -> tuple[Record, str]:
    """The version as it will read back (a deep copy through JSON, like the journal) and
    its data's JSON text; RecordRefused for what PostgreSQL could not keep exactly."""
    text = encoded(record)  # strict JSON, the same refusal as every store
    if "\\u0000" in text:
        # jsonb cannot hold the NUL character; refusing beats losing it.
        raise RecordRefused(record.kind, record.id, record.version,
                            "holds a NUL character (\\u0000), which the database cannot keep")
    copy = Record.from_json(json.loads(text))
    return copy, _STRICT.encode(copy.data)


def _where_sql(key: str, value: Any) -> tuple[str, list[Any]] | None:
    """A jsonb condition that every match of `data[key] == value` (Python's equality, as
    memory.matches applies it: a missing key reads as None, True == 1 == 1.0) passes; None
    when no such narrowing is cheap (nested values, NaN): matches() decides then. The
    caller applies matches() to every row anyway, so this only has to let matches through."""
    path = "v.data -> %s"
    if value is None:
        return f"({path} IS NULL OR {path} = 'null'::jsonb)", [key, key]
    if isinstance(value, str):
        return f"{path} = %s::jsonb", [key, json.dumps(value)]
    if isinstance(value, bool | int | float):
        if value != value or value in (float("inf"), float("-inf")):
            return None
        candidates = [json.dumps(value if not isinstance(value, bool) else int(value))]
        if value == 1:
            candidates.append("true")
        elif value == 0:
            candidates.append("false")
        marks = ", ".join("%s::jsonb" for _ in candidates)
        return f"{path} IN ({marks})", [key, *candidates]
    return None


class PostgresStore:
    """Durable, thread-safe RecordStore on PostgreSQL; any number of processes may share
    one database."""

    def __init__(self, url: str, pool: ConnectionPool, stamps: SharedStamps,
                 listener: OwnerListener, sender: str) -> None:
        self.url = url
        self._sender = sender  # this store's id in its notifications
        self.location = where(url)
        self._pool = pool
        self._stamps = stamps
        self._listener = listener
        self._closed = False

    # -- opening ---------------------------------------------------------------------------

    @classmethod
    def open(cls, url: str, *, pool_max: int = POOL_MAX) -> PostgresStore:
        """Connect, bring the schema up to date (schema.py) and start listening for other
        servers' changes. StoreUnavailable, in one line without the password, when the
        database cannot be reached or is newer than this BackTrack."""
        try:
            with connect(url) as conn:
                applied = apply_migrations(conn)
        except psycopg.Error as exc:
            raise unreachable(url, exc) from exc
        if applied:
            log.warning("Database %s: applied schema migrations %s", where(url), applied)
        pool = ConnectionPool(url, min_size=1, max_size=max(1, pool_max), open=False,
                              kwargs={"autocommit": True,
                                      "connect_timeout": CONNECT_TIMEOUT_SECONDS},
                              timeout=CONNECT_TIMEOUT_SECONDS,
                              name="backtrack-store")
        stamps = SharedStamps()
        sender = uuid.uuid4().hex
        listener = OwnerListener(url, stamps, connect, sender)
        try:
            pool.open(wait=True, timeout=CONNECT_TIMEOUT_SECONDS)
            listener.start()
        except (psycopg.Error, PoolTimeout) as exc:
            listener.close()
            pool.close()
            raise unreachable(url, exc) from exc
        return cls(url, pool, stamps, listener, sender)

    # -- plumbing --------------------------------------------------------------------------

    @contextmanager
    def _connection(self) -> Iterator[psycopg.Connection]:
        if self._closed:
            raise StoreError("the store is closed")
        try:
            with self._pool.connection() as conn:
                yield conn
        except _RETRYABLE:
            raise  # _write runs the transaction again
        except PoolTimeout as exc:
            raise unreachable(self.url, exc) from exc
        except psycopg.OperationalError as exc:
            raise unreachable(self.url, exc) from exc
        except psycopg.Error as exc:
            # The primary message only: a DETAIL line may quote the row, i.e. health data.
            primary = exc.diag.message_primary or type(exc).__name__
            raise StoreError(f"The database at {self.location} refused the request "
                             f"({exc.sqlstate}: {primary}). Nothing of it was saved.") from exc

    def _dropped(self, exc: StoreUnavailable, attempt: int) -> bool:
        """Whether a request met a pooled connection the server had already dropped (it
        restarted, or a network device cut an idle connection), on its first try: then
        the idle connections are checked and the request runs once more. The pool does
        not check each connection before handing it out: that would cost every read a
        round trip of its own."""
        cause = exc.__cause__
        if attempt or not isinstance(cause, psycopg.OperationalError) \
                or isinstance(cause, PoolTimeout):
            return False
        self._pool.check()
        return True

    def _read(self, sql: str, params: Sequence[Any]) -> list[Record]:
        for attempt in range(2):
            try:
                with self._connection() as conn:
                    return [_record(row) for row in conn.execute(sql, params).fetchall()]
            except StoreUnavailable as exc:
                if not self._dropped(exc, attempt):
                    raise
        raise AssertionError("unreachable")

    def _write(self, work: Callable[[psycopg.Connection], T], *, again: bool = True) -> T:
        """Run `work` in one transaction; again (from the start) when it lost a race the
        database detected, or when the connection was found dropped before the COMMIT was
        sent (nothing of it can have been kept then), unless `again` is False (work that
        consumes a stream cannot start over). A commit that fails leaves nothing of it
        behind; a connection lost during the COMMIT itself is not retried (it may have
        been kept) and says the database cannot be reached."""
        dropped = 0
        attempt = 0
        while True:
            committing = False
            try:
                with self._connection() as conn, conn.transaction():
                    result = work(conn)
                    committing = True
                return result
            except StoreUnavailable as exc:
                if committing or not again or not self._dropped(exc, dropped):
                    raise
                dropped += 1
            except _RETRYABLE as exc:
                attempt += 1
                if not again or attempt == _RETRIES:
                    raise StoreError(
                        f"The database at {self.location} kept turning this change away "
                        f"as it met others ({exc.sqlstate}); nothing of it was saved. "
                        "Try again.") from exc

    @staticmethod
    def _notify(conn: psycopg.Connection, notes: list[str]) -> None:
        if notes:
            conn.execute("SELECT pg_notify(%s, n) FROM unnest(%s::text[]) AS n",
                         (CHANNEL, notes))

    def _bump(self, notes: list[str]) -> None:
        """Our own change, seen at once (the listener skips our notifications)."""
        for note in notes:
            self._stamps.apply(note)

    # -- writing ---------------------------------------------------------------------------

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
        return self.save_all([Change(kind, record_id, data, owner, expected_version,
                                     deleted)])[0]

    def save_all(self, changes: Sequence[Change]) -> list[Record]:
        keys = [(c.kind, c.record_id) for c in changes]
        if len(set(keys)) != len(keys):
            raise ValueError("save_all changes each record at most once")
        if not changes:
            return []
        notes: list[str] = []

        def work(conn: psycopg.Connection) -> list[Record]:
            nonlocal notes
            names = [f"{kind}/{record_id}" for kind, record_id in keys]
            # Locks in one order (by lock number) so two batches never wait on each other.
            conn.execute(
                "SELECT pg_advisory_xact_lock(%s, h) FROM (SELECT DISTINCT hashtext(n) AS h "
                "FROM unnest(%s::text[]) AS n ORDER BY h) AS locks",
                (RECORD_LOCK_SPACE, names))
            rows = conn.execute(
                "SELECT l.kind, l.id, l.version, l.owner FROM latest l "
                "JOIN unnest(%s::text[], %s::text[]) AS k(kind, id) "
                "ON l.kind = k.kind AND l.id = k.id ORDER BY l.kind, l.id FOR UPDATE OF l",
                ([k for k, _ in keys], [i for _, i in keys])).fetchall()
            held = {(k, i): Record(k, i, int(v), {}, owner=o) for k, i, v, o in rows}
            drafts = next_versions(changes, lambda k, i: held.get((k, i)))
            ready = [storable(draft) for draft in drafts]
            changed: list[tuple[str | None, str]] = []
            for record, _ in ready:
                before = held.get((record.kind, record.id))
                changed.append((record.owner, record.kind))
                if before is not None and before.owner != record.owner:
                    changed.append((before.owner, record.kind))  # it left that patient
            notes = payloads(changed, self._sender)
            # Sent together (one round trip); an error surfaces when the pipeline syncs,
            # inside the transaction, which then rolls back whole.
            with conn.pipeline():
                for record, data_json in ready:
                    conn.execute(_APPEND, (
                        record.kind, record.id, record.version, record.owner,
                        record.saved_at, record.deleted, data_json))
                self._notify(conn, notes)
            return [record for record, _ in ready]

        saved = self._write(work)
        self._bump(notes)
        return saved

    def import_versions(self, records: Iterable[Record]) -> int:
        batch = list(records)
        if not batch:
            return 0
        notes: list[str] = []

        def work(conn: psycopg.Connection) -> int:
            nonlocal notes
            fresh = self._checked_import(conn, batch)
            add_versions(conn, [storable(record) for record in fresh])
            notes = payloads(((r.owner, r.kind) for r in fresh), self._sender)
            self._notify(conn, notes)
            return len(fresh)

        added = self._write(work)
        self._bump(notes)
        return added

    def load_into_empty(self, records: Iterable[Record],
                        expected: tuple[int, int] | None = None) -> int:
        """Put every version of a whole store (a restore, migrate-store) into this empty
        database in one transaction, in the order given (their seq order: they get new
        seq numbers in that order), streamed: `records` may be a generator. StoreError,
        nothing written, when the database holds records. A copy is taken as the source
        store held it (a record may have changed owner between versions, which an import
        refuses); before the commit the database checks what the stores' opening checks
        would (each version once, versions 1..n without a gap, the id in the data is the
        record's) and RecordRefused rolls everything back otherwise; with `expected`
        (versions, records: a backup's manifest), StoreError unless the database then
        holds exactly that many."""
        notes: list[str] = []

        def work(conn: psycopg.Connection) -> int:
            nonlocal notes
            conn.execute("LOCK TABLE latest IN EXCLUSIVE MODE")
            row = conn.execute("SELECT count(*) FROM versions").fetchone()
            if row is not None and row[0]:
                raise StoreError(
                    f"The database at {self.location} already holds {row[0]} versions; "
                    "BackTrack only copies a whole store into an empty database. Nothing "
                    "was written. Create a new database (createdb) and name that one.")
            try:
                added = add_versions(conn, (storable(record) for record in records),
                                     every_record=True)
            except pg_errors.UniqueViolation as exc:
                raise StoreError("The copy holds a version of a record twice; nothing was "
                                 "written.") from exc
            _refuse_what_would_not_open(conn)
            if expected is not None:
                got = conn.execute("SELECT (SELECT count(*) FROM versions), "
                                   "(SELECT count(*) FROM latest)").fetchone()
                if got is None or (int(got[0]), int(got[1])) != expected:
                    raise StoreError(
                        f"The copy did not land whole ({got} versions and records, not "
                        f"{expected}); nothing was written.")
            notes = payloads(conn.execute("SELECT DISTINCT owner, kind FROM latest")
                             .fetchall(), self._sender)
            self._notify(conn, notes)
            return added

        added = self._write(work, again=False)  # `records` may be a stream
        self._bump(notes)
        return added

    def every_version(self) -> Generator[tuple[int, Record], None, None]:
        """(seq, version) of every version in seq order, as of one moment (one REPEATABLE
        READ transaction, streamed through a server-side cursor: memory stays bounded).
        Holds a connection until the iteration ends or the generator is closed."""
        self._pool.check()  # rare and long: start on a connection known to be alive
        with self._connection() as conn, conn.transaction():
            conn.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY")
            with conn.cursor(name="every_version") as cur:
                cur.itersize = 2_000
                cur.execute(f"SELECT v.seq, {_COLUMNS} FROM versions v ORDER BY v.seq")
                for row in cur:
                    yield int(row[0]), _record(row[1:])

    @staticmethod
    def _checked_import(conn: psycopg.Connection, batch: list[Record]) -> list[Record]:
        # One lock for the whole import: it may touch more records than PostgreSQL's lock
        # table holds row by row. Readers go on; other writers wait for the commit.
        conn.execute("LOCK TABLE latest IN EXCLUSIVE MODE")
        keys = sorted({(r.kind, r.id) for r in batch
                       if isinstance(r.kind, str) and isinstance(r.id, str)})
        held: dict[tuple[str, str], list[Record]] = {}
        if keys and conn.execute("SELECT EXISTS (SELECT 1 FROM versions)").fetchone() \
                == (True,):
            rows = conn.execute(
                "SELECT v.kind, v.id, v.version, v.owner FROM versions v "
                "JOIN unnest(%s::text[], %s::text[]) AS k(kind, id) "
                "ON v.kind = k.kind AND v.id = k.id ORDER BY v.kind, v.id, v.version",
                ([k for k, _ in keys], [i for _, i in keys])).fetchall()
            for kind, record_id, version, owner in rows:
                # Only numbers and owners are compared (checked_import); data stays unread.
                held.setdefault((kind, record_id), []).append(
                    Record(kind, record_id, int(version), {}, owner=owner))
        return checked_import(batch, lambda k, i: held.get((k, i), []))

    def purge_owner(self, owner: str) -> int:
        notes = [payload(owner, "", self._sender)]

        def work(conn: psycopg.Connection) -> int:
            rows = conn.execute(
                "SELECT kind, id FROM latest WHERE owner = %s ORDER BY kind, id FOR UPDATE",
                (owner,)).fetchall()
            if not rows:
                return 0
            kinds, ids = [r[0] for r in rows], [r[1] for r in rows]
            conn.execute(
                "DELETE FROM latest l USING unnest(%s::text[], %s::text[]) AS d(kind, id) "
                "WHERE l.kind = d.kind AND l.id = d.id", (kinds, ids))
            gone = conn.execute(
                "DELETE FROM versions v USING unnest(%s::text[], %s::text[]) AS d(kind, id) "
                "WHERE v.kind = d.kind AND v.id = d.id", (kinds, ids)).rowcount
            self._notify(conn, notes)
            return int(gone)

        count = self._write(work)
        if count:
            self._bump(notes)
        return count

    # -- reading ---------------------------------------------------------------------------

    def latest(self, kind: str, record_id: str) -> Record | None:
        found = self._read(
            f"SELECT {_COLUMNS} FROM latest l JOIN versions v ON v.seq = l.seq "
            "WHERE l.kind = %s AND l.id = %s", (kind, record_id))
        return found[0] if found else None

    def history(self, kind: str, record_id: str) -> list[Record]:
        return self._read(
            f"SELECT {_COLUMNS} FROM versions v WHERE v.kind = %s AND v.id = %s "
            "ORDER BY v.version", (kind, record_id))

    def find(self, query: Query) -> list[Record]:
        conditions = ["l.kind = %s"]
        params: list[Any] = [query.kind]
        if query.owner is not None:
            conditions.append("l.owner = %s")
            params.append(query.owner)
        if not query.include_deleted:
            conditions.append("NOT l.deleted")
        for key, value in query.where.items():
            narrowed = _where_sql(key, value)
            if narrowed is not None:
                conditions.append(narrowed[0])
                params.extend(narrowed[1])
        found = self._read(
            f"SELECT {_COLUMNS} FROM latest l JOIN versions v ON v.seq = l.seq "
            f"WHERE {' AND '.join(conditions)} ORDER BY l.first_seq", params)
        return [record for record in found if matches(record, query)]

    def owner_history(self, owner: str) -> list[Record]:
        # Save order as the other stores give it: by saved_at (imported versions keep
        # theirs), the store's order among equals.
        return self._read(
            f"SELECT {_COLUMNS} FROM versions v WHERE v.owner = %s ORDER BY v.saved_at, v.seq",
            (owner,))

    def owner_stamp(self, owner: str, ignoring: frozenset[str] = frozenset()) -> int:
        return self._stamps.stamp(owner, ignoring)

    def stats(self) -> dict[str, int]:
        """Counts for backups and diagnostics (as JournalStore.stats)."""
        self._pool.check()
        with self._connection() as conn:
            row = conn.execute(
                "SELECT (SELECT count(*) FROM latest), (SELECT count(*) FROM versions), "
                "(SELECT coalesce(max(seq), 0) FROM versions)").fetchone()
        assert row is not None
        return {"records": int(row[0]), "versions": int(row[1]), "last_seq": int(row[2])}

    # -- closing ---------------------------------------------------------------------------

    def close(self) -> None:
        if self._closed:
            return
        self._closed = True
        self._listener.close()
        self._pool.close()

    def __enter__(self) -> PostgresStore:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def add_versions(conn: psycopg.Connection, ready: Iterable[tuple[Record, str]], *,
                 every_record: bool = False) -> int:
    """Append checked versions in the order given (COPY: seq follows that order) and bring
    their records' `latest` rows up to date, inside the caller's transaction; returns how
    many. `every_record`: rebuild `latest` from every version (a load into an empty
    database) instead of remembering which records were touched."""
    added = 0
    touched: dict[tuple[str, str], None] = {}
    with conn.cursor() as cur:
        with cur.copy("COPY versions (kind, id, version, owner, saved_at, deleted, data) "
                      "FROM STDIN") as copy:
            for record, data_json in ready:
                copy.write_row((record.kind, record.id, record.version, record.owner,
                                record.saved_at, record.deleted, data_json))
                added += 1
                if not every_record:
                    touched[(record.kind, record.id)] = None
        if not added:
            return 0
        source = "versions v"
        if not every_record:
            cur.execute("CREATE TEMP TABLE IF NOT EXISTS touched (kind text, id text) "
                        "ON COMMIT DELETE ROWS")
            with cur.copy("COPY touched (kind, id) FROM STDIN") as copy:
                for kind, record_id in touched:
                    copy.write_row((kind, record_id))
            source = ("versions v JOIN touched t ON v.kind = t.kind AND v.id = t.id")
        # The highest version decides, whatever order versions arrived in; first_seq is
        # the record's first row, so find() keeps first-save order.
        cur.execute(
            "INSERT INTO latest (kind, id, first_seq, seq, version, owner, deleted) "
            "SELECT DISTINCT ON (v.kind, v.id) v.kind, v.id, "
            "min(v.seq) OVER (PARTITION BY v.kind, v.id), v.seq, v.version, v.owner, "
            f"v.deleted FROM {source} ORDER BY v.kind, v.id, v.version DESC "
            "ON CONFLICT (kind, id) DO UPDATE SET first_seq = EXCLUDED.first_seq, "
            "seq = EXCLUDED.seq, version = EXCLUDED.version, owner = EXCLUDED.owner, "
            "deleted = EXCLUDED.deleted")
        if not every_record:
            cur.execute("DELETE FROM touched")
    return added


def _refuse_what_would_not_open(conn: psycopg.Connection) -> None:
    """RecordRefused (the caller's transaction rolls back) for a record whose versions do
    not go 1..n, or whose data names another id: what no store would open again."""
    gap = conn.execute(
        "SELECT kind, id FROM versions GROUP BY kind, id "
        "HAVING max(version) <> count(*) LIMIT 1").fetchone()
    if gap is not None:
        raise RecordRefused(gap[0], gap[1], None,
                            "would have a gap in its versions (versions go 1, 2, 3...)")
    other = conn.execute(
        "SELECT kind, id, version FROM versions "
        "WHERE data ? 'id' AND data -> 'id' <> to_jsonb(id) LIMIT 1").fetchone()
    if other is not None:
        raise RecordRefused(other[0], other[1], int(other[2]), "names another id in its data")


__all__ = ["PostgresStore", "StoreUnavailable", "add_versions", "connect", "storable"]
