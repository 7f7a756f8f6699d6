"""Strategy consensus (S1.1); the enterprise balanced scorecard joins it later (S4)."""
