"""Encodings of CSV files (issue 10, reproduction 7: a UTF-16 CSV was not detected, its NUL bytes ended
up in the messages)."""

from __future__ import annotations

from pathlib import Path

import pytest

from bettercities.core.errors import InvalidInput
from bettercities.ingest.readers import detect_encoding, read_table

TEXT = "id;inhabitants;name\nB1;5;Müller\nB2;6,5;Straße\n"


@pytest.mark.parametrize("encoding", ["utf-16", "utf-16-le", "utf-16-be", "utf-32", "utf-8-sig", "cp1252"])
def test_csv_in_unicode_encodings_with_or_without_bom_reads_the_same(tmp_path: Path, encoding: str) -> None:
    path = tmp_path / "delivery.csv"
    path.write_bytes(TEXT.encode(encoding))
    table = read_table(path)
    assert table.columns == ["id", "inhabitants", "name"]
    assert table.data.to_pylist() == [
        {"id": "B1", "inhabitants": "5", "name": "Müller"},
        {"id": "B2", "inhabitants": "6,5", "name": "Straße"},
    ]
    assert table.decimal == ","


def test_the_byte_order_mark_or_the_nul_bytes_name_the_encoding() -> None:
    assert detect_encoding("id;x\n".encode("utf-16")) == "utf-16"
    assert detect_encoding("id;x\n".encode("utf-16-le")) == "utf-16-le"
    assert detect_encoding("id;x\n".encode("utf-16-be")) == "utf-16-be"
    assert detect_encoding("id;x\n".encode("utf-32")) == "utf-32"
    assert detect_encoding("id;ä\n".encode()) == "utf-8"
    assert detect_encoding("id;ä\n".encode("cp1252")) == "cp1252"


def test_nul_bytes_in_a_file_that_is_not_utf16_are_refused_without_quoting_them(tmp_path: Path) -> None:
    path = tmp_path / "binary.csv"
    path.write_bytes(b"id;inhabitants\nB1;5\n\x00\x01\x02;7\n")
    with pytest.raises(InvalidInput) as refused:
        read_table(path)
    [problem] = refused.value.report.problems  # type: ignore[union-attr]
    assert problem.code == "encoding-error"
    assert "NUL bytes" in problem.message and "\x00" not in problem.message


# -- oversized headers and rows: our words, not pyarrow's ("straddling object straddles two block
# boundaries (try to increase block size?)", "header is larger than block size") --------------------------


@pytest.mark.parametrize(
    ("content", "says"),
    [
        (
            "id;" + ";".join(f"c{i}" for i in range(30_000)) + "\nB1;5\n",
            "the header (the first line) is longer",
        ),
        ('id;v\nB1;"' + "y" * 3_000_000 + '"\nB2;5\n', "a row (or a quoted value) is longer than 1 MiB"),
        ("id;v\nB1;" + "y" * 3_000_000 + "\nB2;5\n", "a row (or a quoted value) is longer than 1 MiB"),
    ],
)
def test_oversized_headers_and_rows_are_refused_in_our_words(tmp_path: Path, content: str, says: str) -> None:
    path = tmp_path / "big.csv"
    path.write_text(content, encoding="utf-8")
    with pytest.raises(InvalidInput) as refused:
        read_table(path)
    [problem] = refused.value.report.problems  # type: ignore[union-attr]
    assert problem.code == "too-large"
    assert says in problem.message
    assert "straddl" not in problem.message and "block size" not in problem.message
