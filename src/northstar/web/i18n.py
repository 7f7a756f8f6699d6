"""Languages: Babel catalogues for zh_CN and en, negotiation, and locale-aware formatting.

The .po files are the source; they are compiled in memory at start-up, so there is no build
step that could leave a stale .mo behind.
"""

from __future__ import annotations

import io
from datetime import date, datetime
from decimal import Decimal
from functools import lru_cache
from pathlib import Path
from typing import Any

from babel import Locale
from babel.dates import format_date, format_datetime, format_skeleton, get_timezone
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from babel.numbers import format_currency, format_decimal, format_percent
from babel.support import Translations

from northstar.errors import N_, Label, Named, zh_of
from northstar.web.labels import CARD_WORDS

SUPPORTED = ("zh_CN", "en")
TRANSLATIONS_DIR = Path(__file__).parent / "translations"
DISPLAY_TZ = "Asia/Shanghai"


def normalise(tag: str | None) -> str | None:
    """'zh-CN', 'zh_cn', 'zh-Hans-CN', 'zh' → 'zh_CN'; 'en-US', 'en_GB' → 'en'; else None."""
    if not tag:
        return None
    t = tag.strip().replace("-", "_").lower()
    if t.startswith("zh"):
        return "zh_CN"
    if t.startswith("en"):
        return "en"
    return None


def parse_accept_language(header: str | None) -> list[str]:
    """Supported locales from an Accept-Language header, by descending q."""
    if not header:
        return []
    weighted: list[tuple[float, int, str]] = []
    for idx, part in enumerate(header.split(",")):
        bits = part.strip().split(";")
        q = 1.0
        for b in bits[1:]:
            if b.strip().startswith("q="):
                try:
                    q = float(b.strip()[2:])
                except ValueError:
                    q = 0.0
        loc = normalise(bits[0])
        if loc and q > 0:
            weighted.append((-q, idx, loc))
    return [loc for _, _, loc in sorted(weighted)]


def negotiate(
    *, user_setting: str | None, query: str | None, accept_language: str | None, default: str
) -> str:
    """The user's setting wins, then ``?lang=``, then Accept-Language, then the default."""
    for candidate in (normalise(user_setting), normalise(query)):
        if candidate:
            return candidate
    accepted = parse_accept_language(accept_language)
    return accepted[0] if accepted else default


@lru_cache(maxsize=4)
def translations(locale: str) -> Translations:
    po_path = TRANSLATIONS_DIR / locale / "LC_MESSAGES" / "messages.po"
    with po_path.open("rb") as fh:
        catalog = read_po(fh, locale=locale)
    buf = io.BytesIO()
    write_mo(buf, catalog)
    buf.seek(0)
    return Translations(buf)


class Translator:
    """Everything a page or an error handler needs to speak one locale."""

    def __init__(self, locale: str) -> None:
        self.locale = locale
        self.babel_locale = Locale.parse(locale)
        self._t = translations(locale)

    def _param(self, value: Any) -> Any:
        if isinstance(value, Label):
            return self._t.gettext(value)
        if isinstance(value, Named):
            return zh_of(value) if self.locale.startswith("zh") else str(value)
        return value

    def gettext(self, message: str, **params: Any) -> str:
        text = self._t.gettext(message)
        if params:
            params = {k: self._param(v) for k, v in params.items()}
            try:
                return text.format(**params)
            except (KeyError, IndexError, ValueError):
                return text
        return text

    def ngettext(self, singular: str, plural: str, n: int, **params: Any) -> str:
        text = self._t.ngettext(singular, plural, n)
        return text.format(n=n, **params)

    def number(self, value: int | float | Decimal | None, digits: int | None = None) -> str:
        if value is None:
            return "—"
        fmt = None if digits is None else "#,##0." + "0" * digits if digits else "#,##0"
        return format_decimal(value, format=fmt, locale=self.babel_locale)

    def figure(self, value: Decimal | None, unit: str | None) -> str:
        """A measured figure: two decimals at most, with its unit ("96.5%", "12 分钟")."""
        if value is None:
            return "—"
        text = self.number(round(value, 2))
        if unit == "percent":
            return f"{text}%"
        return f"{text} {self.gettext(CARD_WORDS.get(unit, unit))}" if unit else text

    def period(self, grain: str, start: date) -> str:
        """A period by its grain: "Jan 2026" / "2026年1月", "Q1 2026", "2026", or the week's first day."""
        skeleton = {"month": "yMMM", "quarter": "yQQQ", "year": "y"}.get(grain)
        if skeleton is None:
            return self.gettext(N_("week of {day}"), day=self.date(start))
        return format_skeleton(skeleton, start, locale=self.babel_locale)

    def percent(self, value: float | Decimal | None, digits: int = 1) -> str:
        if value is None:
            return "—"
        return format_percent(value, format="#,##0." + "0" * digits + "%", locale=self.babel_locale)

    def money(self, value: int | float | Decimal | None, currency: str = "CNY") -> str:
        if value is None:
            return "—"
        return format_currency(value, currency, locale=self.babel_locale)

    def date(self, value: date | None, fmt: str = "medium") -> str:
        if value is None:
            return "—"
        return format_date(value, format=fmt, locale=self.babel_locale)

    def datetime(self, value: datetime | None, fmt: str = "medium") -> str:
        if value is None:
            return "—"
        return format_datetime(value, format=fmt, tzinfo=get_timezone(DISPLAY_TZ), locale=self.babel_locale)
