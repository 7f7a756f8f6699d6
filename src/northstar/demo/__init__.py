"""The demo company generator."""
