"""The periods a dashboard can show: those the batch computation has stored figures for.

A period is written the way people say it: ``2026-Q3``, ``2026-07`` or ``2026``. A dashboard
without one shows the latest quarter that has figures (a quarter is what reviews look at; the
latest month when no quarter was computed). A period that has not ended yet is "to date".
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, timedelta
from typing import cast

from sqlalchemy import select
from sqlalchemy.orm import Session

from northstar.data.models import MetricActual
from northstar.errors import N_, ValidationFailed
from northstar.metrics.compiler import periods
from northstar.metrics.spec import Grain

#: the grains a dashboard offers, the one shown by default first
GRAINS = ("quarter", "month", "year")
_CODE = re.compile(r"^(?P<year>\d{4})(?:-(?:Q(?P<quarter>[1-4])|(?P<month>0[1-9]|1[0-2])))?$")


@dataclass(frozen=True, order=True)
class Period:
    grain: str
    start: date

    @property
    def end(self) -> date:
        """The first day after the period."""
        grain = cast(Grain, self.grain)
        return periods(grain, self.start, self.start + timedelta(days=1), "UTC")[0].local_to

    @property
    def code(self) -> str:
        if self.grain == "quarter":
            return f"{self.start.year}-Q{(self.start.month - 1) // 3 + 1}"
        if self.grain == "month":
            return f"{self.start.year}-{self.start.month:02d}"
        return str(self.start.year)

    def to_date(self, today: date) -> bool:
        """Whether the period is still running on ``today`` (its figures are so far)."""
        return self.start <= today < self.end


def parse(code: str) -> Period:
    """``2026-Q3`` → the third quarter, ``2026-07`` → July, ``2026`` → the year."""
    found = _CODE.match(code.strip())
    if found is None:
        raise ValidationFailed(
            N_(
                'period: "{value}" is not a period; write a quarter (2026-Q3), a month (2026-07) or a year (2026).'
            ),
            value=code,
            field="period",
        )
    year = int(found["year"])
    if found["quarter"]:
        return Period("quarter", date(year, (int(found["quarter"]) - 1) * 3 + 1, 1))
    if found["month"]:
        return Period("month", date(year, int(found["month"]), 1))
    return Period("year", date(year, 1, 1))


def available(db: Session) -> list[Period]:
    """Every period with stored figures at a dashboard grain, newest first."""
    rows = db.execute(
        select(MetricActual.grain, MetricActual.period_start)
        .where(
            MetricActual.grain.in_(GRAINS), MetricActual.scope_kind.in_(("company", "department", "person"))
        )
        .distinct()
    )
    return sorted(
        (Period(g, s) for g, s in rows), key=lambda p: (p.start, -GRAINS.index(p.grain)), reverse=True
    )


def choose(db: Session, code: str | None) -> tuple[Period | None, list[Period]]:
    """The period asked for (checked to have figures), else the default; and all available."""
    offered = available(db)
    if code:
        period = parse(code)
        if period not in offered:
            raise ValidationFailed(
                N_("period: nothing has been computed for {value} yet; choose one of: {known}."),
                value=period.code,
                known=", ".join(p.code for p in offered[:12]) or "—",
                field="period",
            )
        return period, offered
    for grain in GRAINS:
        found = [p for p in offered if p.grain == grain]
        if found:
            return found[0], offered
    return None, offered
