"""fetch_* generators: each talks to one API and yields raw payloads. They know nothing of SQLite."""
