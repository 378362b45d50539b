"""Test support shared by the test modules (fixtures, helpers)."""
