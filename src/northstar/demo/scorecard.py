"""The demo company's scorecard design (steps 4–6): its enterprise balanced scorecard, a KPI pool
for every department, every position designed by the key-responsibility-output method, an R&D
team indicator, and a personal scorecard for every employee.

The design itself is data — ``scorecard.yaml``, written in the workspace-file format — and goes
in through the same import as a customer's own file, so the demo exercises that path. Personal
scorecards are not in the file: they are made the way HR makes them, by assigning each
position's cards to all of its holders in one action.
"""

from __future__ import annotations

from datetime import date
from pathlib import Path

from sqlalchemy.orm import Session

from northstar import yamlio
from northstar.indicators import service as indicators
from northstar.org.service import get_position_by_code
from northstar.pools import service as pools
from northstar.pools.models import Tier
from northstar.positions import service as positions
from northstar.positions.schemas import CandidateRef
from northstar.scorecards import service as scorecards
from northstar.security.principal import SYSTEM_PRINCIPAL
from northstar.strategy import scorecard
from northstar.strategy import service as strategy
from northstar.workspace.design_import import import_sections, parse_document
from northstar.workspace.document import WorkspaceDoc

DESIGN_FILE = Path(__file__).with_name("scorecard.yaml")
PERIOD = "2026"
SECTIONS = ("cards", "scorecard", "pools", "positions", "teams")
#: the suggestions the customer value design already put into pools (demo/value.py): answered,
#: tiered and linked up here, where the enterprise objectives exist; they stay observed indicators
SUGGESTIONS = (
    ("CSC", "response_time", Tier.A, "C5"),
    ("CSC", "resolution_rate", Tier.B, "P4"),
    ("MFG", "on_time_delivery_rate", Tier.A, "P1"),
    ("SCM", "on_time_delivery_rate", Tier.A, "P1"),
    ("SCM", "plan_attainment_rate", Tier.B, "P1"),
    ("QA", "first_pass_yield", Tier.A, "P2"),
    ("RND", "requirement_to_delivery_cycle", Tier.B, "P3"),
)


def design() -> WorkspaceDoc:
    """The demo's scorecard design as a workspace document."""
    return parse_document(yamlio.load(DESIGN_FILE.read_text(encoding="utf-8")))


def library_codes(doc: WorkspaceDoc) -> list[str]:
    """Every card the design uses that it does not define itself: taken from the library."""
    used: set[str] = set()
    for rec in doc.strategy:
        used |= {i.card for o in rec.objectives for i in o.indicators}
    used |= {c.card for p in doc.pools for c in p.candidates if c.card}
    for pos in doc.positions:
        for r in pos.responsibilities:
            for o in r.outputs:
                used |= {o.indicator.card} if o.indicator else set()
                used |= {s.card for s in o.supporting}
        used |= {s.card for s in pos.other_indicators}
    used |= {t.card for t in doc.teams}
    return sorted(used - {c.code for c in doc.cards})


def load(db: Session, *, today: date | None = None) -> dict[str, int]:
    """Build the scorecard design on top of the demo's customer value design."""
    doc = design()
    for code in library_codes(doc):
        indicators.get_or_adopt_library_card(db, SYSTEM_PRINCIPAL, code)
    import_sections(db, SYSTEM_PRINCIPAL, doc, SECTIONS)
    record = strategy.get_record_by_period(db, PERIOD)
    for dept, code, tier, objective in SUGGESTIONS:
        cand = positions.resolve_candidate(db, CandidateRef(department=dept, indicator=code))
        pools.assess_candidate(
            db,
            SYSTEM_PRINCIPAL,
            cand,
            affects_value=True,
            affects_note="客户价值主张的推荐指标",
            perceivable=True,
            perceivable_note="客户能直接感受到",
            tier=tier,
        )
        pools.set_objective(
            db, SYSTEM_PRINCIPAL, cand, scorecard.get_objective_by_code(db, record, objective)
        )
    assigned = 0
    for pd in doc.positions:
        position = get_position_by_code(db, pd.position)
        result = scorecards.assign_position(db, SYSTEM_PRINCIPAL, position, PERIOD, today=today)
        assigned += result.created + result.refreshed
    return {"positions": len(doc.positions), "scorecards": assigned}
