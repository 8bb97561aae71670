"""Table readers: CSV and Excel files into a :class:`Table` of text columns.

Every cell is read as text, so that a word in a numeric column is *reported* by validation
instead of silently becoming "not a number". Readers are registered by file suffix
(:func:`table_reader`); a new format is one decorated function, not another ``if``.

CSV goes through :mod:`pyarrow.csv` (multi-threaded, no Python work per cell); delimiter,
decimal mark and encoding are detected from the first 64 KiB when not given.
"""

from __future__ import annotations

import codecs
import csv
import io
import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, time
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa

from bettercities.core.errors import InvalidInput
from bettercities.core.problems import Problem, Report
from bettercities.core.registry import Registry
from bettercities.ingest.schemas import ReadOptions

SAMPLE_BYTES = 64 * 1024
#: The block pyarrow parses at a time: no row (and no quoted value) of a CSV file may be longer.
CSV_BLOCK_BYTES = 1024 * 1024
DELIMITERS = (";", ",", "\t", "|")


@dataclass(frozen=True)
class Table:
    """A table read from a file: header, text columns (no nulls) and each record's spreadsheet row."""

    name: str
    columns: list[str]
    data: pa.Table
    rows: np.ndarray  # 1-based row number of each record as a spreadsheet shows it (header = 1)
    decimal: str
    problems: tuple[Problem, ...] = ()
    header_row: int = 1

    def __len__(self) -> int:
        return self.data.num_rows

    def column(self, name: str) -> pa.Array:
        """The column ``name`` as one contiguous string array."""
        index = self.columns.index(name)
        return self.data.column(index).combine_chunks()


TableReader = Callable[[Path, ReadOptions, str], Table]
_READERS: Registry[TableReader] = Registry("table reader")


def table_reader(*suffixes: str) -> Callable[[TableReader], TableReader]:
    """Register a reader for files ending in ``suffixes`` (lower case, with the dot)."""
    return _READERS.register(*suffixes)


def table_suffixes() -> list[str]:
    """File suffixes that :func:`read_table` understands."""
    return _READERS.names()


def read_table(path: Path, options: ReadOptions | None = None, *, name: str | None = None) -> Table:
    """Read ``path`` with the reader registered for its suffix."""
    path = Path(path)
    display = name or path.name
    reader = _READERS.find(path.suffix.lower())
    if reader is None:
        problem = Problem(
            code="unsupported-format",
            message=f"cannot read {path.suffix or 'files without suffix'}; use {', '.join(table_suffixes())}",
            file=display,
        )
        raise InvalidInput(f"{display}: unsupported file format", Report(source=display, problems=[problem]))
    return reader(path, options or ReadOptions(), display)


def refuse(
    name: str, code: str, message: str, *, row: int | None = None, column: str | None = None
) -> InvalidInput:
    """An :class:`InvalidInput` for a file that cannot be read at all."""
    problem = Problem(code=code, message=message, file=name, row=row, column=column)
    return InvalidInput(f"{name}: {message}", Report(source=name, problems=[problem]))


# -- CSV ---------------------------------------------------------------------------------------------------

# A number with a decimal mark, also in scientific notation (``2,5e-08``: spreadsheets write small shares so).
_NUMBER_POINT = re.compile(r"^[+-]?\d+\.\d+(?:[eE][+-]?\d+)?$")
_NUMBER_COMMA = re.compile(r"^[+-]?\d+,\d+(?:[eE][+-]?\d+)?$")


@dataclass(frozen=True)
class Dialect:
    """What :func:`sniff` found out about a CSV file."""

    encoding: str
    delimiter: str
    decimal: str
    header: list[str]


def detect_encoding(sample: bytes) -> str:
    """The encoding of a CSV sample: UTF-32 or UTF-16 by their byte order mark, UTF-16 without one by its
    NUL bytes (every other byte of ASCII text), ``utf-8`` if the sample decodes as UTF-8 (with or without
    BOM), else ``cp1252``."""
    if sample.startswith((codecs.BOM_UTF32_LE, codecs.BOM_UTF32_BE)):
        return "utf-32"
    if sample.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return "utf-16"
    head = sample[:4096]
    if head.count(0) * 4 >= len(head) > 1:
        # ASCII text in UTF-16: the NULs are the high bytes, the second of a pair (LE) or the first (BE)
        return "utf-16-le" if head[1::2].count(0) > head[0::2].count(0) else "utf-16-be"
    try:
        codecs.getincrementaldecoder("utf-8")().decode(sample, final=False)
    except UnicodeDecodeError:
        return "cp1252"
    return "utf-8"


