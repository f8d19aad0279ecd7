"""The only code that touches SQLite (and, in prepare.py, the pure code that makes the rows it writes)."""
