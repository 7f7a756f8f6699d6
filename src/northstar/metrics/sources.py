"""Reading data-source files (CSV, Parquet, xlsx) into Arrow and checking them against a schema.

CSV and xlsx are read as text, so that nothing is guessed (codes keep their leading zeros);
a ``SourceSchema`` declares the column types, and ``load_checked`` checks every row and casts,
all or nothing: one bad value and nothing is returned, with every problem named (column, row,
sample values, the fix). CSV may be UTF-8 (with or without BOM) or GBK; any other encoding is
refused with a message naming the file. Row numbers are the ones the user sees: the header is
row 1 in CSV and xlsx, blank lines are counted; Parquet rows are numbered from 1.
"""

from __future__ import annotations

import csv
import io
import json
import zipfile
from collections.abc import Callable, Sequence
from datetime import UTC, date, datetime, time
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path
from typing import Any, Literal

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq
from openpyxl import load_workbook
from openpyxl.utils.exceptions import InvalidFileException
from pydantic import BaseModel, ConfigDict, Field, model_validator

from northstar.errors import N_, Problem, ValidationFailed
from northstar.tabular import Undecodable, cell_text, detect_text, parse_date

ColumnType = Literal["string", "integer", "decimal", "date", "timestamp", "boolean"]

#: how many row numbers and sample values a problem quotes
SAMPLES = 5
#: how many duplicated keys are listed one by one before a summary
MAX_DUPLICATES = 10
_META_FIRST = b"northstar.first_row"
_META_BLANKS = b"northstar.blank_rows"
_TRUE = frozenset({"true", "t", "yes", "y", "1", "是", "真", "对"})
_FALSE = frozenset({"false", "f", "no", "n", "0", "否", "假", "错"})


class SourceColumn(BaseModel):
    """One declared column: its header in the file, its type, and whether the file must have it."""

    model_config = ConfigDict(extra="forbid")

    name: str = Field(min_length=1)
    type: ColumnType = "string"
    required: bool = True
    #: digits after the decimal point kept for ``decimal`` columns (rounded half up)
    scale: int = Field(default=6, ge=0, le=18)
    #: what a valid value looks like; a value outside it still loads but counts as invalid in
    #: the data-quality figures (S7.5), as a survey score of 11 would
    allowed: list[str] | None = None
    min: float | None = None
    max: float | None = None


class SourceSchema(BaseModel):
    """The columns a source file must have, the columns that identify a row, and what to do with others.

    ``extra``: ``allow`` keeps undeclared columns as read, ``ignore`` drops them, ``forbid``
    reports each as a problem.
    """

    model_config = ConfigDict(extra="forbid")

    columns: list[SourceColumn] = Field(min_length=1)
    key: list[str] = Field(default_factory=list)
    extra: Literal["allow", "ignore", "forbid"] = "allow"

    @model_validator(mode="after")
    def _names(self) -> SourceSchema:
        names = [c.name for c in self.columns]
        twice = sorted({n for n in names if names.count(n) > 1})
        if twice:
            raise ValueError(f"columns declared more than once: {', '.join(twice)}")
        unknown = [k for k in self.key if k not in names]
        if unknown:
            raise ValueError(f"key columns not declared in columns: {', '.join(unknown)}")
        return self

    def column(self, name: str) -> SourceColumn | None:
        return next((c for c in self.columns if c.name == name), None)


def arrow_type(column: SourceColumn) -> pa.DataType:
    """The Arrow type a declared column is cast to."""
    return {
        "string": pa.string(),
        "integer": pa.int64(),
        "decimal": pa.decimal128(38, column.scale),
        "date": pa.date32(),
        "timestamp": pa.timestamp("us"),
        "boolean": pa.bool_(),
    }[column.type]


# --- reading -------------------------------------------------------------------------------


