"""Northstar (北极星): customer-oriented performance management."""

__version__ = "0.1.0"
