"""What the method asks of a department's KPI pool (S5.2, S5.3), checked on every read: about
five core indicators, core weights summing to 100, both admission questions answered, A-tier
candidates with a complete card, every candidate pointing at a customer value."""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from northstar.customers.models import DepartmentProduct
from northstar.db import plain
from northstar.errors import N_, Named
from northstar.indicators.service import missing_elements
from northstar.org.models import Department
from northstar.pools.models import KpiCandidate, Tier

#: the core set the method advises ("5 个左右"), and the range outside which the pool page warns
CORE_ADVISED = 5
CORE_MIN, CORE_MAX = 3, 7
ERROR, WARNING = "error", "warning"


@dataclass(frozen=True)
class Finding:
    """One thing to fix in a pool: ``message`` is a catalogue key rendered with ``params``;
    ``elements`` lists the missing card elements (keys of web/labels.CARD_ELEMENTS)."""

    severity: str  # "error" blocks assessment; "warning" is advice
    message: str
    params: dict[str, Any] = field(default_factory=dict)
    candidate_id: int | None = None
    field: str | None = None
    elements: tuple[str, ...] = ()


def candidate_name(cand: KpiCandidate) -> Named:
    """A candidate's name as a message parameter, in the reader's language."""
    return Named(cand.name_en or cand.name, cand.name)


def core_blockers(cand: KpiCandidate) -> list[str]:
    """Why a candidate cannot be core (messages taking {candidate} and {tier}); empty if it can."""
    out = []
    if cand.tier is not Tier.A:
        out.append(
            N_("{candidate} is tier {tier}: only A-tier indicators can be core. Set its tier to A first.")
        )
    if cand.affects_value is not True:
        out.append(
            N_(
                "{candidate} has no yes to the first admission question (does it visibly affect a "
                "customer value point or journey stage?): answer it yes first."
            )
        )
    if cand.perceivable is not True:
        out.append(
            N_(
                "{candidate} has no yes to the second admission question (would the customer perceive "
                "the difference if it were good?): answer it yes first."
            )
        )
    return out


def findings_of(cands: list[KpiCandidate]) -> list[Finding]:
    """The findings of one department's pool, errors first."""
    out: list[Finding] = []
    core = [c for c in cands if c.core]
    if not CORE_MIN <= len(core) <= CORE_MAX:
        out.append(
            Finding(
                WARNING,
                N_(
                    "The core set has {count} indicators, outside {min}–{max}: assess about {advised} "
                    "A-tier indicators — fewer leaves customer value unmeasured, more dilutes attention."
                ),
                {"count": len(core), "min": CORE_MIN, "max": CORE_MAX, "advised": CORE_ADVISED},
                field="core",
            )
        )
    if core:
        unweighted = [c for c in core if c.weight is None]
        for c in unweighted:
            out.append(
                Finding(
                    ERROR,
                    N_("{candidate} is core but has no weight: give it a weight in %."),
                    {"candidate": candidate_name(c)},
                    c.id,
                    "weight",
                )
            )
        total = sum((c.weight for c in core if c.weight is not None), Decimal(0))
        if total != 100:
            out.append(
                Finding(
                    ERROR,
                    N_("The core weights sum to {sum}%, not 100%: adjust them so that they add up to 100."),
                    {"sum": format(plain(total), "f")},
                    field="weight",
                )
            )
    for c in cands:
        name = candidate_name(c)
        if c.core:
            for message in core_blockers(c):
                out.append(Finding(ERROR, message, {"candidate": name, "tier": c.tier or "—"}, c.id, "core"))
        if c.affects_value is None:
            out.append(
                Finding(
                    WARNING,
                    N_(
                        "{candidate}: answer the first admission question — does it visibly affect a "
                        "customer value point or journey stage?"
                    ),
                    {"candidate": name},
                    c.id,
                    "affects_value",
                )
            )
        if c.perceivable is None:
            out.append(
                Finding(
                    WARNING,
                    N_(
                        "{candidate}: answer the second admission question — would the customer perceive "
                        "the difference if it were good?"
                    ),
                    {"candidate": name},
                    c.id,
                    "perceivable",
                )
            )
        if c.tier is Tier.A and c.card is None:
            out.append(
                Finding(
                    ERROR if c.core else WARNING,
                    N_(
                        "{candidate} is A-tier but has no indicator card: take one from the library or "
                        "write one, so that it can be assessed."
                    ),
                    {"candidate": name},
                    c.id,
                    "card",
                )
            )
        elif c.tier is Tier.A and c.card is not None and missing_elements(c.card):
            out.append(
                Finding(
                    ERROR if c.core else WARNING,
                    N_("{candidate} is A-tier but its card is a draft and cannot be assessed; it lacks:"),
                    {"candidate": name},
                    c.id,
                    "card",
                    tuple(missing_elements(c.card)),
                )
            )
        if not (c.driver_code or c.touchpoint_id or c.stage_id):
            out.append(
                Finding(
                    WARNING,
                    N_(
                        "{candidate} points at no customer value: tag it with a value driver, a touchpoint "
                        "or a journey stage."
                    ),
                    {"candidate": name},
                    c.id,
                    "driver",
                )
            )
    return sorted(out, key=lambda f: f.severity != ERROR)


@dataclass
class PoolSummary:
    """One row of the pools overview."""

    department: Department
    products: list[DepartmentProduct]
    candidates: int
    tiers: dict[str, int]  # "A"/"B"/"C"/"" (not tiered yet) → count
    core: int
    errors: int
    warnings: int

    @classmethod
    def of(
        cls, department: Department, cands: list[KpiCandidate], products: list[DepartmentProduct]
    ) -> PoolSummary:
        findings = findings_of(cands)
        tiers = {t.value: 0 for t in Tier} | {"": 0}
        for c in cands:
            tiers[c.tier.value if c.tier else ""] += 1
        return cls(
            department=department,
            products=products,
            candidates=len(cands),
            tiers=tiers,
            core=sum(1 for c in cands if c.core),
            errors=sum(1 for f in findings if f.severity == ERROR),
            warnings=sum(1 for f in findings if f.severity == WARNING),
        )

    @property
    def findings(self) -> int:
        return self.errors + self.warnings


def pool_findings(db: Session, department: Department) -> list[Finding]:
    """What to fix in a department's pool: core-set size and weights, unanswered admission
    questions, A-tier candidates with a draft card, candidates pointing at no customer value."""
    cands = db.scalars(
        select(KpiCandidate).where(KpiCandidate.department_id == department.id).order_by(KpiCandidate.id)
    )
    return findings_of(list(cands))


def pool_overview(db: Session, departments: list[Department]) -> list[PoolSummary]:
    """Per department: its products (S5.1), candidates by tier, core set size and findings."""
    ids = [d.id for d in departments]
    by_dept: dict[int, list[KpiCandidate]] = {i: [] for i in ids}
    for cand in db.scalars(
        select(KpiCandidate).where(KpiCandidate.department_id.in_(ids)).order_by(KpiCandidate.id)
    ):
        by_dept[cand.department_id].append(cand)
    products: dict[int, list[DepartmentProduct]] = {i: [] for i in ids}
    for product in db.scalars(
        select(DepartmentProduct)
        .where(DepartmentProduct.department_id.in_(ids))
        .order_by(DepartmentProduct.id)
    ):
        products[product.department_id].append(product)
    return [PoolSummary.of(d, by_dept[d.id], products[d.id]) for d in departments]
