"""The broad customer view (S1.2, S1.3) and value propositions of key segments (S2)."""
