"""Excel workbooks are read within budgets (issue 10, reproduction 3): a small workbook that unpacks to
146 MB, and a 1.6 KB sheet that declares ``A1:XFD1048576``, are refused within 5 s and 300 MB RSS by a
real ``bettercities import`` in a child process; the cell and column budgets hold while reading."""

from __future__ import annotations

import os
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest
from openpyxl import Workbook

from bettercities.core.errors import InvalidInput
from bettercities.ingest import readers
from bettercities.ingest.readers import read_table
from bettercities.storage.workspace import Workspace
from tests.ingest.conftest import CITY, LEVEL

SHEET = "xl/worksheets/sheet1.xml"
BETTERCITIES = Path(sys.executable).with_name("bettercities")


def workbook_with_sheet(path: Path, rows: object, *, dimension: str) -> Path:
    """An .xlsx whose first sheet is written row by row from ``rows`` (iterables of cell texts) and
    declares ``dimension``: the other parts come from openpyxl, the sheet XML is streamed into the zip."""
    template = path.with_suffix(".template.xlsx")
    book = Workbook()
    book.active.append(["id", "inhabitants"])
    book.save(template)
    with zipfile.ZipFile(template) as source, zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as target:
        for item in source.infolist():
            if item.filename != SHEET:
                target.writestr(item, source.read(item.filename))
        with target.open(SHEET, "w", force_zip64=True) as sheet:
            sheet.write(
                b'<?xml version="1.0" encoding="UTF-8"?>'
                b'<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
                + f'<dimension ref="{dimension}"/><sheetData>'.encode()
            )
            for number, cells in enumerate(rows, start=1):  # type: ignore[call-overload]
                xml = "".join(f'<c t="inlineStr"><is><t>{text}</t></is></c>' for text in cells)
                sheet.write(f'<row r="{number}">{xml}</row>'.encode())
            sheet.write(b"</sheetData></worksheet>")
    template.unlink()
    return path


def bomb(path: Path) -> Path:
    """About 500 KB on disk, 146 MB of sheet XML unpacked (the size of the reported file)."""
    filler = "x" * 2000
    rows = (["id", "inhabitants"] if n == 0 else [f"B{n}", filler] for n in range(72_000))
    return workbook_with_sheet(path, rows, dimension="A1:B72000")


def huge_dimension(path: Path) -> Path:
    """A sheet of two rows that declares every cell Excel has."""
    return workbook_with_sheet(path, [["id", "inhabitants"], ["B1", "5"]], dimension="A1:XFD1048576")


#: Runs a command and prints its exit code, CPU seconds and peak RSS (KiB). It is started as a small process
#: of its own because a child forked from the test process counts the test process's pages in its peak RSS
#: before it execs (875 MiB for /bin/true under a 700 MiB parent; the serial suite failed with 695 MiB);
#: forked from this launcher it counts ~11 MiB.
LAUNCHER = """
import os, subprocess, sys
child = subprocess.Popen(sys.argv[2:], stdout=open(sys.argv[1], "w"), stderr=subprocess.STDOUT)
_, status, usage = os.wait4(child.pid, 0)
child.returncode = 0  # reaped by wait4
print(os.waitstatus_to_exitcode(status), usage.ru_utime + usage.ru_stime, usage.ru_maxrss)
"""


def import_in_child(workspace: Path, file: Path) -> tuple[int, str, float, int]:
    """``bettercities import observations`` of ``file`` in a child process: exit code, output, CPU seconds
    and the child's peak RSS in MiB (``wait4`` reports the resources of that child alone). CPU time, not
    wall time: the test must not depend on how busy the machine is (the CLI's start takes 1.5 s of it)."""
    out = file.with_suffix(".out")
    command = [
        str(BETTERCITIES), "import", "observations", str(file), "--city", CITY, "--level", LEVEL,
        "--period", "2022", "--workspace", str(workspace),
    ]  # fmt: skip
    measured = subprocess.run(
        [sys.executable, "-c", LAUNCHER, str(out), *command],
        capture_output=True, text=True, check=True, env={**os.environ, "COLUMNS": "200"},
    )  # fmt: skip
    code, seconds, peak_kib = measured.stdout.split()
    return int(code), out.read_text(), float(seconds), int(peak_kib) // 1024


@pytest.mark.parametrize(
    ("make", "says"),
    [(bomb, "unpacks to 1"), (huge_dimension, "declares 1,048,576 rows × 16,384 columns (A1:XFD1048576)")],
)
def test_an_excel_bomb_is_refused_within_5_s_and_300_mb(
    sqlite_city: Workspace, tmp_path: Path, make: object, says: str
) -> None:
    file = make(tmp_path / "delivery.xlsx")  # type: ignore[operator]
    assert file.stat().st_size < 1_000_000
    code, output, seconds, peak_mib = import_in_child(sqlite_city.path, file)
    assert code != 0, output
    assert "too-large" in output
    assert says in " ".join(output.split()), output
    assert "Traceback" not in output
    assert seconds < 5, f"{seconds:.1f} s"
    assert peak_mib < 300, f"{peak_mib} MiB"


def test_a_sheet_with_more_cells_than_it_declares_is_stopped_at_the_cell_budget(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(readers, "XLSX_MAX_CELLS", 50)
    rows = [["id", "inhabitants", "x"]] + [[f"B{n}", "1", "y"] for n in range(100)]
    file = workbook_with_sheet(tmp_path / "lies.xlsx", rows, dimension="A1:C2")
    with pytest.raises(InvalidInput) as refused:
        read_table(file)
    [problem] = refused.value.report.problems  # type: ignore[union-attr]
    assert problem.code == "too-large" and problem.row == 18
    assert "more than 50 cells" in problem.message


def test_a_header_wider_than_the_column_budget_is_refused(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(readers, "XLSX_MAX_COLUMNS", 5)
    file = workbook_with_sheet(tmp_path / "wide.xlsx", [[f"c{i}" for i in range(6)]], dimension="A1")
    with pytest.raises(InvalidInput, match="the header has 6 columns"):
        read_table(file)


def test_rows_beyond_the_header_are_not_padded_to_the_declared_width(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # read in Arrow chunks of two rows: the same table as one chunk
    monkeypatch.setattr(readers, "XLSX_CHUNK_ROWS", 2)
    rows = [["id", "inhabitants"], ["B1", "5"], ["B2", "6", "stray"], ["B3"], [], ["B4", "8"]]
    table = read_table(workbook_with_sheet(tmp_path / "ok.xlsx", rows, dimension="A1:C6"))
    assert table.columns == ["id", "inhabitants"]
    assert table.data.column("id").to_pylist() == ["B1", "B2", "B3", "B4"]
    assert table.data.column("inhabitants").to_pylist() == ["5", "6", "", "8"]
    assert table.rows.tolist() == [2, 3, 4, 6]


def test_a_file_that_is_no_zip_archive_is_unreadable(tmp_path: Path) -> None:
    file = tmp_path / "fake.xlsx"
    file.write_bytes(b"id;value\n")
    with pytest.raises(InvalidInput) as refused:
        read_table(file)
    assert refused.value.report.problems[0].code == "unreadable-file"  # type: ignore[union-attr]
