"""Helpers shared by the test suites (database selection, live servers)."""
