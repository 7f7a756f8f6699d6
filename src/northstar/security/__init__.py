"""Accounts, sessions, API tokens, roles and the record scope."""
