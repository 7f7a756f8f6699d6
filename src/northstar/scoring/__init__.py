"""The scoring engine: pure functions from rules and actuals to scores with their arithmetic.
No database, no I/O (DESIGN.md, "Scoring engine")."""
