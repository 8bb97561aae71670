"""File checksums: in blocks, begun in a spare thread and finished by the caller (reference: hashlib over the
whole content at once)."""

from __future__ import annotations

import hashlib
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


class _StopAfter:
    """A stop signal that is set once ``blocks`` blocks were hashed."""

    def __init__(self, blocks: int) -> None:
        self.left = blocks

    def is_set(self) -> bool:
        self.left -= 1
        return self.left < 0

    def set(self) -> None:
        self.left = -1


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
        checksum._stop = _StopAfter(blocks)  # type: ignore[assignment]
        checksum._spare()
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
