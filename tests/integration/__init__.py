"""Integration tests: databases (SQLite files, PostgreSQL), Redis, one in-process server, nginx's
configuration check, the command line as a subprocess (docs/testing.md)."""
