"""Helpers for testing ops: hypothesis strategies (`tinydl.testing.strategies`).

Needs the test extra (`pip install tinydl[test]`), which brings hypothesis.
"""
