"""The WSGI entry point: ``gunicorn wsgi:app`` (see Procfile) and ``flask --app wsgi``."""

import gc

from config import ConfigError, refuse_to_start
from piglist import create_app
from piglist.ops import errortracking

try:
    app = create_app()
except ConfigError as problem:
    refuse_to_start(problem)
errortracking.init_app(app, "web")

# Everything made so far (modules, the app, mappers, templates' machinery: ~134,000 objects) lives
# as long as the process. Frozen, the collector stops walking it: a full collection, which stops
# every greenlet of a gevent worker, took ~70 ms before and well under 1 ms after.
gc.freeze()

# What is made later (each open socket's greenlet, frames and buffers: ~70 KiB) outlives most
# collections too. At Python's default first threshold (700 allocations) it was promoted fast, and
# full collections came every few seconds while tabs opened, each walking every socket: 33 ms at
# first, 300 ms at 2,500 sockets a process, now and then in the middle of an event's
# fan-out (every greenlet of the process stops meanwhile). At 20,000 young objects are given time
# to die young: in a one-group harness (bench-live's sockets with a gc.callbacks hook), no full
# collection came while 5,000 sockets opened or events went out; pauses over 20 ms 37 (4.3 s in
# all) -> 8 (1.1 s: full collections once the sockets had closed, and collections of the middle
# generation while they opened); six events to the 5,000 pooled, p99 606 -> 294 ms.
gc.set_threshold(20_000, 10, 10)
