"""SHA-256 of input files: in the caller's thread, or begun on a spare core and finished by the caller.

Every import keeps the checksum of the file it read (the import batch's provenance). A file is read in
blocks into one buffer, reused. Reading and hashing release the GIL, and taking it back after each step
waits while another thread runs Python (up to the switch interval, 5 ms), so the spare thread, which
hashes a large file beside an import, reads it in few, large pieces (:data:`SPARE_BLOCK`).

:class:`FileChecksum` begins the hash in a spare thread (:func:`bettercities.core.background.spare_thread`,
lowest priority) and publishes its progress after every block: the bytes read and a copy of the digest so
far. :meth:`FileChecksum.hexdigest` stops the thread and goes on from the last published block in the
caller's thread, at the caller's priority. A spare thread that got no CPU (a busy machine: a low-priority
thread can get almost none beside busy processes of its own session) costs the caller only the hashing it
did not do, never a wait on it.
"""

from __future__ import annotations

import hashlib
import os
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import IO, Any

from bettercities.core.background import spare_thread

__all__ = ["HASH_BLOCK", "SPARE_BLOCK", "FileChecksum", "file_sha256"]

#: Bytes read per block in the caller's thread (a CSV of a few MB: a buffer of that size, not more).
HASH_BLOCK = 1 << 20
#: Bytes per block in the spare thread, which hashes beside a thread busy with Python (26 blocks for
#: 800 MiB; it ends at the end of its block after a stop, and nobody waits for it).
SPARE_BLOCK = 1 << 25
#: The smallest buffer (a file that reports no size, such as a pipe, is not read a byte at a time).
_LEAST = 1 << 16


def file_sha256(path: Path | str) -> str:
    """The file's SHA-256 (hex), read in the caller's thread."""
    return FileChecksum(path).hexdigest()


def _blocks(handle: IO[bytes], block: int) -> Iterator[memoryview]:
    """The rest of the file from its position, in blocks of at most ``block`` bytes (one buffer, reused)."""
    left = os.fstat(handle.fileno()).st_size - handle.tell()
    buffer = bytearray(min(max(left, _LEAST), block))
    view = memoryview(buffer)
    while count := handle.readinto(buffer):  # type: ignore[attr-defined]
        yield view[:count]


class FileChecksum:
    """A file's SHA-256: begun in a spare thread by :meth:`start` (or a ``with`` block), finished by
    :meth:`hexdigest` in the caller's thread (see the module's text)."""

    def __init__(self, path: Path | str) -> None:
        self.path = Path(path)
        self._progress: tuple[int, Any] = (0, hashlib.sha256())  # bytes hashed, digest so far
        self._stop = threading.Event()
        self._lock = threading.Lock()
        self._hex: str | None = None
        self.error: OSError | None = None  # why the caller's read failed, once it has

    def start(self) -> FileChecksum:
        """Begin hashing in a spare thread."""
        spare_thread(self._spare, name=f"sha256 {self.path.name}")
        return self

    def stop(self) -> None:
        """Stop the spare thread (after its current block); :meth:`hexdigest` still gives the checksum."""
        self._stop.set()

    def __enter__(self) -> FileChecksum:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def _spare(self) -> None:
        offset, digest = self._progress
        digest = digest.copy()
        try:
            with self.path.open("rb", buffering=0) as handle:
                for view in _blocks(handle, SPARE_BLOCK):
                    if self._stop.is_set():
                        return
                    digest.update(view)
                    offset += len(view)
                    self._progress = (offset, digest.copy())  # one assignment: read whole or not at all
        except OSError:
            return  # the caller reads the file itself and meets the error there

    def hexdigest(self) -> str:
        """The checksum: what the spare thread has not hashed yet is hashed here. Raises the file's
        ``OSError`` (also kept in :attr:`error`) when it cannot be read."""
        with self._lock:
            if self._hex is None:
                self._stop.set()
                offset, digest = self._progress
                digest = digest.copy()
                try:
                    with self.path.open("rb", buffering=0) as handle:
                        handle.seek(offset)
                        for view in _blocks(handle, HASH_BLOCK):
                            digest.update(view)
                except OSError as error:
                    self.error = error
                    raise
                self._hex = digest.hexdigest()
            return self._hex
