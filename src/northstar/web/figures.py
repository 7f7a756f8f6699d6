"""Scores, measured values and targets as people read them, in the page's language; shared by the
cycle pages and the dashboards so that a number reads the same wherever it appears."""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal, InvalidOperation
from typing import Any

from northstar.errors import N_
from northstar.web.i18n import Translator

ANCHOR_WORDS = {
    "threshold": N_("threshold"),
    "target": N_("target"),
    "stretch": N_("stretch"),
    "low": N_("low"),
    "high": N_("high"),
    "tolerance": N_("tolerance"),
    "lower": N_("from"),
    "upper": N_("below"),
}

#: where an actual comes from ("": nothing yet)
ORIGIN_WORDS = {
    "computed": N_("computed from data"),
    "manual": N_("entered by hand"),
    "rating": N_("manager's rating"),
    "": N_("no value yet"),
}


def number_text(t: Translator, value: Decimal | None) -> str:
    """A score or a weight for the locale, at most two decimals."""
    return "—" if value is None else t.number(round(value, 2))


def value_text(t: Translator, raw: str | None, unit: str | None, kind: str = "") -> str:
    """An actual as people read it: a number for the locale with its unit, yes/no in words, a
    rubric level as its code."""
    if raw is None or raw == "":
        return "—"
    if kind == "yes_no":
        return t.gettext("yes") if raw.strip().lower() in ("yes", "是", "1", "true") else t.gettext("no")
    try:
        return t.figure(Decimal(raw), unit)
    except InvalidOperation:
        return raw


def anchors_text(t: Translator, anchors: Mapping[str, Any]) -> str:
    """The numbers a cycle's targets set, in words: "threshold 60 · target 45 · stretch 30"."""
    if "bands" in anchors:
        parts = []
        for band in anchors["bands"]:
            lower, upper = band.get("lower"), band.get("upper")
            if lower is None:
                parts.append(f"< {upper}")
            elif upper is None:
                parts.append(f"≥ {lower}")
            else:
                parts.append(f"{lower}–{upper}")
        return " | ".join(parts)
    return " · ".join(f"{t.gettext(ANCHOR_WORDS.get(k, k))} {v}" for k, v in anchors.items() if v is not None)