def sniff(sample_text: str, *, delimiter: str | None = None, decimal: str | None = None) -> tuple[str, str]:
    """Detect delimiter and decimal mark from the first lines of a CSV file.

    The delimiter is the candidate that occurs in the header and splits the most lines into
    the same number of fields; the decimal mark is ``,`` when numbers like ``3,5`` outnumber
    numbers like ``3.5`` (never when the delimiter is a comma).
    """
    lines = [line for line in sample_text.splitlines()[:200] if line.strip()]
    if len(lines) > 1 and not sample_text.endswith(("\n", "\r")):
        lines = lines[:-1]  # the sample may cut the last line
    if delimiter is None:
        best, best_score = ",", -1
        for candidate in DELIMITERS:
            try:
                rows = list(csv.reader(lines, delimiter=candidate))
            except csv.Error:
                continue
            if not rows or len(rows[0]) < 2:
                continue
            width = len(rows[0])
            score = sum(1 for row in rows if len(row) == width)
            if score > best_score:
                best, best_score = candidate, score
        delimiter = best
    if decimal is None:
        decimal = "."
        if delimiter != ",":
            cells = [cell.strip() for row in csv.reader(lines[1:], delimiter=delimiter) for cell in row]
            commas = sum(1 for cell in cells if _NUMBER_COMMA.match(cell))
            points = sum(1 for cell in cells if _NUMBER_POINT.match(cell))
            decimal = "," if commas > points else "."
    return delimiter, decimal


def _csv_dialect(path: Path, options: ReadOptions, name: str) -> Dialect:
    with path.open("rb") as handle:
        sample = handle.read(SAMPLE_BYTES)
    if not sample.strip():
        raise refuse(name, "empty-file", "the file is empty")
    encoding = options.encoding or detect_encoding(sample)
    if b"\x00" in sample and not encoding.lower().replace("_", "-").startswith(("utf-16", "utf-32")):
        raise refuse(
            name, "encoding-error",
            f"the file holds NUL bytes, so it is not text in {encoding}: a binary file, or text in an "
            "encoding to name with --encoding (e.g. utf-16)",
        )  # fmt: skip
    try:
        text = sample.decode(encoding, errors="ignore" if len(sample) == SAMPLE_BYTES else "strict")
    except (UnicodeDecodeError, LookupError) as error:
        raise refuse(name, "encoding-error", f"cannot decode the file as {encoding}: {error}") from None
    text = text.removeprefix("\ufeff")
    if len(sample) == SAMPLE_BYTES and "\n" not in text and "\r" not in text:
        raise refuse(
            name, "too-large",
            f"the header (the first line) is longer than {SAMPLE_BYTES // 1024} KiB; a CSV file?", row=1,
        )  # fmt: skip
    delimiter, decimal = sniff(text, delimiter=options.delimiter, decimal=options.decimal)
    header = next(csv.reader(io.StringIO(text), delimiter=delimiter), [])
    return Dialect(encoding=encoding, delimiter=delimiter, decimal=decimal, header=header)


def _skipped_rows(count: int, skipped_lines: list[int]) -> np.ndarray:
    """Spreadsheet row of each kept record, given the (physical) lines the parser skipped."""
    index = np.arange(count, dtype=np.int64)
    if not skipped_lines:
        return index + 2
    lines = np.array(sorted(skipped_lines), dtype=np.int64)
    # record i follows every skipped line whose number is at most i + 2 + (skipped lines before it)
    thresholds = lines - 2 - np.arange(len(lines))
    return index + 2 + np.searchsorted(thresholds, index, side="right")


