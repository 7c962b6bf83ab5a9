"""The library lock (LibraryLock below): readers of a vector store folder share it, a writer has it alone."""

from __future__ import annotations

import fcntl
import os
import threading
import uuid
from contextlib import contextmanager
from pathlib import Path
from typing import Iterator

from .chroma_internals import client_cache, forget_client

LOCK_FILE = ".write.lock"  # the library lock; it also holds the token of the last write


class LibraryLock:
    """Who may use one vector store folder: readers share it, a writer has it alone, across
    processes (flock, shared or exclusive, on `<folder>/.write.lock`) and threads (a condition).

    Chroma's persistent client keeps the collection's vector index in memory and never sees another
    process's writes: reading chunks that process added fails (`InternalError: Error finding id`), and
    writing saves the stale index over the other's, losing its vectors. So a writer leaves a new token
    in the lock file, and a process that finds a token it has not seen reopens its client first.

    Reentrant: a thread may nest holds, and may read while it writes; starting to write while the same
    thread reads would deadlock against another reader doing the same, so it is refused."""

    def __init__(self, folder: Path):
        client_cache()  # a Chroma whose clients cannot be replaced is refused here, before any lock is held
        self.folder = folder
        self.cond = threading.Condition()
        self.readers = 0  # read holds in this process, all threads together
        self.writer: int | None = None  # the thread holding the write lock
        self.depth = 0  # its nested holds
        self.wrote = False  # whether this write hold changes the library (a new token on release)
        self.fd: int | None = None
        self.seen: str | None = None  # the token this process's Chroma client is current with
        self.epoch = 0  # +1 whenever the client is replaced: each VectorStore then reopens its collection
        self.mine = threading.local()  # this thread's read holds

    @contextmanager
    def shared(self) -> Iterator[None]:
        me = threading.get_ident()
        with self.cond:
            counted = self.writer != me  # a writing thread reads under its write hold
            if counted:
                while self.writer is not None:
                    self.cond.wait()
                if self.readers == 0:
                    self._take(fcntl.LOCK_SH)
                self.readers += 1
                self.mine.reads = getattr(self.mine, "reads", 0) + 1
        try:
            yield
        finally:
            if counted:
                with self.cond:
                    self.readers -= 1
                    self.mine.reads -= 1
                    if self.readers == 0:
                        self._release()

    @contextmanager
    def exclusive(self, writes: bool = True) -> Iterator[None]:
        me = threading.get_ident()
        with self.cond:
            if self.writer != me:
                if getattr(self.mine, "reads", 0):
                    raise RuntimeError(f"this thread is reading the vector store at {self.folder}: "
                                       "it cannot start writing it before the read ends")
                while self.writer is not None or self.readers:
                    self.cond.wait()
                self._take(fcntl.LOCK_EX)
                self.writer = me
            self.depth += 1
            self.wrote = self.wrote or writes
        try:
            yield
        finally:
            with self.cond:
                self.depth -= 1
                if self.depth == 0:
                    if self.wrote:
                        self._leave_token()
                    self.writer, self.wrote = None, False
                    self._release()

    def reopen(self) -> None:
        """Replace this process's client for the folder (every VectorStore on it reopens its collection)."""
        with self.cond:
            forget_client(self.folder)
            self.epoch += 1

    def _take(self, mode: int) -> None:
        """Lock the file (waiting for other processes), then check the last writer's token. Called
        with the condition held and no hold in this process."""
        self.fd = _open_lock_file(self.folder, writing=mode == fcntl.LOCK_EX)
        token = ""
        if self.fd is not None:
            fcntl.flock(self.fd, mode)
            token = os.pread(self.fd, 64, 0).decode("ascii", errors="replace")
        if token != self.seen:  # another process wrote, or this process has not looked yet
            forget_client(self.folder)
            self.epoch += 1
            self.seen = token

    def _leave_token(self) -> None:
        token = uuid.uuid4().hex
        os.ftruncate(self.fd, 0)
        os.pwrite(self.fd, token.encode("ascii"), 0)
        self.seen = token  # this process wrote through its own client: it is current

    def _release(self) -> None:
        if self.fd is not None:
            fcntl.flock(self.fd, fcntl.LOCK_UN)
            os.close(self.fd)  # opened per hold: a folder deleted meanwhile gets a fresh lock file
            self.fd = None
        self.cond.notify_all()


def _open_lock_file(folder: Path, writing: bool) -> int | None:
    """The lock file, created if need be. A reader of a read-only folder locks it read-only, or not at
    all when it does not exist: nobody can be writing such a library through verify."""
    try:
        folder.mkdir(parents=True, exist_ok=True)
        return os.open(folder / LOCK_FILE, os.O_RDWR | os.O_CREAT, 0o644)
    except OSError:
        if writing:
            raise
    try:
        return os.open(folder / LOCK_FILE, os.O_RDONLY)
    except OSError:
        return None


_LOCKS: dict[str, LibraryLock] = {}
_LOCKS_GUARD = threading.Lock()


def library_lock(folder: Path | str) -> LibraryLock:
    """The one lock of this process for a vector store folder (however its path is spelled)."""
    key = str(Path(folder).resolve())
    with _LOCKS_GUARD:
        return _LOCKS.setdefault(key, LibraryLock(Path(key)))
