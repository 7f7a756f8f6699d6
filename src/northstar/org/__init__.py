"""The organisation: departments, positions, employees."""
