"""Piglists and gifts: the rules (service.py), the surprise rule (visibility.py), live updates (live.py)."""
