"""Metric definitions and formulas: pure, no web and no ORM (DESIGN.md, "Metrics engine")."""
