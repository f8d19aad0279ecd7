"""Pure functions: raw payloads in, pydantic records out. No I/O, no clock."""
