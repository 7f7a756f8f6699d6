"""Reading and writing spreadsheets: xlsx and CSV (UTF-8, UTF-8 with BOM, GBK).

Every import in Northstar reads through here, so each one gets the same checks and the same
messages: wrong encoding, a file that only pretends to be xlsx, missing columns, size limits.
"""

from __future__ import annotations

import csv
import io
import zipfile
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from openpyxl import Workbook, load_workbook
from openpyxl.utils.exceptions import InvalidFileException

from northstar.errors import N_, PayloadTooLarge, Problem, ValidationFailed


@dataclass(frozen=True)
class Column:
    """One expected column: its key, and every header a user may write for it."""

    key: str
    headers: tuple[str, ...]
    required: bool = True

    def header(self, locale: str) -> str:
        # headers[0] is English, headers[1] Chinese, by convention of the sheet specs
        return self.headers[1] if locale.startswith("zh") and len(self.headers) > 1 else self.headers[0]


@dataclass(frozen=True)
class SheetSpec:
    key: str
    names: tuple[str, ...]  # English name first, then Chinese
    columns: tuple[Column, ...]

    def name(self, locale: str) -> str:
        return self.names[1] if locale.startswith("zh") and len(self.names) > 1 else self.names[0]


@dataclass
class Table:
    sheet: str
    #: (spreadsheet row number as the user sees it, {column key: cell value})
    rows: list[tuple[int, dict[str, Any]]] = field(default_factory=list)


def _norm(header: Any) -> str:
    return str(header or "").strip().lower().replace(" ", "_").replace("*", "")


class Undecodable(Exception):
    """Text that is not UTF-8 or GBK: UTF-16, or bytes that cannot be read on ``line``."""

    def __init__(self, *, utf16: bool = False, line: int = 0) -> None:
        super().__init__("utf-16" if utf16 else f"line {line}")
        self.utf16 = utf16
        self.line = line


def detect_text(content: bytes) -> str:
    """Text in UTF-8 (with or without BOM) or GBK, the encodings HR files come in; Undecodable
    otherwise. Shift-JIS and other double-byte encodings often decode as GBK too, into rare
    characters outside GB2312 (real Chinese text is almost all inside it), so those are refused."""
    if content.startswith((b"\xff\xfe", b"\xfe\xff")) or b"\x00" in content[:4096]:
        raise Undecodable(utf16=True)
    if content.startswith(b"\xef\xbb\xbf"):
        content = content[3:]
    try:
        return content.decode("utf-8")
    except UnicodeDecodeError:
        pass
    try:
        text = content.decode("gbk")
    except UnicodeDecodeError as exc:
        raise Undecodable(line=content[: exc.start].count(b"\n") + 1) from exc
    wide = [(i, ch) for i, ch in enumerate(text[:200_000]) if ord(ch) > 0x7F]
    rare = [i for i, ch in wide if not _in_gb2312(ch)]
    if wide and len(rare) * 5 > len(wide):
        raise Undecodable(line=text[: rare[0]].count("\n") + 1)
    return text


def _in_gb2312(ch: str) -> bool:
    try:
        ch.encode("gb2312")
    except UnicodeEncodeError:
        return False
    return True


def decode_csv(content: bytes) -> str:
    """Text of a CSV file in UTF-8 (with or without BOM) or GBK; a clear refusal otherwise."""
    try:
        return detect_text(content)
    except Undecodable as exc:
        if exc.utf16:
            raise ValidationFailed(
                N_('The file is UTF-16 encoded. Save it as "CSV UTF-8" (or GBK) and upload it again.')
            ) from None
        raise ValidationFailed(
            N_(
                "The file is neither UTF-8 nor GBK encoded (line {line} cannot be read). "
                'Save it as "CSV UTF-8" from Excel and upload it again.'
            ),
            problems=[Problem(N_("Undecodable bytes on this line."), row=exc.line)],
            line=exc.line,
        ) from None


def _match_columns(
    sheet: str, header_row: Sequence[Any], spec: SheetSpec
) -> tuple[dict[int, str], list[Problem]]:
    lookup = {_norm(h): col.key for col in spec.columns for h in (col.key, *col.headers)}
    positions: dict[int, str] = {}
    for idx, header in enumerate(header_row):
        key = lookup.get(_norm(header))
        if key is not None and key not in positions.values():
            positions[idx] = key
    problems = [
        Problem(
            N_('Column "{column}" is missing. Add a column headed "{en}" or "{zh}".'),
            {"column": col.headers[0], "en": col.headers[0], "zh": col.headers[-1]},
            row=1,
            field=col.key,
            sheet=sheet,
        )
        for col in spec.columns
        if col.required and col.key not in positions.values()
    ]
    return positions, problems


def _rows_to_table(sheet: str, raw: Iterable[Sequence[Any]], spec: SheetSpec) -> tuple[Table, list[Problem]]:
    iterator = iter(raw)
    header = next(iterator, None)
    if header is None:
        return Table(sheet), [
            Problem(N_("The sheet is empty: the first row must hold the column headers."), sheet=sheet)
        ]
    positions, problems = _match_columns(sheet, header, spec)
    table = Table(sheet)
    for number, values in enumerate(iterator, start=2):
        record = {key: (values[idx] if idx < len(values) else None) for idx, key in positions.items()}
        record = {k: (v.strip() if isinstance(v, str) else v) for k, v in record.items()}
        if all(v in (None, "") for v in record.values()):
            continue
        table.rows.append((number, record))
    return table, problems


