"""One process per data folder: an flock on the folder's lock file.

The kernel drops the lock when the process dies, so a crash leaves no stale lock; the file
holds the owner's pid only for the error message a second opener sees.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
from collections.abc import Iterator
from pathlib import Path

from app.store.interfaces import StoreLocked
from app.store.journal.files import LOCK_FILE


def acquire_folder_lock(data_dir: Path) -> int:
    """flock the folder's lock file; the fd holds the lock until closed. Raises StoreLocked."""
    fd = os.open(data_dir / LOCK_FILE, os.O_RDWR | os.O_CREAT, 0o600)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        holder = os.pread(fd, 32, 0).decode(errors="replace").strip() or "unknown"
        os.close(fd)
        raise StoreLocked(
            f"The data folder {data_dir} is already open in another BackTrack process "
            f"(pid {holder}). Close that one first; only one may use a data folder."
        ) from None
    except BaseException:
        os.close(fd)
        raise
    os.ftruncate(fd, 0)
    os.pwrite(fd, str(os.getpid()).encode(), 0)
    return fd


def release_folder_lock(fd: int) -> None:
    with contextlib.suppress(OSError):
        fcntl.flock(fd, fcntl.LOCK_UN)
    os.close(fd)


@contextlib.contextmanager
def folder_lock(data_dir: Path) -> Iterator[None]:
    fd = acquire_folder_lock(data_dir)
    try:
        yield
    finally:
        release_folder_lock(fd)
