"""The PostgreSQL RecordStore (issue 17): one database shared by several app servers.

The package, one seam per module::

    store.py        PostgresStore: saving, batches, imports, purges, reads
    schema.py       the numbered SQL migrations in migrations/, applied at open
    listener.py     owner stamps across processes (LISTEN/NOTIFY)
    location.py     host:port/database for messages, never the password
    backup.py       the journal's backup format written from and read into PostgreSQL

Chosen with --database-url / BACKTRACK_DATABASE_URL (app.main.open_store); without it the
embedded journal stays the store. What must not live here: services, UI or chart code.
"""

from app.store.postgres.store import PostgresStore

__all__ = ["PostgresStore"]