def read_source(
    path: str | Path, *, expected: SourceSchema | None = None, sheet: str | None = None
) -> pa.Table:
    """A CSV, Parquet or xlsx file as an Arrow table (CSV and xlsx as text, empty cells null).

    With ``expected``, the table is checked and cast like ``load_checked`` (named by the file
    name). ``sheet`` picks an xlsx sheet by name; the first sheet otherwise.
    """
    path = Path(path)
    if expected is not None:
        return load_checked(path, expected, source_name=path.name, sheet=sheet)
    if not path.is_file():
        raise ValidationFailed(
            N_("The file {file} does not exist. Check the path and load it again."), file=str(path)
        )
    suffix = path.suffix.lower()
    if suffix in (".csv", ".txt"):
        return _read_csv(path)
    if suffix in (".parquet", ".pq"):
        return _read_parquet(path)
    if suffix in (".xlsx", ".xlsm"):
        return _read_xlsx(path, sheet)
    if suffix == ".xls":
        raise ValidationFailed(
            N_("{file}: old .xls workbooks are not read. Save it as .xlsx and load it again."),
            file=path.name,
        )
    raise ValidationFailed(
        N_("{file} is neither CSV, Parquet nor Excel (.xlsx). Convert it to one of these and load it again."),
        file=path.name,
    )


def decode_text(content: bytes, *, file: str) -> str:
    """Text of a CSV in UTF-8 (with or without BOM) or GBK; anything else is refused by name."""
    try:
        return detect_text(content)
    except Undecodable as exc:
        if exc.utf16:
            raise ValidationFailed(
                N_('{file} is UTF-16 encoded. Save it as UTF-8 ("CSV UTF-8" in Excel) and load it again.'),
                file=file,
            ) from None
        raise _not_utf8(file, exc.line) from None


def _not_utf8(file: str, line: int) -> ValidationFailed:
    return ValidationFailed(
        N_(
            "{file} is neither UTF-8 nor GBK encoded (line {line} cannot be read). "
            'Save it as UTF-8 ("CSV UTF-8" in Excel) and load it again.'
        ),
        file=file,
        line=line,
    )


def _read_csv(path: Path) -> pa.Table:
    return read_csv_bytes(path.read_bytes(), file=path.name)


def read_csv_bytes(content: bytes, *, file: str) -> pa.Table:
    """CSV content (UTF-8, BOM or GBK) as a table of text, rows numbered as the user sees them."""
    text = decode_text(content, file=file)
    try:
        records = list(csv.reader(io.StringIO(text, newline="")))
    except csv.Error as exc:
        raise ValidationFailed(
            N_("{file} is not a readable CSV file ({error}). Save it again as CSV and load it again."),
            file=file,
            error=str(exc),
        ) from exc
    return _text_table(file, records)


def _read_parquet(path: Path) -> pa.Table:
    try:
        table = pq.read_table(path)
    except (pa.ArrowException, OSError) as exc:
        raise ValidationFailed(
            N_("{file} is not a readable Parquet file. Export it again and load it again."),
            file=path.name,
        ) from exc
    return table.replace_schema_metadata({**(table.schema.metadata or {}), _META_FIRST: b"1"})


def _read_xlsx(path: Path, sheet: str | None) -> pa.Table:
    if not zipfile.is_zipfile(path):
        raise _not_workbook(path.name)
    try:
        book = load_workbook(path, read_only=True, data_only=True)
    except (InvalidFileException, zipfile.BadZipFile, KeyError, OSError) as exc:
        raise _not_workbook(path.name) from exc
    try:
        if sheet is None:
            ws = book.worksheets[0]
        elif sheet in book.sheetnames:
            ws = book[sheet]
        else:
            raise ValidationFailed(
                N_('{file} has no sheet named "{sheet}"; its sheets are {sheets}. Name one of them.'),
                file=path.name,
                sheet=sheet,
                sheets=", ".join(book.sheetnames),
            )
        records = [[_cell(v) for v in row] for row in ws.iter_rows(values_only=True)]
    finally:
        book.close()
    return _text_table(path.name, records)


