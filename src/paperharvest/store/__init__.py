"""The only code that touches SQLite."""
