"""Schema migrations: the numbered SQL files in migrations/, applied when a store opens.

Each file `NNNN_name.sql` runs once, in number order, in its own transaction together
with its row in `schema_migrations`, so a migration is either fully there and recorded or
not there at all. Every step holds one transaction-level advisory lock, so app servers
starting at the same moment take turns: the first applies, the others find it recorded.

A database whose newest recorded migration is above the newest file here was set up by a
newer BackTrack; this one stops rather than write into a schema it does not know.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

import psycopg

from app.store.interfaces import StoreUnavailable

MIGRATIONS_DIR = Path(__file__).parent / "migrations"
_FILE_NAME = re.compile(r"^(\d{4})_([a-z0-9_]+)\.sql$")
# pg_advisory_xact_lock(classid, objid): BackTrack's key space, then what is locked.
LOCK_SPACE = 0x4254  # "BT"
MIGRATIONS_LOCK = 1

_CREATE_TABLE = """
CREATE TABLE IF NOT EXISTS schema_migrations (
    version    integer PRIMARY KEY,
    name       text NOT NULL,
    applied_at timestamptz NOT NULL DEFAULT now()
)"""


@dataclass(frozen=True)
class Migration:
    version: int
    name: str
    path: Path

    def sql(self) -> str:
        return self.path.read_text(encoding="utf-8")


def known_migrations(folder: Path = MIGRATIONS_DIR) -> list[Migration]:
    """The migration files, in number order (ValueError for a number used twice)."""
    found: dict[int, Migration] = {}
    for path in sorted(folder.glob("*.sql")):
        match = _FILE_NAME.match(path.name)
        if match is None:
            raise ValueError(f"{path.name} is not named NNNN_name.sql")
        version = int(match.group(1))
        if version in found:
            raise ValueError(f"two migrations numbered {version}: "
                             f"{found[version].path.name} and {path.name}")
        found[version] = Migration(version, match.group(2), path)
    return [found[v] for v in sorted(found)]


def newest_known(folder: Path = MIGRATIONS_DIR) -> int:
    migrations = known_migrations(folder)
    return migrations[-1].version if migrations else 0


def _lock(conn: psycopg.Connection) -> None:
    conn.execute("SELECT pg_advisory_xact_lock(%s, %s)", (LOCK_SPACE, MIGRATIONS_LOCK))


def _applied(conn: psycopg.Connection) -> set[int]:
    rows = conn.execute("SELECT version FROM schema_migrations").fetchall()
    return {int(row[0]) for row in rows}


def apply_migrations(conn: psycopg.Connection, folder: Path = MIGRATIONS_DIR) -> list[int]:
    """Bring the database up to the newest migration here; returns the versions applied
    now (none when it already was). `conn` must be in autocommit mode (each migration is
    its own transaction). StoreUnavailable when the database is newer than this code."""
    if not conn.autocommit:
        raise ValueError("apply_migrations needs an autocommit connection")
    migrations = known_migrations(folder)
    newest = migrations[-1].version if migrations else 0
    with conn.transaction():
        _lock(conn)
        conn.execute(_CREATE_TABLE)
        recorded = max(_applied(conn), default=0)
    if recorded > newest:
        raise StoreUnavailable(
            f"This database was set up by a newer BackTrack (schema {recorded}; this one "
            f"knows {newest}). Update BackTrack on this server to the version the other "
            f"servers run; nothing was changed in the database.")
    done: list[int] = []
    for migration in migrations:
        with conn.transaction():
            _lock(conn)
            if migration.version in _applied(conn):
                continue  # another process applied it while we waited, or long ago
            conn.execute(migration.sql().encode("utf-8"))
            conn.execute(
                "INSERT INTO schema_migrations (version, name) VALUES (%s, %s)",
                (migration.version, migration.name))
        done.append(migration.version)
    return done


def schema_version(conn: psycopg.Connection) -> int:
    """The newest migration recorded in the database (0: none, or no table yet)."""
    row = conn.execute("SELECT to_regclass('schema_migrations') IS NOT NULL").fetchone()
    if not row or not row[0]:
        return 0
    got = conn.execute("SELECT max(version) FROM schema_migrations").fetchone()
    return int(got[0]) if got and got[0] is not None else 0
