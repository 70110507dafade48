"""Pydantic models of every format rb-lint reads: the single source of truth for the schemas."""