def check_size(content: bytes, limit: int) -> None:
    if len(content) > limit:
        raise PayloadTooLarge(
            N_("The file is {size} MB; the limit is {limit} MB. Split it into smaller files."),
            size=round(len(content) / 1048576, 1),
            limit=round(limit / 1048576, 1),
        )


def read_upload(
    filename: str, content: bytes, specs: Sequence[SheetSpec], *, csv_sheet: str | None = None
) -> dict[str, Table]:
    """Parse an uploaded xlsx or CSV into tables keyed by sheet spec key.

    An xlsx may hold any of the ``specs`` as sheets (by English or Chinese name); a CSV holds
    one table, the spec named by ``csv_sheet``. Raises ``ValidationFailed`` listing every
    structural problem (encoding, missing columns) before any row is looked at.
    """
    name = filename.lower()
    problems: list[Problem] = []
    tables: dict[str, Table] = {}
    if name.endswith(".csv"):
        spec = next((s for s in specs if s.key == csv_sheet), specs[0])
        text = decode_csv(content)
        table, problems = _rows_to_table(spec.key, csv.reader(io.StringIO(text)), spec)
        tables[spec.key] = table
    elif name.endswith((".xlsx", ".xlsm")):
        if not zipfile.is_zipfile(io.BytesIO(content)):
            raise ValidationFailed(
                N_(
                    "{filename} is not an Excel workbook, although its name ends in .xlsx. "
                    'Open it in Excel and save it as "Excel Workbook (*.xlsx)".'
                ),
                filename=filename,
            )
        try:
            book = load_workbook(io.BytesIO(content), read_only=True, data_only=True)
        except (InvalidFileException, zipfile.BadZipFile, KeyError, OSError) as exc:
            raise ValidationFailed(
                N_(
                    "{filename} is not an Excel workbook, although its name ends in .xlsx. "
                    'Open it in Excel and save it as "Excel Workbook (*.xlsx)".'
                ),
                filename=filename,
            ) from exc
        by_name = {_norm(ws.title): ws for ws in book.worksheets}
        for spec in specs:
            ws = next((by_name[_norm(n)] for n in (spec.key, *spec.names) if _norm(n) in by_name), None)
            if ws is None:
                continue
            table, sheet_problems = _rows_to_table(spec.key, ws.iter_rows(values_only=True), spec)
            tables[spec.key] = table
            problems += sheet_problems
        book.close()
        if not tables:
            wanted = ", ".join(f'"{s.names[0]}"/"{s.names[-1]}"' for s in specs)
            raise ValidationFailed(
                N_("The workbook has none of the expected sheets: {sheets}."), sheets=wanted
            )
    elif name.endswith(".xls"):
        raise ValidationFailed(
            N_("Old .xls workbooks are not read. Save the file as .xlsx and upload it again.")
        )
    else:
        raise ValidationFailed(N_("Upload an .xlsx or .csv file (got {filename})."), filename=filename)
    if problems:
        raise ValidationFailed(
            N_("The file cannot be imported: {count} problem(s) found."),
            problems=problems,
            count=len(problems),
        )
    return tables


def parse_date(value: Any) -> date | None:
    """A date from an Excel cell or text (2024-03-01, 2024/3/1, 2024.3.1); None if empty."""
    if value in (None, ""):
        return None
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    text = str(value).strip().replace("/", "-").replace(".", "-")
    parts = text.split(" ")[0].split("-")
    if len(parts) != 3 or not all(p.isdigit() for p in parts):
        raise ValueError(text)
    return date(int(parts[0]), int(parts[1]), int(parts[2]))


def cell_text(value: Any) -> str:
    """A cell as text; whole numbers read by Excel as floats lose their '.0' (employee numbers)."""
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value).strip()


_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def safe_cell(value: Any) -> Any:
    """Escape text that a spreadsheet would run as a formula (CSV/formula injection)."""
    if isinstance(value, str) and value.startswith(_FORMULA_START):
        return "'" + value
    return value


def write_xlsx(sheets: Sequence[tuple[str, Sequence[str], Iterable[Sequence[Any]]]]) -> bytes:
    """An xlsx with one sheet per (title, headers, rows); every text cell is formula-safe."""
    book = Workbook()
    book.remove(book.worksheets[0])
    for title, headers, rows in sheets:
        ws = book.create_sheet(title=title[:31])
        ws.append([safe_cell(h) for h in headers])
        for row in rows:
            ws.append([safe_cell(v) for v in row])
        for idx, header in enumerate(headers, start=1):
            ws.column_dimensions[ws.cell(row=1, column=idx).column_letter].width = max(
                12, len(str(header)) + 4
            )
    buf = io.BytesIO()
    book.save(buf)
    return buf.getvalue()


def write_csv(headers: Sequence[str], rows: Iterable[Sequence[Any]]) -> bytes:
    """CSV as UTF-8 with BOM, which Excel on Windows opens correctly in Chinese."""
    buf = io.StringIO()
    writer = csv.writer(buf)
    writer.writerow(headers)
    for row in rows:
        writer.writerow(["" if v is None else safe_cell(v) for v in row])
    return ("\ufeff" + buf.getvalue()).encode("utf-8")
