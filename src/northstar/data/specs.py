"""The metric spec in force and the bindings of indicator cards to its metrics (S7.2).

The spec is saved as written (YAML), checked first by ``metrics.spec`` and then against the
registered sources: every spec source must name a registered source, and its time column and
dimension columns must be among that source's declared columns. A spec that would drop a metric
still bound to a card is refused, naming the cards.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

from sqlalchemy import select
from sqlalchemy.orm import Session

from northstar import audit
from northstar.data.models import DataSource, MetricBinding, MetricSpecVersion
from northstar.data.registry import DATA_ROLES, schema_of
from northstar.errors import N_, NotFound, Problem, ValidationFailed
from northstar.indicators import service as indicators
from northstar.metrics.spec import MetricSpec, load_spec
from northstar.security.principal import Principal


@dataclass(frozen=True)
class SpecInForce:
    version: MetricSpecVersion
    spec: MetricSpec


@lru_cache(maxsize=8)
def _parsed(text: str) -> MetricSpec:
    # a saved version never changes, and parsing and checking a spec of forty metrics takes a
    # fifth of a second: binding forty cards must not pay it forty times
    return load_spec(text)


def current_spec(db: Session) -> SpecInForce | None:
    """The newest saved spec, parsed; None before the first one is saved."""
    version = db.scalar(select(MetricSpecVersion).order_by(MetricSpecVersion.id.desc()).limit(1))
    if version is None:
        return None
    return SpecInForce(version, _parsed(version.text))


def require_spec(db: Session) -> SpecInForce:
    """The spec in force; a message saying how to provide one otherwise."""
    found = current_spec(db)
    if found is None:
        raise ValidationFailed(
            N_(
                "No metric spec has been saved yet. Save one on the Data page or with: northstar metrics spec save FILE."
            )
        )
    return found


def spec_version(db: Session, spec_id: int) -> MetricSpec:
    """A saved spec version, parsed (lineage replays values against the spec that made them)."""
    version = db.get(MetricSpecVersion, spec_id)
    if version is None:
        raise NotFound(N_("There is no metric spec version {id}."), id=spec_id)
    return _parsed(version.text)


def validate_spec(db: Session, text: str) -> MetricSpec:
    """Parse ``text`` and check it against the registered sources and the current bindings."""
    spec = load_spec(text)
    problems: list[Problem] = []
    sources = {s.code: s for s in db.scalars(select(DataSource))}
    for name, declared in spec.sources.items():
        path = f"sources.{name}"
        if declared.file is not None:
            problems.append(
                Problem(
                    N_(
                        "{path}: a saved spec reads registered sources only; register the file as a "
                        "data source and write table: <its code>."
                    ),
                    {"path": f"{path}.file"},
                    field=f"{path}.file",
                )
            )
            continue
        code = declared.table or name
        source = sources.get(code)
        if source is None:
            problems.append(
                Problem(
                    N_(
                        '{path}: there is no registered data source "{code}"; register it or use one of: {known}.'
                    ),
                    {"path": f"{path}.table", "code": code, "known": ", ".join(sorted(sources)) or "—"},
                    field=f"{path}.table",
                )
            )
            continue
        schema = schema_of(source)
        if schema.extra == "allow":
            continue  # undeclared columns may exist; the compiler checks the real ones
        wanted = {f"{path}.time_column": declared.time_column}
        wanted |= {f"{path}.dimensions.{d}": c for d, c in declared.dimensions.items()}
        for where, column in wanted.items():
            if schema.column(column) is None:
                problems.append(
                    Problem(
                        N_('{path}: the source {code} declares no column "{column}"; use one of: {known}.'),
                        {
                            "path": where,
                            "code": code,
                            "column": column,
                            "known": ", ".join(c.name for c in schema.columns),
                        },
                        field=where,
                    )
                )
    for binding in db.scalars(select(MetricBinding)):
        if binding.metric not in spec.metrics:
            problems.append(
                Problem(
                    N_(
                        'metrics: the metric "{metric}" is bound to the card {card}; keep it in the spec '
                        "or unbind the card first."
                    ),
                    {"metric": binding.metric, "card": binding.card.code},
                    field="metrics",
                )
            )
    if problems:
        raise ValidationFailed(
            N_("The metric spec cannot be saved: {count} problem(s), each naming its place and the fix."),
            problems=problems,
            count=len(problems),
        )
    return spec


def save_spec(db: Session, principal: Principal, text: str, *, note: str = "") -> MetricSpecVersion:
    """Check and save a spec; saving the content in force again keeps its version.

    Going back to an earlier spec saves it again as the newest version, so the newest row is
    always the one in force."""
    principal.require(*DATA_ROLES)
    spec = validate_spec(db, text)
    digest = spec.version_hash()
    current = current_spec(db)
    if current is not None and current.version.content_hash == digest:
        return current.version
    version = MetricSpecVersion(text=text, content_hash=digest, note=note, saved_by=principal.username)
    db.add(version)
    db.flush()
    audit.record(
        db,
        principal.actor,
        action="create",
        entity="metric_spec",
        entity_id=version.id,
        changes={"hash": (None, digest)},
    )
    return version


def bindings(db: Session) -> list[MetricBinding]:
    """Every card bound to a metric, by card code."""
    return sorted(db.scalars(select(MetricBinding)), key=lambda b: b.card.code)


def bind(db: Session, principal: Principal, card_code: str, metric: str) -> MetricBinding:
    """Compute the card ``card_code`` from the metric ``metric`` of the spec in force."""
    principal.require(*DATA_ROLES)
    spec = require_spec(db).spec
    if metric not in spec.metrics:
        raise ValidationFailed(
            N_('metric: the spec has no metric "{metric}"; use one of: {known}.'),
            metric=metric,
            known=", ".join(sorted(spec.metrics)),
            field="metric",
        )
    card = indicators.get_card_by_code(db, card_code)
    binding = db.scalar(select(MetricBinding).where(MetricBinding.card_id == card.id))
    if binding is None:
        binding = MetricBinding(card_id=card.id, metric=metric, created_by=principal.username)
        db.add(binding)
        db.flush()
        audit.record(
            db,
            principal.actor,
            action="create",
            entity="metric_binding",
            entity_id=binding.id,
            changes={"card": (None, card.code), "metric": (None, metric)},
        )
    elif binding.metric != metric:
        audit.record(
            db,
            principal.actor,
            action="update",
            entity="metric_binding",
            entity_id=binding.id,
            changes={"metric": (binding.metric, metric)},
        )
        binding.metric = metric
        db.flush()
    return binding


def unbind(db: Session, principal: Principal, card_code: str) -> None:
    """Stop computing the card from data (its actuals are then entered by hand)."""
    principal.require(*DATA_ROLES)
    card = indicators.get_card_by_code(db, card_code)
    binding = db.scalar(select(MetricBinding).where(MetricBinding.card_id == card.id))
    if binding is None:
        raise NotFound(N_("The card {card} is not bound to a metric."), card=card_code)
    audit.record(
        db,
        principal.actor,
        action="delete",
        entity="metric_binding",
        entity_id=binding.id,
        changes={"metric": (binding.metric, None)},
    )
    db.delete(binding)
    db.flush()