def _not_workbook(file: str) -> ValidationFailed:
    return ValidationFailed(
        N_(
            "{file} is not an Excel workbook, although its name ends in .xlsx. "
            'Open it in Excel and save it as "Excel Workbook (*.xlsx)".'
        ),
        file=file,
    )


def _cell(value: Any) -> str:
    if isinstance(value, datetime):
        return value.date().isoformat() if value.time() == time() else value.isoformat(sep=" ")
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, bool):
        return "true" if value else "false"
    return cell_text(value)


def _text_table(file: str, records: Sequence[Sequence[str]]) -> pa.Table:
    """Header + rows of text as a table of strings; blank rows are dropped but keep their numbers."""
    if not records or not any(h.strip() for h in records[0]):
        raise ValidationFailed(N_("{file} is empty: its first row must hold the column headers."), file=file)
    header = [h.strip() for h in records[0]]
    while header and not header[-1]:
        header.pop()
    rows: list[Sequence[str]] = []
    blanks: list[int] = []  # indexes (into rows) before which a blank row was dropped
    for record in records[1:]:
        if not any(v.strip() for v in record):
            blanks.append(len(rows))
            continue
        rows.append(record)
    names = [h or f"column_{i + 1}" for i, h in enumerate(header)]
    columns = [
        pa.array(
            [(r[i].strip() or None) if i < len(r) else None for r in rows],
            type=pa.string(),
        )
        for i in range(len(names))
    ]
    metadata = {_META_FIRST: b"2", _META_BLANKS: json.dumps(blanks).encode()}
    return pa.Table.from_arrays(columns, names=names).replace_schema_metadata(metadata)


def _row_numbers(table: pa.Table) -> Callable[[int], int]:
    """Maps a row index of a table from ``read_source`` to the row number the user sees."""
    meta = table.schema.metadata or {}
    first = int(meta.get(_META_FIRST, b"2"))
    blanks: list[int] = json.loads(meta.get(_META_BLANKS, b"[]"))

    def number(index: int) -> int:
        return index + first + sum(1 for b in blanks if b <= index)

    return number


# --- checking and casting ------------------------------------------------------------------


def check_table(table: pa.Table, schema: SourceSchema, *, source_name: str) -> list[Problem]:
    """Everything wrong with ``table`` against ``schema``; an empty list when it loads cleanly."""
    return _check(table, schema, source_name)[0]


def load_checked(
    path: str | Path, schema: SourceSchema, *, source_name: str, sheet: str | None = None
) -> pa.Table:
    """The file as a table cast to the declared types; ValidationFailed with every problem otherwise.

    Declared columns come first in declared order (optional ones missing from the file are
    added as nulls); undeclared ones follow (``extra: allow``) or are dropped (``ignore``).
    """
    return cast_checked(read_source(path, sheet=sheet), schema, source_name=source_name)


def cast_checked(table: pa.Table, schema: SourceSchema, *, source_name: str) -> pa.Table:
    """``table`` (from a file, a SQL query or a push) checked and cast like ``load_checked``."""
    problems, typed = _check(table, schema, source_name)
    if problems:
        raise ValidationFailed(
            N_("{source} cannot be loaded: {count} problem(s) found; nothing was loaded."),
            problems=problems,
            source=source_name,
            count=len(problems),
        )
    names: list[str] = []
    arrays: list[pa.Array | pa.ChunkedArray] = []
    for column in schema.columns:
        names.append(column.name)
        arrays.append(typed.get(column.name, pa.nulls(table.num_rows, type=arrow_type(column))))
    if schema.extra == "allow":
        for name in table.column_names:
            if schema.column(name) is None:
                names.append(name)
                arrays.append(table.column(name))
    return pa.Table.from_arrays(arrays, names=names)


def numbered_from(table: pa.Table, first: int) -> pa.Table:
    """``table`` whose rows problems name from ``first`` (1 for pushed records and SQL rows)."""
    meta = dict(table.schema.metadata or {})
    meta[_META_FIRST] = str(first).encode()
    return table.replace_schema_metadata(meta)


