"""Position design by the key-responsibility-output method (S6.1)."""
