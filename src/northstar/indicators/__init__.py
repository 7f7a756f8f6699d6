"""Indicator cards (S6.3) and the bilingual indicator library they are taken from (S5.4)."""
