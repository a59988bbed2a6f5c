"""Fixtures of the data tests (defined in data_helpers)."""
from data_helpers import songs  # noqa: F401  (a fixture)
