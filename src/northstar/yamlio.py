"""YAML read with libyaml's C parser where PyYAML was built with it (a design file of the demo's
size parses in a fifth of the time), the pure-Python safe loader otherwise. Both refuse the same
things (no Python objects, only plain data) and raise the same ``yaml.YAMLError`` with the line
and column of the problem."""

from __future__ import annotations

from typing import Any

import yaml


def load(text: str | bytes) -> Any:
    """The plain data of one YAML document, like ``yaml.safe_load``."""
    if yaml.__with_libyaml__:
        return yaml.load(text, Loader=yaml.CSafeLoader)
    return yaml.safe_load(text)
