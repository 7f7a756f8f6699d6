"""The parts of the workspace file, in the order they import (later parts refer to earlier ones)."""

from __future__ import annotations

from collections.abc import Sequence

from northstar.customers import io as customers_io
from northstar.journey import io as journey_io
from northstar.strategy import io as strategy_io
from northstar.workspace.service import Part

PARTS: tuple[Part, ...] = (customers_io.PART, strategy_io.PART, journey_io.PART)


def select_parts(keys: Sequence[str] | None) -> list[Part]:
    """The parts named by ``keys`` (all of them when none are named), in import order."""
    return [p for p in PARTS if not keys or p.key in keys]
