"""The journal store's file names and the few durable-file operations it is built from.

Every write the store makes to its folder goes through here: appends are fdatasynced by the
store itself; whole files are replaced by tmp + fsync + rename + fsync(dir), so a reader (or
a restart after a crash) sees the old file or the complete new one, never a mix.
"""

from __future__ import annotations

import contextlib
import ctypes
import errno
import os
import shutil
from collections.abc import Iterable
from datetime import UTC, datetime
from pathlib import Path

# The store's only file names (app/paths.py decides the folder).
SNAPSHOT_FILE = "records.snapshot.json"
JOURNAL_FILE = "records.journal.jsonl"
LOCK_FILE = "records.lock"
# flock target held while the snapshot/journal pair is swapped (compaction, purge) and while
# a backup opens the pair: it then sees two files that belong together (capture.py).
SWAP_LOCK_FILE = "records.swap.lock"
STORE_FILE_PREFIX = "records."  # every file the store writes starts with this
TMP_SUFFIX = ".tmp"
TORN_SUFFIX = ".torn-"  # JOURNAL_FILE + ".torn-<timestamp>"
PRE_MIGRATION_SUFFIX = ".schema-"  # <file> + ".schema-<old version>-<timestamp>"
# Beside the data folder during and after a restore (<folder> + infix + <timestamp>).
RESTORING_INFIX = ".restoring-"  # the copy being built and checked
BEFORE_RESTORE_INFIX = ".before-restore-"  # the folder that was live before

_AT_FDCWD = -100
_RENAME_EXCHANGE = 2  # linux/fs.h


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
    install_file(write_tmp_file(path, chunks), path)


def write_tmp_file(path: Path, chunks: Iterable[bytes]) -> Path:
    """The first half of write_file_atomically: `path` + ".tmp", written and fsynced (and
    removed again if that fails). install_file puts it in place."""
    tmp = path.with_name(path.name + TMP_SUFFIX)
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    try:
        try:
            for chunk in chunks:
                write_all(fd, chunk)
            os.fsync(fd)
        finally:
            os.close(fd)
    except BaseException:
        with contextlib.suppress(OSError):
            tmp.unlink()
        raise
    return tmp


def install_file(tmp: Path, path: Path) -> None:
    """The second half: rename the fsynced tmp file over `path`, then fsync the folder."""
    try:
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


def exchange_folders(first: Path, second: Path) -> bool:
    """Swap two folders in one atomic step (Linux renameat2 RENAME_EXCHANGE), so that
    `second` is never missing. False if this system or file system cannot; OSError if the
    exchange itself failed (then nothing moved)."""
    try:
        renameat2 = ctypes.CDLL(None, use_errno=True).renameat2
    except (AttributeError, OSError):
        return False
    done = renameat2(_AT_FDCWD, os.fsencode(first), _AT_FDCWD, os.fsencode(second),
                     _RENAME_EXCHANGE)
    if done == 0:
        return True
    code = ctypes.get_errno()
    if code in (errno.EINVAL, errno.ENOSYS, errno.EOPNOTSUPP):
        return False
    raise OSError(code, os.strerror(code), str(second))