def column_quality(table: pa.Table, schema: SourceSchema) -> dict[str, dict[str, int]]:
    """Per declared column: how many values are null and how many fall outside allowed/min/max."""
    out: dict[str, dict[str, int]] = {}
    for column in schema.columns:
        if column.name not in table.column_names:
            continue
        values = table.column(column.name)
        invalid = 0
        if column.allowed is not None:
            allowed = pa.array(column.allowed, pa.string())
            as_text = pc.cast(values, pa.string())
            invalid += (
                pc.sum(pc.and_(pc.is_valid(as_text), pc.invert(pc.is_in(as_text, allowed)))).as_py() or 0
            )
        if (column.min is not None or column.max is not None) and column.type in ("integer", "decimal"):
            numbers = pc.cast(values, pa.float64())
            checks = []
            if column.min is not None:
                checks.append(pc.less(numbers, column.min))
            if column.max is not None:
                checks.append(pc.greater(numbers, column.max))
            outside = checks[0] if len(checks) == 1 else pc.or_(*checks)
            invalid += pc.sum(pc.fill_null(outside, False)).as_py() or 0
        out[column.name] = {"nulls": values.null_count, "invalid": int(invalid)}
    return out


def _check(
    table: pa.Table, schema: SourceSchema, source: str
) -> tuple[list[Problem], dict[str, pa.Array | pa.ChunkedArray]]:
    number = _row_numbers(table)
    problems: list[Problem] = []
    present = table.column_names
    for name in sorted({n for n in present if present.count(n) > 1}):
        problems.append(
            Problem(
                N_('{source}: column "{column}" appears more than once. Keep one column with this header.'),
                {"source": source, "column": name},
                row=1,
                field=name,
            )
        )
    for column in schema.columns:
        if column.required and column.name not in present:
            problems.append(
                Problem(
                    N_('{source}: column "{column}" is missing. Add a column headed "{column}" to the file.'),
                    {"source": source, "column": column.name},
                    row=1,
                    field=column.name,
                )
            )
    if schema.extra == "forbid":
        for name in dict.fromkeys(present):
            if schema.column(name) is None:
                problems.append(
                    Problem(
                        N_(
                            '{source}: column "{column}" is not declared. '
                            "Remove it from the file or declare it in the source schema."
                        ),
                        {"source": source, "column": name},
                        row=1,
                        field=name,
                    )
                )
    typed: dict[str, pa.Array | pa.ChunkedArray] = {}
    for column in schema.columns:
        if column.name not in present or present.count(column.name) > 1:
            continue
        values, bad = _convert(table.column(column.name), column)
        if bad:
            problems.append(_bad_values(source, column, bad, number))
        else:
            typed[column.name] = values
    if schema.key and all(k in typed for k in schema.key):
        problems += _key_problems(source, schema.key, [typed[k] for k in schema.key], number)
    return problems, typed


_BAD_VALUE = {
    "string": N_(
        '{source}: column "{column}" must hold text; {count} value(s) cannot be read as text, '
        "e.g. rows {rows}: {values}. Export the column as plain text."
    ),
    "integer": N_(
        '{source}: column "{column}" must hold whole numbers; {count} value(s) do not, '
        "e.g. rows {rows}: {values}. Write numbers such as 42, without units or decimals."
    ),
    "decimal": N_(
        '{source}: column "{column}" must hold numbers; {count} value(s) do not, '
        "e.g. rows {rows}: {values}. Write numbers such as 1234.5, without units or currency signs."
    ),
    "date": N_(
        '{source}: column "{column}" must hold dates; {count} value(s) do not, '
        "e.g. rows {rows}: {values}. Write dates as YYYY-MM-DD, e.g. 2024-03-31."
    ),
    "timestamp": N_(
        '{source}: column "{column}" must hold dates with times; {count} value(s) do not, '
        "e.g. rows {rows}: {values}. Write them as YYYY-MM-DD HH:MM:SS, e.g. 2024-03-31 14:05:00."
    ),
    "boolean": N_(
        '{source}: column "{column}" must hold yes/no values; {count} value(s) do not, '
        "e.g. rows {rows}: {values}. Write true or false (or 1/0, yes/no, 是/否)."
    ),
}


