"""The scoring engine: pure functions from rules and actuals to scores with their arithmetic.
No database, no I/O (DESIGN.md, "Scoring engine")."""

from northstar.scoring.engine import Score, ScoringError, score
from northstar.scoring.problems import RuleProblem, parse_rule, rule_problems
from northstar.scoring.rollup import (
    Item,
    ItemResult,
    RollupResult,
    WeightedMean,
    combine,
    grade_for,
    renormalised,
    roll_up,
)
from northstar.scoring.steps import Step, render, render_each

__all__ = [
    "Item",
    "ItemResult",
    "RollupResult",
    "RuleProblem",
    "Score",
    "ScoringError",
    "Step",
    "WeightedMean",
    "combine",
    "grade_for",
    "parse_rule",
    "render",
    "render_each",
    "renormalised",
    "roll_up",
    "rule_problems",
    "score",
]
