"""SHA-256 of input files: in the caller's thread, or begun on a spare core and finished by the caller.

Every import keeps the checksum of the file it read (the import batch's provenance). A file is read in
blocks into one buffer, reused. Reading and hashing release the GIL, and taking it back after each step
waits while another thread runs Python (up to the switch interval, 5 ms), so the spare thread, which
hashes a large file beside an import, reads it in few, large pieces (:data:`SPARE_BLOCK`).

:class:`FileChecksum` opens the file once, when it starts, and begins the hash in a spare thread
(:func:`bettercities.core.background.spare_thread`, lowest priority), which publishes its progress after
every block: the bytes hashed and a copy of the digest so far. :meth:`FileChecksum.hexdigest` stops the
thread and goes on from the last published block in the caller's thread, at the caller's priority. A spare
thread that got no CPU (a busy machine: a low-priority thread can get almost none beside busy processes of
its own session) costs the caller only the hashing it did not do, never a wait on it. Both read the file
they opened at the start by offset (``pread``), so a file replaced at its path meanwhile (``os.replace``)
does not mix two files into one digest: the checksum is the one of the file as it was opened. A pipe or
other file that cannot be read by offset is hashed by the caller alone, front to back.
"""

from __future__ import annotations

import hashlib
import os
import stat
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from bettercities.core.background import spare_thread

__all__ = ["HASH_BLOCK", "SPARE_BLOCK", "FileChecksum", "file_sha256"]

#: Bytes read per block in the caller's thread (a CSV of a few MB: a buffer of that size, not more).
HASH_BLOCK = 1 << 20
#: Bytes per block in the spare thread, which hashes beside a thread busy with Python (26 blocks for
#: 800 MiB; after a stop it ends at the end of its block, and nobody waits for it).
SPARE_BLOCK = 1 << 25
#: The smallest buffer (a file that reports no size, such as a pipe, is not read a byte at a time).
_LEAST = 1 << 16


def file_sha256(path: Path | str) -> str:
    """The file's SHA-256 (hex), read in the caller's thread."""
    return FileChecksum(path).hexdigest()


def _blocks(fd: int, offset: int, block: int) -> Iterator[memoryview]:
    """The file's bytes from ``offset`` on, in blocks of at most ``block`` bytes (one buffer, reused); read
    by offset from a regular file, front to back from anything else (then ``offset`` must be 0)."""
    info = os.fstat(fd)
    regular = stat.S_ISREG(info.st_mode)
    buffer = bytearray(min(max(info.st_size - offset, _LEAST), block))
    view = memoryview(buffer)
    while count := (os.preadv(fd, [buffer], offset) if regular else os.readv(fd, [buffer])):
        offset += count
        yield view[:count]


class FileChecksum:
    """A file's SHA-256: begun in a spare thread by :meth:`start` (or a ``with`` block), finished by
    :meth:`hexdigest` in the caller's thread (see the module's text)."""

    def __init__(self, path: Path | str) -> None:
        self.path = Path(path)
        self._progress: tuple[int, Any] = (0, hashlib.sha256())  # bytes hashed, digest so far
        self._stop = threading.Event()
        self._lock = threading.Lock()
        self._fd: int | None = None  # the file as opened at the start, until the caller is done with it
        self._started = False
        self._hex: str | None = None
        self.error: OSError | None = None  # why the caller's last read failed

    def start(self) -> FileChecksum:
        """Open the file and begin hashing it in a spare thread (once; a file that cannot be opened is
        left to :meth:`hexdigest`, which raises its error)."""
        with self._lock:
            if self._started or self._hex is not None:
                return self
            self._started = True
            try:
                fd = self._open()
                if not stat.S_ISREG(os.fstat(fd).st_mode):
                    return self  # a pipe: read once, by the caller
                spare = os.dup(fd)  # the thread's own descriptor of the same open file, closed by it
            except OSError:
                return self
        spare_thread(lambda: self._spare(spare), name=f"sha256 {self.path.name}")
        return self

    def stop(self) -> None:
        """Stop the spare thread (at the end of its current block); :meth:`hexdigest` still gives the
        checksum."""
        self._stop.set()

    def __enter__(self) -> FileChecksum:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def _open(self) -> int:
        if self._fd is None:
            self._fd = os.open(self.path, os.O_RDONLY | getattr(os, "O_CLOEXEC", 0))
        return self._fd

    def _spare(self, fd: int) -> None:
        offset, digest = self._progress
        digest = digest.copy()
        try:
            for view in _blocks(fd, offset, SPARE_BLOCK):
                if self._stop.is_set():
                    return
                digest.update(view)
                offset += len(view)
                self._progress = (offset, digest.copy())  # one assignment: read whole or not at all
                if self._stop.is_set():
                    return
        except OSError:
            return  # the caller reads the file itself and meets the error there
        finally:
            os.close(fd)

    def hexdigest(self) -> str:
        """The checksum: what the spare thread has not hashed yet is hashed here. Raises the file's
        ``OSError`` (also kept in :attr:`error`) when it cannot be read."""
        with self._lock:
            if self._hex is None:
                self._stop.set()
                offset, digest = self._progress
                digest = digest.copy()
                try:
                    for view in _blocks(self._open(), offset, HASH_BLOCK):
                        digest.update(view)
                except OSError as error:
                    self.error = error
                    raise
                finally:
                    if self._fd is not None:
                        os.close(self._fd)
                        self._fd = None
                self._hex = digest.hexdigest()
                self.error = None
            return self._hex
