"""Conformance suites run against a live server (see conftest.py)."""
