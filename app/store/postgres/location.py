"""What a database URL may say in a message or a log: host, port and database, never the
user's password (a URL may carry one: postgresql://user:secret@host/db)."""

from __future__ import annotations

import psycopg
from psycopg.conninfo import conninfo_to_dict

from app.store.interfaces import StoreUnavailable


def where(url: str) -> str:
    """`host:port/database` of a connection string or URL (the password left out)."""
    try:
        parts = conninfo_to_dict(url)
    except psycopg.ProgrammingError:
        return "the given address (it could not be read)"
    host = str(parts.get("host") or parts.get("hostaddr") or "localhost")
    port = str(parts.get("port") or 5432)
    database = str(parts.get("dbname") or parts.get("user") or "")
    return f"{host}:{port}/{database}"


def without_secret(url: str, text: str) -> str:
    """`text` with the URL's password (if any) blanked out, wherever it appears."""
    try:
        password = conninfo_to_dict(url).get("password")
    except psycopg.ProgrammingError:
        password = None
    if password:
        text = text.replace(str(password), "***")
    return text


def unreachable(url: str, exc: BaseException) -> StoreUnavailable:
    """The one line an operator reads when the database cannot be used."""
    reason = " ".join(without_secret(url, str(exc)).split()) or type(exc).__name__
    return StoreUnavailable(f"Cannot reach the database at {where(url)}: {reason}")
