"""The journal store's file names and the few durable-file operations it is built from.

Every write the store makes to its folder goes through here: appends are fdatasynced by the
store itself; whole files are replaced by tmp + fsync + rename + fsync(dir), so a reader (or
a restart after a crash) sees the old file or the complete new one, never a mix.
"""

from __future__ import annotations

import contextlib
import os
import shutil
from collections.abc import Iterable
from datetime import UTC, datetime
from pathlib import Path

# The store's only file names (app/paths.py decides the folder).
SNAPSHOT_FILE = "records.snapshot.json"
JOURNAL_FILE = "records.journal.jsonl"
LOCK_FILE = "records.lock"
STORE_FILE_PREFIX = "records."  # every file the store writes starts with this
TMP_SUFFIX = ".tmp"
TORN_SUFFIX = ".torn-"  # JOURNAL_FILE + ".torn-<timestamp>"
PRE_MIGRATION_SUFFIX = ".schema-"  # <file> + ".schema-<old version>-<timestamp>"


def timestamp() -> str:
    return datetime.now(UTC).strftime("%Y%m%dT%H%M%S%fZ")


def fsync_dir(directory: Path) -> None:
    """Make a create/rename/unlink in `directory` itself durable."""
    fd = os.open(directory, os.O_RDONLY | os.O_DIRECTORY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def write_all(fd: int, payload: bytes) -> None:
    view = memoryview(payload)
    while view:
        written = os.write(fd, view)
        view = view[written:]


def write_file_atomically(path: Path, chunks: Iterable[bytes]) -> None:
    """tmp + fsync + rename + fsync(dir): readers see the old file or the whole new one."""
    tmp = path.with_name(path.name + TMP_SUFFIX)
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    try:
        try:
            for chunk in chunks:
                write_all(fd, chunk)
            os.fsync(fd)
        finally:
            os.close(fd)
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            tmp.unlink()
        raise
    fsync_dir(path.parent)


def keep_aside(path: Path, suffix: str) -> Path:
    """Copy a file next to itself under a new name (fsynced) before it is rewritten."""
    aside = path.with_name(path.name + suffix)
    shutil.copyfile(path, aside)
    fd = os.open(aside, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
    fsync_dir(path.parent)
    return aside