def _bad_values(
    source: str, column: SourceColumn, bad: list[tuple[int, Any]], number: Callable[[int], int]
) -> Problem:
    rows = [number(i) for i, _ in bad[:SAMPLES]]
    return Problem(
        _BAD_VALUE[column.type],
        {
            "source": source,
            "column": column.name,
            "count": len(bad),
            "rows": ", ".join(str(r) for r in rows),
            "values": ", ".join(f'"{v}"' for _, v in bad[:SAMPLES]),
        },
        row=rows[0],
        field=column.name,
    )


def _key_problems(
    source: str,
    key: list[str],
    arrays: list[pa.Array | pa.ChunkedArray],
    number: Callable[[int], int],
) -> list[Problem]:
    problems: list[Problem] = []
    for name, values in zip(key, arrays, strict=True):
        empty = pc.indices_nonzero(pc.is_null(values)).to_pylist()
        if empty:
            rows = [number(i) for i in empty[:SAMPLES]]
            problems.append(
                Problem(
                    N_(
                        '{source}: key column "{column}" is empty in {count} row(s), e.g. rows {rows}. '
                        "Fill in every key value."
                    ),
                    {
                        "source": source,
                        "column": name,
                        "count": len(empty),
                        "rows": ", ".join(map(str, rows)),
                    },
                    row=rows[0],
                    field=name,
                )
            )
    seen: dict[tuple[Any, ...], list[int]] = {}
    for index, values in enumerate(zip(*(a.to_pylist() for a in arrays), strict=True)):
        if None not in values:
            seen.setdefault(values, []).append(index)
    duplicated = [(k, rows) for k, rows in seen.items() if len(rows) > 1]
    label = ", ".join(key)
    for values, indexes in duplicated[:MAX_DUPLICATES]:
        rows = [number(i) for i in indexes]
        problems.append(
            Problem(
                N_(
                    "{source}: key ({key}) = ({value}) appears in {count} rows: {rows}. "
                    "Keep one row per key, or add a column to the key."
                ),
                {
                    "source": source,
                    "key": label,
                    "value": ", ".join(_show(v) for v in values),
                    "count": len(rows),
                    "rows": ", ".join(map(str, rows[:SAMPLES])),
                },
                row=rows[0],
                field=key[0],
            )
        )
    if len(duplicated) > MAX_DUPLICATES:
        problems.append(
            Problem(
                N_("{source}: {count} more duplicated keys ({key}) are not listed. Keep one row per key."),
                {"source": source, "key": label, "count": len(duplicated) - MAX_DUPLICATES},
                field=key[0],
            )
        )
    return problems


def _show(value: Any) -> str:
    return value.isoformat(sep=" ") if isinstance(value, datetime) else str(value)


_FAST_FROM: dict[str, Callable[[pa.DataType], bool]] = {
    "string": lambda t: True,
    "integer": lambda t: pa.types.is_integer(t) or pa.types.is_floating(t) or pa.types.is_decimal(t),
    "decimal": lambda t: pa.types.is_integer(t) or pa.types.is_decimal(t),
    "date": lambda t: pa.types.is_date(t) or pa.types.is_timestamp(t),
    "timestamp": lambda t: pa.types.is_date(t) or (pa.types.is_timestamp(t) and t.tz is None),
    "boolean": lambda t: pa.types.is_boolean(t),
}


