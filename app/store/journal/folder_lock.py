"""One process per data folder: an flock on the folder's lock file.

The kernel drops the lock when the process dies, so a crash leaves no stale lock. The file
holds "<pid> <last entry saved>": the pid for the message a second opener sees, and the
sequence number of the last save the store acknowledged, rewritten (not fsynced) after each
save's fdatasync. The journal therefore always reaches at least that far, and a journal
that ends before it was replaced by an older copy (see recovery.py). A lost or older note
only weakens that check; it can never make a sound store look rolled back.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
from collections.abc import Iterator
from pathlib import Path

from app.store.interfaces import StoreLocked
from app.store.journal.files import LOCK_FILE, SWAP_LOCK_FILE


def acquire_folder_lock(data_dir: Path) -> int:
    """flock the folder's lock file; the fd holds the lock until closed. Raises StoreLocked.
    The note of the last saved entry is kept (an open that is refused must not lose it)."""
    fd = os.open(data_dir / LOCK_FILE, os.O_RDWR | os.O_CREAT, 0o600)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        words = os.pread(fd, 64, 0).decode(errors="replace").split()
        os.close(fd)
        raise StoreLocked(
            f"The data folder {data_dir} is already open in another BackTrack process "
            f"(pid {words[0] if words else 'unknown'}). Close that one first; only one may "
            "use a data folder."
        ) from None
    except BaseException:
        os.close(fd)
        raise
    saved = saved_up_to(fd)
    os.ftruncate(fd, 0)
    os.pwrite(fd, f"{os.getpid()}{'' if saved is None else f' {saved}'}".encode(), 0)
    return fd


def saved_up_to(fd: int) -> int | None:
    """The last entry the store noted as saved, or None (no note: older lock files)."""
    words = os.pread(fd, 64, 0).decode(errors="replace").split()
    if len(words) != 2 or not words[1].isdigit():
        return None
    return int(words[1])


def note_saved(fd: int, seq: int) -> None:
    """Advisory, so a failure is ignored. The pid never changes and seq only grows, so the
    new note always covers the old one."""
    with contextlib.suppress(OSError):
        os.pwrite(fd, f"{os.getpid()} {seq}".encode(), 0)


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


def saved_note_of(data_dir: Path) -> int | None:
    """The lock file's note of the last acknowledged save, read from outside the process
    that owns the folder (a backup); None without a lock file or a note."""
    try:
        fd = os.open(data_dir / LOCK_FILE, os.O_RDONLY)
    except FileNotFoundError:
        return None
    try:
        return saved_up_to(fd)
    finally:
        os.close(fd)


@contextlib.contextmanager
def swap_lock(data_dir: Path) -> Iterator[None]:
    """Held (blocking) while the snapshot and journal are replaced, and while a backup opens
    them: a backup therefore opens a pair that belongs together. Every holder keeps it for
    a moment only (renames, a small journal, opening two files)."""
    fd = os.open(data_dir / SWAP_LOCK_FILE, os.O_RDWR | os.O_CREAT, 0o600)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        yield
    finally:
        os.close(fd)  # closing the only descriptor drops the flock
