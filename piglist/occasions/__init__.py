"""Occasions: the days a group gives on (Christmas for every list, a birthday for one), the
reminders before them, the calendar feed that shows them, and the reveal after them.

``service`` holds the occasions and who may do what; ``reminders``, ``calendar`` and ``reveal``
each own their part; ``routes`` is the pages' blueprint (registered in create_app).
"""
