"""Helpers and test servers shared by the suite (fixtures stay in conftest.py)."""
