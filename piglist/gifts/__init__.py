"""Piglists and gifts: the lists, adding and editing gifts, buying them (the blueprint is in
``routes``; the live layer imports ``loading`` and ``reading`` without pulling the routes in)."""
