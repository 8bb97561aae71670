"""File checksums: in blocks, begun in a spare thread and finished by the caller (reference: hashlib over the
whole content at once)."""

from __future__ import annotations

import hashlib
import os
import time
from pathlib import Path

import pytest

from bettercities.ingest import checksums
from bettercities.ingest.checksums import FileChecksum, file_sha256

SIZES = [0, 1, 4095, 4096, 4097, 4096 * 3 + 2048]


def _content(size: int) -> bytes:
    return bytes(range(256)) * (size // 256) + bytes(size % 256)


@pytest.mark.parametrize("size", SIZES)
def test_blocks_give_the_digest_of_the_whole_file(
    size: int, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(checksums, "HASH_BLOCK", 4096)
    monkeypatch.setattr(checksums, "_LEAST", 1024)
    path = tmp_path / "data.bin"
    path.write_bytes(_content(size))
    assert file_sha256(path) == hashlib.sha256(_content(size)).hexdigest()


class _StopAt:
    """A stop signal that is set once the spare part has published ``limit`` bytes."""

    def __init__(self, checksum: FileChecksum, limit: int) -> None:
        self.checksum, self.limit = checksum, limit

    def is_set(self) -> bool:
        return self.checksum._progress[0] >= self.limit

    def set(self) -> None:
        self.limit = 0


@pytest.mark.parametrize("size", SIZES)
def test_the_caller_goes_on_from_whatever_block_the_spare_thread_reached(
    size: int, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The spare part stopped after 0, 1, 2 … blocks (run here, synchronously), never started, or run to
    the end: the caller's digest is the same."""
    monkeypatch.setattr(checksums, "HASH_BLOCK", 4096)
    monkeypatch.setattr(checksums, "SPARE_BLOCK", 1024)
    monkeypatch.setattr(checksums, "_LEAST", 1024)
    path = tmp_path / "data.bin"
    path.write_bytes(_content(size))
    expected = hashlib.sha256(_content(size)).hexdigest()
    assert FileChecksum(path).hexdigest() == expected  # never started
    for blocks in range(size // 1024 + 2):
        checksum = FileChecksum(path)
        checksum._stop = _StopAt(checksum, blocks * 1024)  # type: ignore[assignment]
        checksum._spare(os.open(path, os.O_RDONLY))  # (closes the descriptor)
        assert checksum._progress[0] == min(blocks * 1024, size)
        assert checksum.hexdigest() == expected, f"after {blocks} spare blocks"


def test_a_started_checksum_equals_the_callers(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(checksums, "SPARE_BLOCK", 1024)
    path = tmp_path / "data.bin"
    path.write_bytes(_content(200_000))
    with FileChecksum(path) as checksum:
        digest = checksum.hexdigest()
    assert digest == hashlib.sha256(_content(200_000)).hexdigest()
    assert checksum.hexdigest() == digest  # once computed, kept


def test_a_file_that_cannot_be_read_raises_its_error_in_the_caller(tmp_path: Path) -> None:
    checksum = FileChecksum(tmp_path / "missing.parquet").start()
    with pytest.raises(FileNotFoundError):
        checksum.hexdigest()
    assert isinstance(checksum.error, FileNotFoundError)


def _progressed(checksum: FileChecksum, at_least: int) -> None:
    deadline = time.monotonic() + 30
    while checksum._progress[0] < at_least:
        assert time.monotonic() < deadline, "the spare thread made no progress in 30 s"
        time.sleep(0.005)


def test_the_spare_thread_hashes_and_the_caller_takes_its_progress(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(checksums, "SPARE_BLOCK", 4096)
    path = tmp_path / "data.bin"
    path.write_bytes(_content(300_000))
    checksum = FileChecksum(path).start()
    _progressed(checksum, 8192)  # the thread's own work, published
    assert checksum.hexdigest() == hashlib.sha256(_content(300_000)).hexdigest()


def test_a_second_start_changes_nothing(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(checksums, "SPARE_BLOCK", 4096)
    path = tmp_path / "data.bin"
    path.write_bytes(_content(300_000))
    checksum = FileChecksum(path).start()
    _progressed(checksum, 4096)
    with checksum:  # started again: ignored
        checksum.start()
        assert checksum.hexdigest() == hashlib.sha256(_content(300_000)).hexdigest()


def test_a_file_replaced_at_its_path_meanwhile_gives_the_checksum_of_the_file_as_opened(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """os.replace after the start (the usual way a file is updated): the spare thread and the caller read
    the file they opened, not a mix of the old file's start and the new file's rest."""
    monkeypatch.setattr(checksums, "SPARE_BLOCK", 4096)
    path = tmp_path / "data.bin"
    old, new = _content(300_000), bytes(reversed(_content(300_000)))
    path.write_bytes(old)
    checksum = FileChecksum(path).start()
    _progressed(checksum, 4096)
    replacement = tmp_path / "new.bin"
    replacement.write_bytes(new)
    os.replace(replacement, path)
    assert checksum.hexdigest() == hashlib.sha256(old).hexdigest()
    assert file_sha256(path) == hashlib.sha256(new).hexdigest()


def test_a_pipe_is_hashed_front_to_back(tmp_path: Path) -> None:
    import threading

    fifo = tmp_path / "data.fifo"
    os.mkfifo(fifo)
    content = _content(200_000)

    def write() -> None:
        with fifo.open("wb") as handle:
            handle.write(content)

    writer = threading.Thread(target=write)
    writer.start()
    with FileChecksum(fifo) as checksum:  # no spare thread for a pipe: the caller reads it once
        assert checksum.hexdigest() == hashlib.sha256(content).hexdigest()
    writer.join(10)