@table_reader(".csv", ".tsv", ".txt")
def read_csv(path: Path, options: ReadOptions, name: str) -> Table:
    """Read a delimited text file, every column as text."""
    import pyarrow.csv as pacsv

    dialect = _csv_dialect(path, options, name)
    header = [h.strip() for h in dialect.header]
    if not header or not any(header):
        raise refuse(name, "missing-header", "the first row must name the columns", row=1)

    def attempt(careful: bool) -> tuple[pa.Table, list[Any]]:
        """Fast: threads, no newlines in quoted values. Careful: one thread (line numbers known), and
        quoted values may hold newlines. A quoted newline in a file of two or more columns always
        splits a record into a short row, so the fast attempt cannot misread it silently."""
        invalid: list[Any] = []

        def handler(row: Any) -> str:
            invalid.append(row)
            return "skip"

        table = pacsv.read_csv(
            path,
            read_options=pacsv.ReadOptions(
                encoding=dialect.encoding,
                use_threads=not careful,
                column_names=header,
                skip_rows=1,
                block_size=CSV_BLOCK_BYTES,
            ),
            parse_options=pacsv.ParseOptions(
                delimiter=dialect.delimiter,
                newlines_in_values=careful,
                ignore_empty_lines=False,
                invalid_row_handler=handler,
            ),
            convert_options=pacsv.ConvertOptions(
                column_types=dict.fromkeys(header, pa.string()),
                strings_can_be_null=False,
                quoted_strings_can_be_null=False,
            ),
        )
        return table, invalid

    try:
        data, invalid = attempt(careful=len(header) < 2)
        if invalid:
            data, invalid = attempt(careful=True)
    except (pa.ArrowInvalid, UnicodeDecodeError) as error:
        if options.encoding is None and dialect.encoding == "utf-8" and "UTF8" in str(error):
            return read_csv(path, options.model_copy(update={"encoding": "cp1252"}), name)
        raise _csv_refusal(name, error) from None
    problems = [
        Problem(
            code="malformed-row",
            message=f"expected {row.expected_columns} fields, found {row.actual_columns}",
            file=name,
            row=row.number,
            value=row.text[:200],
        )
        for row in invalid
        if row.text.strip()
    ]
    rows = _skipped_rows(data.num_rows, [row.number for row in invalid])
    data, rows = _drop_empty_records(data, rows)
    return Table(name, header, data, rows, dialect.decimal, tuple(problems))


def _csv_refusal(name: str, error: Exception) -> InvalidInput:
    """Our words for what pyarrow says of a file it cannot parse."""
    text = str(error)
    if "straddling object" in text or "larger than block size" in text:
        return refuse(
            name, "too-large",
            f"a row (or a quoted value) is longer than {CSV_BLOCK_BYTES // 2**20} MiB; rows of a CSV file "
            "may not be longer (a quote left open makes the rest of the file one value)",
        )  # fmt: skip
    return refuse(name, "unreadable-file", f"not a readable CSV file: {text}")


def _drop_empty_records(data: pa.Table, rows: np.ndarray) -> tuple[pa.Table, np.ndarray]:
    """Drop blank lines and rows of empty cells (``;;;``), keeping the row numbers of the others."""
    import pyarrow.compute as pc

    if data.num_rows == 0 or data.num_columns == 0:
        return data, rows
    filled: Any = None
    for column in data.columns:
        has_text = pc.not_equal(pc.utf8_length(column), 0)
        filled = has_text if filled is None else pc.or_(filled, has_text)
    keep = np.asarray(filled.to_numpy(zero_copy_only=False), dtype=np.bool_)
    if keep.all():
        return data, rows
    return data.filter(pa.array(keep)), rows[keep]


# -- Excel -------------------------------------------------------------------------------------------------


