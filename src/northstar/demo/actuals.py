"""The demo company's year of business data, taken in the way a customer's would be.

``business.generate`` writes the files and the HR database; here they are registered as
sources, loaded (file and SQL) or pushed over the push path with idempotency keys (surveys),
the demo metric spec is saved, cards are bound, and the actuals are computed by month, by
quarter and for the year, so that the demo's scorecards show values computed from data with their drill-down.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import date

import yaml
from sqlalchemy.orm import Session

from northstar.config import Settings
from northstar.data import compute, registry, specs
from northstar.demo import business
from northstar.security.principal import SYSTEM_PRINCIPAL

#: the months of data generated (local dates), and the quarters computed from them
MONTHS = (date(2025, 12, 1), date(2026, 12, 1))
QUARTERS = (date(2026, 1, 1), date(2027, 1, 1))


#: what ``load`` reports, in order (the stages of ``company.STAGES`` it covers)
STAGES = ("business_data", "sources", "actuals_month", "actuals_quarter", "actuals_year")


def load(db: Session, settings: Settings, *, step: Callable[[str], None] | None = None) -> None:
    """Generate, register, load, push, bind and compute the demo company's business data."""
    say = step or (lambda _: None)
    p = SYSTEM_PRINCIPAL
    data = business.load_data_yaml()
    say("business_data")
    generated = business.generate(db, settings.data_dir)
    say("sources")
    for entry in data["sources"]:
        source = registry.register_source(db, p, registry.source_in(entry))
        if source.kind != "push":
            registry.load_source(db, p, settings, source.code)
    for key, rows in generated.survey_batches:
        registry.push_batch(
            db,
            p,
            settings,
            "survey_responses",
            idempotency_key=key,
            content=json.dumps(rows, ensure_ascii=False).encode(),
            content_type="application/json",
        )
    specs.save_spec(db, p, yaml.safe_dump(data["spec"], allow_unicode=True, sort_keys=False), note="demo")
    for card, metric in data["bindings"].items():
        specs.bind(db, p, card, metric)
    say("actuals_month")
    compute.compute_actuals(db, p, settings, start=MONTHS[0], end=MONTHS[1], grain="month")
    say("actuals_quarter")
    compute.compute_actuals(db, p, settings, start=QUARTERS[0], end=QUARTERS[1], grain="quarter")
    # the year so far, as an executive reads it on the dashboards beside the quarter
    say("actuals_year")
    compute.compute_actuals(db, p, settings, start=QUARTERS[0], end=QUARTERS[1], grain="year")
