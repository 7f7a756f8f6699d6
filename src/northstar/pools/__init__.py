"""Department KPI pools (S5): candidates first, tiers and the core set later."""