def _convert(
    values: pa.ChunkedArray, column: SourceColumn
) -> tuple[pa.Array | pa.ChunkedArray, list[tuple[int, Any]]]:
    """The column cast to its declared type, or the (index, value) pairs that do not parse.

    Arrow's cast is tried first (fast, ISO text); whatever it refuses is parsed value by value,
    which also accepts the looser forms people type (2024/3/1, 1,234.5, 是/否, an offset).
    """
    target = arrow_type(column)
    if values.type == target:
        return values, []
    if pa.types.is_string(values.type) or pa.types.is_large_string(values.type):
        values = pc.utf8_trim_whitespace(values)
        values = pc.if_else(pc.equal(values, ""), pa.scalar(None, values.type), values)
        fast = True  # Arrow's cast reads ISO text; it refuses more decimals than the scale
    else:
        fast = _FAST_FROM[column.type](values.type)
    if fast:
        try:
            return pc.cast(values, target), []
        except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
            pass  # some value is not in Arrow's form (2026/1/7, 1,000, 是): parse value by value below
    parse = _PARSERS[column.type]
    out: list[Any] = []
    bad: list[tuple[int, Any]] = []
    for index, value in enumerate(values.to_pylist()):
        if value is None:
            out.append(None)
            continue
        try:
            out.append(parse(value, column))
        except (ValueError, TypeError, ArithmeticError):
            bad.append((index, value))
    if bad:
        return values, bad
    return pa.array(out, type=target), []


def _parse_string(value: Any, column: SourceColumn) -> str:
    if isinstance(value, list | dict | bytes):
        raise ValueError(value)
    return _cell(value)


def _number(value: Any) -> Decimal:
    if isinstance(value, bool):
        raise ValueError(value)
    if isinstance(value, int | Decimal):
        return Decimal(value)
    if isinstance(value, float):
        return Decimal(repr(value))
    text = str(value).strip()
    if "," in text and "." not in text.split(",")[-1]:
        groups = text.lstrip("+-").split(",")
        if not (1 <= len(groups[0]) <= 3 and all(len(g.split(".")[0]) == 3 for g in groups[1:])):
            raise ValueError(value)
        text = text.replace(",", "")
    number = Decimal(text)
    if not number.is_finite():
        raise ValueError(value)
    return number


def _parse_integer(value: Any, column: SourceColumn) -> int:
    number = _number(value)
    if number != number.to_integral_value():
        raise ValueError(value)
    result = int(number)
    if not -(2**63) <= result < 2**63:
        raise ValueError(value)
    return result


def _parse_decimal(value: Any, column: SourceColumn) -> Decimal:
    number = _number(value).quantize(Decimal(1).scaleb(-column.scale), rounding=ROUND_HALF_UP)
    if len(number.as_tuple().digits) > 38:
        raise ValueError(value)
    return number


def _parse_date(value: Any, column: SourceColumn) -> date:
    if isinstance(value, int | float | Decimal):
        raise ValueError(value)
    result = parse_date(value)
    if result is None:
        raise ValueError(value)
    return result


def _parse_timestamp(value: Any, column: SourceColumn) -> datetime:
    if isinstance(value, datetime):
        moment = value
    elif isinstance(value, date):
        return datetime.combine(value, time())
    elif isinstance(value, str):
        text = value.strip().replace("/", "-")
        moment = datetime.fromisoformat(text[:-1] + "+00:00" if text.endswith(("Z", "z")) else text)
    else:
        raise ValueError(value)
    if moment.tzinfo is not None:  # with an offset: stored as UTC
        moment = moment.astimezone(UTC).replace(tzinfo=None)
    return moment


def _parse_boolean(value: Any, column: SourceColumn) -> bool:
    if isinstance(value, bool):
        return value
    text = str(value).strip().lower()
    if text in _TRUE:
        return True
    if text in _FALSE:
        return False
    raise ValueError(value)


_PARSERS: dict[str, Callable[[Any, SourceColumn], Any]] = {
    "string": _parse_string,
    "integer": _parse_integer,
    "decimal": _parse_decimal,
    "date": _parse_date,
    "timestamp": _parse_timestamp,
    "boolean": _parse_boolean,
}
