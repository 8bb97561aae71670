"""Table readers: cells as text, detected delimiter, decimal mark and encoding, spreadsheet row numbers."""

from __future__ import annotations

from pathlib import Path

import pytest
from openpyxl import Workbook

from bettercities.core.errors import InvalidInput
from bettercities.ingest.readers import read_table, sniff, table_suffixes
from bettercities.ingest.schemas import ReadOptions
from tests.ingest.conftest import write


def test_german_csv_semicolon_and_decimal_comma(tmp_path: Path) -> None:
    path = write(tmp_path / "de.csv", "id;Anteil;Name\n01;3,5;Mitte\n02;-0,25;Süd\n", encoding="cp1252")
    table = read_table(path)
    assert table.columns == ["id", "Anteil", "Name"]
    assert table.decimal == ","
    assert table.column("id").to_pylist() == ["01", "02"]  # leading zeros kept: every cell is text
    assert table.column("Anteil").to_pylist() == ["3,5", "-0,25"]
    assert table.column("Name").to_pylist() == ["Mitte", "Süd"]  # cp1252 detected
    assert table.rows.tolist() == [2, 3]


def test_semicolon_with_decimal_point_and_bom(tmp_path: Path) -> None:
    path = write(tmp_path / "bom.csv", "\ufeffPLR-ID;K01\n0110;2.82\n0120;0.00\n")
    table = read_table(path)
    assert table.columns == ["PLR-ID", "K01"]
    assert table.decimal == "."


@pytest.mark.parametrize(
    ("sample", "delimiter", "decimal"),
    [
        ("a,b\n1,2.5\n", ",", "."),
        ("a;b\n1;2,5\n3;4,75\n", ";", ","),
        ("a\tb\n1\t2,5\n", "\t", ","),
        ("a|b|c\n1|2|3\n", "|", "."),
        ('a;b\n"x;y";1.5\n', ";", "."),
        # scientific notation counts for its decimal mark (Hypothesis found 2,2250738585072014e-308 misread)
        ("a;b;c\n1;2,2e-308;3,5e-07\n2;4,5;6\n", ";", ","),
        ("a;b;c\n1;2.2e-308;3.5e-07\n2;4,5;6\n", ";", "."),
    ],
)
def test_sniff(sample: str, delimiter: str, decimal: str) -> None:
    assert sniff(sample) == (delimiter, decimal)


def test_given_options_win(tmp_path: Path) -> None:
    path = write(tmp_path / "x.txt", "a;b\n1;2,5\n")
    table = read_table(path, ReadOptions(delimiter=";", decimal="."))
    assert table.decimal == "."


def test_blank_and_malformed_rows_keep_row_numbers(tmp_path: Path) -> None:
    path = write(tmp_path / "gaps.csv", "id,v\n1,2\n\n3,4\n5\n6,7,8\n9,10\n,\n")
    table = read_table(path)
    assert table.column("id").to_pylist() == ["1", "3", "9"]
    assert table.rows.tolist() == [2, 4, 7]  # blank row 3, malformed rows 5 and 6, empty row 8 skipped
    assert [(p.code, p.row, p.value) for p in table.problems] == [
        ("malformed-row", 5, "5"),
        ("malformed-row", 6, "6,7,8"),
    ]


def test_quoted_newlines_and_delimiters(tmp_path: Path) -> None:
    path = write(tmp_path / "q.csv", 'id,name,v\n1,"a, b",2\n2,"two\nlines",3\n')
    table = read_table(path)
    assert table.column("name").to_pylist() == ["a, b", "two\nlines"]


def test_xlsx_cells_as_text_with_sheet_rows(tmp_path: Path) -> None:
    book = Workbook()
    sheet = book.active
    sheet.title = "Daten"
    sheet.append([])  # an empty first row: the header is row 2
    sheet.append(["id", "value", "flag", "when"])
    sheet.append(["0101", 3.5, True, None])
    sheet.append([102, 12, False, "2020"])
    sheet.append([])
    sheet.append(["0103", 1e-7, "x", 2020.0])
    other = book.create_sheet("Other")
    other.append(["a"])
    path = tmp_path / "data.xlsx"
    book.save(path)

    table = read_table(path)
    assert table.header_row == 2
    assert table.columns == ["id", "value", "flag", "when"]
    assert table.column("id").to_pylist() == ["0101", "102", "0103"]
    assert table.column("value").to_pylist() == ["3.5", "12", "1e-07"]
    assert table.column("flag").to_pylist() == ["true", "false", "x"]
    assert table.column("when").to_pylist() == ["", "2020", "2020"]
    assert table.rows.tolist() == [3, 4, 6]
    assert read_table(path, ReadOptions(sheet="Other")).columns == ["a"]
    with pytest.raises(InvalidInput) as refused:
        read_table(path, ReadOptions(sheet="Missing"))
    assert refused.value.report is not None
    assert refused.value.report.problems[0].code == "missing-sheet"


def test_unsupported_and_empty_files(tmp_path: Path) -> None:
    assert {".csv", ".xlsx"} <= set(table_suffixes())
    with pytest.raises(InvalidInput) as refused:
        read_table(write(tmp_path / "old.xls", "x"))
    assert refused.value.report is not None
    assert refused.value.report.problems[0].code == "unsupported-format"
    with pytest.raises(InvalidInput) as empty:
        read_table(write(tmp_path / "empty.csv", "\n"))
    assert empty.value.report is not None
    assert empty.value.report.problems[0].code == "empty-file"
