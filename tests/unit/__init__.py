"""Unit tests: pure code, files on disk and SQLite in a temporary file; no servers, no database
server, no browser (docs/testing.md)."""
