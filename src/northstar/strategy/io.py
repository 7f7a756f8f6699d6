"""Strategy records and their ranked customer values as workbook sheets."""

from __future__ import annotations

from collections import defaultdict
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from northstar import catalogue
from northstar.errors import N_
from northstar.security.principal import Principal
from northstar.strategy import service
from northstar.strategy.models import StrategyRecord
from northstar.tabular import Column, SheetSpec, Table, cell_text
from northstar.workspace.service import Part, Problems, SheetOut, headers

RECORDS = SheetSpec(
    "strategy",
    ("Strategy", "战略共识"),
    (
        Column("period", ("Period", "规划期")),
        Column("title", ("Title", "标题"), required=False),
        Column("customer_focus", ("Which customers, what value", "为哪些客户创造什么价值"), required=False),
        Column("aspiration", ("How customers should rate us", "希望客户如何评价我们"), required=False),
        Column("horizon_years", ("Horizon (years)", "展望年限"), required=False),
    ),
)
PRIORITIES = SheetSpec(
    "strategy_priorities",
    ("Strategy priorities", "战略客户价值排序"),
    (
        Column("period", ("Period", "规划期")),
        Column("rank", ("Rank", "排序")),
        Column("segment_code", ("Segment code", "细分编码"), required=False),
        Column("customer_code", ("Customer code", "客户编码"), required=False),
        Column("driver", ("Value driver", "价值要素")),
        Column("statement", ("Statement", "表述"), required=False),
    ),
)


def import_tables(db: Session, principal: Principal, tables: dict[str, Table], problems: Problems) -> None:
    records = tables.get("strategy")
    for row, raw in records.rows if records else []:
        rec = {k: cell_text(v) for k, v in raw.items()}
        horizon = rec.get("horizon_years") or "3"
        if not horizon.isdigit():
            problems.add(
                "strategy", row, "horizon_years", N_("The horizon is not a whole number: write 3, 4 or 5.")
            )
            continue
        fields: dict[str, Any] = {
            "title": rec.get("title", ""),
            "customer_focus": rec.get("customer_focus", ""),
            "aspiration": rec.get("aspiration", ""),
            "horizon_years": int(horizon),
        }
        with problems.at("strategy", row, "period"):
            existing = db.scalar(select(StrategyRecord).where(StrategyRecord.period == rec.get("period", "")))
            if existing is None:
                service.create_record(db, principal, period=rec.get("period", ""), **fields)
            else:
                service.update_record(
                    db, principal, existing, version=existing.version, reason="import", **fields
                )
    grouped: dict[str, list[tuple[int, service.PriorityIn]]] = defaultdict(list)
    prio = tables.get("strategy_priorities")
    for row, raw in prio.rows if prio else []:
        rec = {k: cell_text(v) for k, v in raw.items()}
        driver = catalogue.find_driver(rec.get("driver", ""))
        if not rec.get("rank", "").isdigit():
            problems.add(
                "strategy_priorities",
                row,
                "rank",
                N_('Rank "{value}" is not a whole number: write 1 for the most important.'),
                value=rec.get("rank", ""),
            )
            continue
        grouped[rec.get("period", "")].append(
            (
                row,
                service.PriorityIn(
                    rank=int(rec["rank"]),
                    driver_code=driver.code if driver else rec.get("driver", ""),
                    segment_code=rec.get("segment_code") or None,
                    customer_code=rec.get("customer_code") or None,
                    statement=rec.get("statement", ""),
                ),
            )
        )
    for period, items in grouped.items():
        found, _resolved = service.check_priorities(
            db, [p for _, p in items], sheet="strategy_priorities", rows=[r for r, _ in items]
        )
        if found:
            problems.items.extend(found)
            continue
        with problems.at("strategy_priorities", items[0][0], "period"):
            record = db.scalar(select(StrategyRecord).where(StrategyRecord.period == period))
            if record is None:
                problems.add(
                    "strategy_priorities",
                    items[0][0],
                    "period",
                    N_("No strategy record for the period {period}: add it to the Strategy sheet first."),
                    period=period,
                )
                continue
            service.save_priorities(db, principal, record, [p for _, p in items], reason="import")


def export_tables(db: Session, locale: str) -> list[SheetOut]:
    records = service.get_all_records(db)
    return [
        (
            RECORDS.name(locale),
            headers(RECORDS, locale),
            [[r.period, r.title, r.customer_focus, r.aspiration, r.horizon_years] for r in records],
        ),
        (
            PRIORITIES.name(locale),
            headers(PRIORITIES, locale),
            [
                [
                    r.period,
                    p.rank,
                    p.segment.code if p.segment else "",
                    p.customer.code if p.customer else "",
                    p.driver_code,
                    p.statement,
                ]
                for r in records
                for p in r.priorities
            ],
        ),
    ]


PART = Part("strategy", (RECORDS, PRIORITIES), import_tables, export_tables)
