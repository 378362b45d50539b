"""End-to-end tests: the real Rasa and action servers, Chromium, the cluster (docs/testing.md)."""