def cell_text(value: object) -> str:
    """The text of a spreadsheet cell as a CSV file would hold it."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        return repr(int(value)) if value.is_integer() and abs(value) < 1e15 else repr(value)
    if isinstance(value, datetime):
        return value.date().isoformat() if value.time() == time(0) else value.isoformat()
    if isinstance(value, date):
        return value.isoformat()
    return str(value).strip()


#: Budgets of an Excel workbook, checked before it is parsed and while it is read (issue 10: a 497 KB
#: workbook that unpacks to 146 MB, a 1.6 KB sheet that declares ``A1:XFD1048576``). A workbook is a zip
#: archive of XML parts; its unpacked size is in the archive's directory (zipfile stops a part at that
#: size), its sheet's size in the sheet's ``<dimension>`` element.
XLSX_MAX_UNPACKED = 100 * 1024 * 1024
XLSX_MAX_ROWS = 1_048_576  # Excel's own limit
XLSX_MAX_COLUMNS = 1_000
XLSX_MAX_CELLS = 2_000_000
#: Rows gathered as Python text before they become an Arrow chunk (bounds the memory per cell).
XLSX_CHUNK_ROWS = 50_000


def _check_workbook(path: Path, name: str) -> None:
    """Refuse a workbook that is no zip archive or that unpacks to more than :data:`XLSX_MAX_UNPACKED`."""
    import zipfile

    try:
        with zipfile.ZipFile(path) as archive:
            unpacked = sum(member.file_size for member in archive.infolist())
    except (zipfile.BadZipFile, OSError) as error:
        raise refuse(name, "unreadable-file", f"not a readable Excel file: {error}") from None
    if unpacked > XLSX_MAX_UNPACKED:
        raise refuse(
            name,
            "too-large",
            f"the workbook unpacks to {unpacked / 2**20:,.0f} MiB, more than the "
            f"{XLSX_MAX_UNPACKED // 2**20} MiB an Excel file may hold here; save the sheet as CSV",
        )


def _check_sheet(sheet: Any, name: str) -> None:
    """Refuse a sheet whose declared dimension (``<dimension ref="A1:XFD1048576">``) passes the budgets."""
    rows, columns = sheet.max_row or 0, sheet.max_column or 0
    if rows > XLSX_MAX_ROWS or columns > XLSX_MAX_COLUMNS or rows * columns > XLSX_MAX_CELLS:
        ref = sheet.calculate_dimension()
        raise refuse(
            name,
            "too-large",
            f"sheet {sheet.title!r} declares {rows:,} rows × {columns:,} columns ({ref}); "
            f"an Excel sheet may have at most {XLSX_MAX_COLUMNS:,} columns and {XLSX_MAX_CELLS:,} cells here "
            "(if the data are smaller, save the sheet again, or as CSV)",
        )


@table_reader(".xlsx", ".xlsm")
def read_xlsx(path: Path, options: ReadOptions, name: str) -> Table:
    """Read the first (or the named) sheet of an Excel workbook; the first non-empty row is the header.

    Streamed (openpyxl's read-only mode) within budgets: the unpacked size (:data:`XLSX_MAX_UNPACKED`) and
    the sheet's declared dimension are checked before parsing, the header's width and the cells while
    reading (:data:`XLSX_MAX_COLUMNS`, :data:`XLSX_MAX_CELLS`)."""
    from openpyxl import load_workbook

    _check_workbook(path, name)
    try:
        workbook = load_workbook(path, read_only=True, data_only=True)
    except Exception as error:  # openpyxl raises many kinds for a damaged file
        raise refuse(name, "unreadable-file", f"not a readable Excel file: {error}") from None
    try:
        if options.sheet is not None and options.sheet not in workbook.sheetnames:
            raise refuse(
                name, "missing-sheet", f"no sheet {options.sheet!r}; sheets: {', '.join(workbook.sheetnames)}"
            )
        sheet = workbook[options.sheet] if options.sheet else workbook.worksheets[0]
        _check_sheet(sheet, name)
        # rows as long as their cells, not padded to the declared dimension
        sheet.reset_dimensions()
        header: list[str] | None = None
        header_row = 1
        columns: list[list[str]] = []
        chunks: list[list[pa.Array]] = []
        rows: list[int] = []
        for number, values in enumerate(sheet.iter_rows(values_only=True), start=1):
            if header is not None:
                values = values[: len(header)]
            texts = [cell_text(v) for v in values]
            if not any(texts):
                continue
            if header is None:
                while texts and not texts[-1]:
                    texts.pop()
                if len(texts) > XLSX_MAX_COLUMNS:
                    raise refuse(
                        name, "too-large",
                        f"the header has {len(texts):,} columns; an Excel sheet may have at most "
                        f"{XLSX_MAX_COLUMNS:,} here", row=number,
                    )  # fmt: skip
                header, header_row = texts, number
                columns = [[] for _ in header]
                continue
            width = len(header)
            if (len(rows) + 1) * width > XLSX_MAX_CELLS:
                raise refuse(
                    name, "too-large",
                    f"the sheet has more than {XLSX_MAX_CELLS:,} cells below its header ({width:,} columns); "
                    "save it as CSV or split it", row=number,
                )  # fmt: skip
            texts = (texts + [""] * width)[:width]
            for target, text in zip(columns, texts, strict=True):
                target.append(text)
            rows.append(number)
            if len(columns[0]) >= XLSX_CHUNK_ROWS:
                chunks.append([pa.array(c, type=pa.string()) for c in columns])
                columns = [[] for _ in header]
    finally:
        workbook.close()
    if header is None:
        raise refuse(name, "empty-file", "the sheet is empty")
    chunks.append([pa.array(c, type=pa.string()) for c in columns])
    data = pa.table(
        [pa.chunked_array([chunk[i] for chunk in chunks], type=pa.string()) for i in range(len(header))],
        names=header,
    )
    rows_array = np.array(rows, dtype=np.int64)
    return Table(name, header, data, rows_array, options.decimal or ".", header_row=header_row)
