"""Family groups: membership, roles, categories and the lock (service.py)."""
