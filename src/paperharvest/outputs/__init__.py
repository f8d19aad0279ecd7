"""What users read, made from store queries: pure rendering, rows in and text out."""
