"""Data-source files (S7.1): CSV in UTF-8/BOM/GBK, Parquet and xlsx read into Arrow, checked
against a declared schema (missing/extra columns, types with row numbers, duplicate keys) and
cast all or nothing."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from openpyxl import Workbook

from northstar.errors import Problem, ValidationFailed
from northstar.metrics.sources import (
    SourceColumn,
    SourceSchema,
    check_table,
    load_checked,
    read_source,
)

pytestmark = pytest.mark.req("S7.1")

ORDERS = """order_id,customer,amount,qty,ordered_on,shipped_at,paid
A-001,C1,1234.50,2,2026-01-05,2026-01-06 09:30:00,true
A-002,C2,99.99,1,2026/1/7,2026-01-08T10:00:00Z,否
A-003,C1,"1,000",10,2026-01-09,2026-01-09,1
"""

SCHEMA = SourceSchema(
    columns=[
        SourceColumn(name="order_id"),
        SourceColumn(name="customer"),
        SourceColumn(name="amount", type="decimal", scale=2),
        SourceColumn(name="qty", type="integer"),
        SourceColumn(name="ordered_on", type="date"),
        SourceColumn(name="shipped_at", type="timestamp"),
        SourceColumn(name="paid", type="boolean"),
        SourceColumn(name="region", required=False),
    ],
    key=["order_id"],
)

TYPES = {
    "order_id": pa.string(),
    "customer": pa.string(),
    "amount": pa.decimal128(38, 2),
    "qty": pa.int64(),
    "ordered_on": pa.date32(),
    "shipped_at": pa.timestamp("us"),
    "paid": pa.bool_(),
    "region": pa.string(),
}


def _write(tmp_path: Path, name: str, text: str, encoding: str = "utf-8") -> Path:
    path = tmp_path / name
    path.write_bytes(text.encode(encoding))
    return path


def _failure(path: Path, schema: SourceSchema = SCHEMA) -> ValidationFailed:
    with pytest.raises(ValidationFailed) as caught:
        load_checked(path, schema, source_name="orders")
    return caught.value


def _text(problem: Problem) -> str:
    return problem.message.format(**problem.params)


def _assert_typed(table: pa.Table) -> None:
    assert {f.name: f.type for f in table.schema} == TYPES
    rows = table.to_pylist()
    assert [r["amount"] for r in rows] == [Decimal("1234.50"), Decimal("99.99"), Decimal("1000.00")]
    assert [r["qty"] for r in rows] == [2, 1, 10]
    assert [r["ordered_on"] for r in rows] == [date(2026, 1, 5), date(2026, 1, 7), date(2026, 1, 9)]
    assert [r["shipped_at"] for r in rows] == [
        datetime(2026, 1, 6, 9, 30),
        datetime(2026, 1, 8, 10, 0),
        datetime(2026, 1, 9, 0, 0),
    ]
    assert [r["paid"] for r in rows] == [True, False, True]
    assert [r["region"] for r in rows] == [None, None, None]


def test_csv_loads_with_declared_types(tmp_path: Path) -> None:
    path = _write(tmp_path, "orders.csv", ORDERS)
    _assert_typed(load_checked(path, SCHEMA, source_name="orders"))
    # read_source with an expected schema does the same; without one, everything is text
    _assert_typed(read_source(path, expected=SCHEMA))
    raw = read_source(path)
    assert raw.column("qty").to_pylist() == ["2", "1", "10"]
    # more decimals than the declared scale are rounded half up
    rounded = _write(tmp_path, "r.csv", ORDERS.replace("99.99", "99.985"))
    assert load_checked(rounded, SCHEMA, source_name="r").column("amount")[1].as_py() == Decimal("99.99")


def test_csv_with_bom_and_blank_lines(tmp_path: Path) -> None:
    path = _write(tmp_path, "orders.csv", "\ufeff" + ORDERS.replace("\nA-002", "\n\nA-002"))
    table = load_checked(path, SCHEMA, source_name="orders")
    assert table.column_names[0] == "order_id"
    assert table.num_rows == 3
    # a blank line counts in row numbers: A-003 is on row 5
    bad = _write(
        tmp_path, "bad.csv", "\ufeff" + ORDERS.replace("\nA-002", "\n\nA-002").replace(",10,", ",x,")
    )
    problem = _failure(bad).problems[0]
    assert problem.row == 5 and problem.field == "qty"


def test_parquet_loads_with_declared_types(tmp_path: Path) -> None:
    table = pa.table(
        {
            "order_id": ["A-001", "A-002", "A-003"],
            "customer": ["C1", "C2", "C1"],
            "amount": [1234.5, 99.99, 1000.0],
            "qty": pa.array([2, 1, 10], type=pa.int32()),
            "ordered_on": [date(2026, 1, 5), date(2026, 1, 7), date(2026, 1, 9)],
            "shipped_at": pa.array(
                [datetime(2026, 1, 6, 9, 30), datetime(2026, 1, 8, 18, 0), datetime(2026, 1, 9)],
                type=pa.timestamp("ms", tz="Asia/Shanghai"),
            ),
            "paid": [True, False, True],
        }
    )
    path = tmp_path / "orders.parquet"
    pq.write_table(table, path)
    loaded = load_checked(path, SCHEMA, source_name="orders")
    # time-zone-aware timestamps are stored as naive UTC (the instants above were written as UTC)
    assert {f.name: f.type for f in loaded.schema} == TYPES
    assert loaded.column("amount").to_pylist() == [Decimal("1234.50"), Decimal("99.99"), Decimal("1000.00")]
    assert loaded.column("qty").to_pylist() == [2, 1, 10]
    assert loaded.column("shipped_at").to_pylist()[0] == datetime(2026, 1, 6, 9, 30)


def _xlsx(path: Path, rows: list[list[object]], title: str = "Orders", first: str | None = None) -> None:
    book = Workbook()
    ws = book.active
    assert ws is not None
    if first is not None:
        ws.title = first
        ws.append(["nothing here"])
        ws = book.create_sheet(title)
    else:
        ws.title = title
    for row in rows:
        ws.append(row)
    book.save(path)


XLSX_ROWS: list[list[object]] = [
    ["order_id", "customer", "amount", "qty", "ordered_on", "shipped_at", "paid"],
    ["A-001", "C1", 1234.5, 2, datetime(2026, 1, 5), datetime(2026, 1, 6, 9, 30), True],
    ["A-002", "C2", 99.99, 1.0, "2026/1/7", "2026-01-08 10:00:00", False],
    ["A-003", "C1", 1000, 10, date(2026, 1, 9), datetime(2026, 1, 9), 1],
]


def test_xlsx_loads_first_or_named_sheet(tmp_path: Path) -> None:
    path = tmp_path / "orders.xlsx"
    _xlsx(path, XLSX_ROWS)
    _assert_typed(load_checked(path, SCHEMA, source_name="orders"))
    named = tmp_path / "two.xlsx"
    _xlsx(named, XLSX_ROWS, title="订单", first="说明")
    _assert_typed(load_checked(named, SCHEMA, source_name="orders", sheet="订单"))
    with pytest.raises(ValidationFailed) as caught:
        read_source(named, sheet="Missing")
    assert 'no sheet named "Missing"' in str(caught.value) and "说明, 订单" in str(caught.value)


def test_gbk_csv_keeps_chinese_headers_and_values(tmp_path: Path) -> None:
    text = "工单号,客户,满意度,日期\nT1,华东电网,5,2026-01-05\nT2,北京地铁,4,2026-01-06\n"
    path = _write(tmp_path, "工单.csv", text, "gbk")
    schema = SourceSchema(
        columns=[
            SourceColumn(name="工单号"),
            SourceColumn(name="客户"),
            SourceColumn(name="满意度", type="integer"),
            SourceColumn(name="日期", type="date"),
        ],
        key=["工单号"],
        extra="forbid",
    )
    table = load_checked(path, schema, source_name="工单")
    assert table.column_names == ["工单号", "客户", "满意度", "日期"]
    assert table.column("客户").to_pylist() == ["华东电网", "北京地铁"]
    assert table.column("满意度").to_pylist() == [5, 4]


@pytest.mark.parametrize(
    ("encoding", "expected"),
    [
        ("shift_jis", "顧客.csv is neither UTF-8 nor GBK encoded"),
        ("utf-16-le", "顧客.csv is UTF-16 encoded"),
        ("utf-16-be", "顧客.csv is UTF-16 encoded"),
    ],
)
def test_other_encodings_are_refused_by_name(tmp_path: Path, encoding: str, expected: str) -> None:
    path = _write(
        tmp_path, "顧客.csv", "顧客,売上,担当者\n東京支店,100,やまだ\n大阪支店,200,すずき\n", encoding
    )
    with pytest.raises(ValidationFailed) as caught:
        read_source(path)
    message = str(caught.value)
    assert expected in message
    assert 'Save it as UTF-8 ("CSV UTF-8" in Excel) and load it again.' in message


def test_missing_and_extra_columns(tmp_path: Path) -> None:
    text = ORDERS.replace("qty,", "quantity,")
    path = _write(tmp_path, "orders.csv", text)
    schema = SCHEMA.model_copy(update={"extra": "forbid"})
    failed = _failure(path, schema)
    assert str(failed) == "orders cannot be loaded: 2 problem(s) found; nothing was loaded."
    texts = [_text(p) for p in failed.problems]
    assert texts == [
        'orders: column "qty" is missing. Add a column headed "qty" to the file.',
        'orders: column "quantity" is not declared. '
        "Remove it from the file or declare it in the source schema.",
    ]
    assert [(p.field, p.row) for p in failed.problems] == [("qty", 1), ("quantity", 1)]
    # extra columns are kept by default and dropped with "ignore"
    ok = _write(tmp_path, "extra.csv", ORDERS.replace("paid\n", "paid,note\n"))
    assert load_checked(ok, SCHEMA, source_name="orders").column_names[-1] == "note"
    ignore = SCHEMA.model_copy(update={"extra": "ignore"})
    assert "note" not in load_checked(ok, ignore, source_name="orders").column_names


def test_bad_dates_and_numbers_name_rows_and_values(tmp_path: Path) -> None:
    text = (
        "order_id,customer,amount,qty,ordered_on,shipped_at,paid\n"
        "A-001,C1,12元,2,2026-01-05,2026-01-06 09:30,true\n"
        "A-002,C2,99.99,1.5,2026-02-30,2026-01-08,maybe\n"
        "A-003,C1,,3,next week,yesterday,\n"
        "A-004,C1,7,4,2026-01-07,2026-01-08,0\n"
    )
    failed = _failure(_write(tmp_path, "orders.csv", text))
    by_field = {p.field: p for p in failed.problems}
    assert set(by_field) == {"amount", "qty", "ordered_on", "shipped_at", "paid"}
    assert _text(by_field["ordered_on"]) == (
        'orders: column "ordered_on" must hold dates; 2 value(s) do not, e.g. rows 3, 4: '
        '"2026-02-30", "next week". Write dates as YYYY-MM-DD, e.g. 2024-03-31.'
    )
    assert by_field["ordered_on"].row == 3
    assert _text(by_field["amount"]) == (
        'orders: column "amount" must hold numbers; 1 value(s) do not, e.g. rows 2: "12元". '
        "Write numbers such as 1234.5, without units or currency signs."
    )
    assert by_field["qty"].row == 3 and '"1.5"' in _text(by_field["qty"])
    assert "rows 4" in _text(by_field["shipped_at"])
    assert "rows 3" in _text(by_field["paid"]) and "是/否" in _text(by_field["paid"])


def test_duplicate_and_empty_keys(tmp_path: Path) -> None:
    text = ORDERS + "A-001,C3,5,1,2026-01-10,2026-01-10,false\n,C3,5,1,2026-01-10,2026-01-10,false\n"
    failed = _failure(_write(tmp_path, "orders.csv", text))
    texts = [_text(p) for p in failed.problems]
    assert texts == [
        'orders: key column "order_id" is empty in 1 row(s), e.g. rows 6. Fill in every key value.',
        "orders: key (order_id) = (A-001) appears in 2 rows: 2, 5. "
        "Keep one row per key, or add a column to the key.",
    ]
    assert [(p.field, p.row) for p in failed.problems] == [("order_id", 6), ("order_id", 2)]


def test_composite_keys_compare_typed_values(tmp_path: Path) -> None:
    schema = SourceSchema(
        columns=[SourceColumn(name="customer"), SourceColumn(name="day", type="date")],
        key=["customer", "day"],
    )
    path = _write(tmp_path, "k.csv", "customer,day\nC1,2026-01-05\nC1,2026/1/5\nC2,2026-01-05\n")
    problems = check_table(read_source(path), schema, source_name="k")
    assert [_text(p) for p in problems] == [
        "k: key (customer, day) = (C1, 2026-01-05) appears in 2 rows: 2, 3. "
        "Keep one row per key, or add a column to the key."
    ]


def test_check_table_is_empty_for_good_data(tmp_path: Path) -> None:
    assert check_table(read_source(_write(tmp_path, "o.csv", ORDERS)), SCHEMA, source_name="o") == []


def test_unreadable_files_are_refused(tmp_path: Path) -> None:
    fake = _write(tmp_path, "orders.xlsx", ORDERS)
    with pytest.raises(ValidationFailed, match=r"orders.xlsx is not an Excel workbook"):
        read_source(fake)
    with pytest.raises(ValidationFailed, match=r"orders.parquet is not a readable Parquet file"):
        read_source(_write(tmp_path, "orders.parquet", ORDERS))
    with pytest.raises(ValidationFailed, match=r"orders.json is neither CSV, Parquet nor Excel"):
        read_source(_write(tmp_path, "orders.json", "{}"))
    with pytest.raises(ValidationFailed, match=r"does not exist"):
        read_source(tmp_path / "nowhere.csv")
    with pytest.raises(ValidationFailed, match=r"empty.csv is empty"):
        read_source(_write(tmp_path, "empty.csv", ""))


def test_schema_declaration_is_checked() -> None:
    with pytest.raises(ValueError, match="key columns not declared in columns: id"):
        SourceSchema(columns=[SourceColumn(name="name")], key=["id"])
    with pytest.raises(ValueError, match="declared more than once: a"):
        SourceSchema(columns=[SourceColumn(name="a"), SourceColumn(name="a", type="integer")])
