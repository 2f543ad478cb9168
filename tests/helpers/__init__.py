"""Builders and oracles shared by the tests (imported as helpers.<module>)."""
