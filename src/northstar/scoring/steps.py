"""The arithmetic a score prints: one ``Step`` per line, a catalogue template and its numbers.

Templates are English catalogue keys (marked with ``N_`` where they are written) so the web
layer can show the same arithmetic in Chinese; the parameters are already formatted strings,
so a translation only reorders words, never numbers.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from decimal import ROUND_HALF_EVEN, ROUND_HALF_UP, Context, Decimal, localcontext

from northstar.errors import Named, zh_of

#: Every score is rounded to this many places, half up, as people round by hand.
SCORE_PLACES = Decimal("0.01")

# A context of our own: the caller's global context (its precision, its rounding) must not
# change a score, and 34 digits leave room for any product of two plausible numbers.
CONTEXT = Context(prec=34, rounding=ROUND_HALF_EVEN)


def number(value: Decimal | int) -> str:
    """A number printed plainly: no exponent, no trailing zeros, no thousands separator."""
    text = format(Decimal(value), "f")
    if "." in text:
        text = text.rstrip("0").rstrip(".")
    return "0" if text in ("-0", "") else text


def round_score(value: Decimal) -> Decimal:
    """The score to two decimals, half up."""
    with localcontext(Context(prec=max(34, value.adjusted() + 4))):
        return value.quantize(SCORE_PLACES, rounding=ROUND_HALF_UP)


def score_number(value: Decimal) -> str:
    """A score printed the way it is stored: rounded to at most two decimals."""
    return number(round_score(value))


def described(en: str, zh: str) -> Named:
    """A bilingual description as one step parameter: English by default, Chinese for zh."""
    return Named(en or zh, zh or en)


def listed(texts: Sequence[str], *, en: str = ", ", zh: str = "、") -> str:
    """Texts joined into one step parameter; when any of them has a Chinese name, the parameter
    has one too, so that a Chinese reader sees each text in Chinese."""
    english = en.join(texts)
    if not any(isinstance(t, Named) for t in texts):
        return english
    return Named(english, zh.join(zh_of(t) for t in texts))


@dataclass(frozen=True)
class Step:
    """One line of arithmetic: an English catalogue template and its formatted parameters."""

    template: str
    params: Mapping[str, str] = field(default_factory=dict)

    def render(self, gettext: Callable[[str], str] | None = None, *, locale: str = "en") -> str:
        """This line in the reader's language (``gettext`` translates the template)."""
        zh = locale.replace("-", "_").lower().startswith("zh")
        params = {key: (zh_of(value) if zh else str(value)) for key, value in self.params.items()}
        text = gettext(self.template) if gettext else self.template
        try:
            return text.format(**params)
        except (KeyError, IndexError, ValueError):
            # A translation that names a parameter we do not have must not hide the arithmetic.
            return self.template.format(**params)


def render_each(
    steps: Iterable[Step], gettext: Callable[[str], str] | None = None, *, locale: str = "en"
) -> list[str]:
    """Each step as a line of text, translated by ``gettext`` when given."""
    return [step.render(gettext, locale=locale) for step in steps]


def render(steps: Iterable[Step], gettext: Callable[[str], str] | None = None, *, locale: str = "en") -> str:
    """The steps as text, one line each, translated by ``gettext`` when given."""
    return "\n".join(render_each(steps, gettext, locale=locale))
