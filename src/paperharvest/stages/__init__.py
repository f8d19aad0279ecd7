"""One module per stage of a fetch: each fetches, normalizes and stores its own part, in small transactions,
and can be run alone. `pipeline.py` runs them in order."""
