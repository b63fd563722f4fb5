"""Operating Piglist: the ``flask piglist`` commands, the housekeeping chores the worker runs,
site-wide figures and the demo family. Each calls the same services the pages call."""
