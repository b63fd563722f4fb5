"""gunicorn reads this file (from the working directory) before it starts anything: a setting that
can't work stops the web line here with one ``Error: …`` line, before any worker boots, instead of
every worker failing with a traceback and gunicorn's "Worker failed to boot".

It also builds the static files' fingerprinted, precompressed copies (piglist/web/assets.py) once,
in the arbiter, before any worker reads their manifest: a fresh clone serves them without a step
of its own. And a worker told to stop ends its live connections at once (:func:`post_worker_init`)."""

from config import ConfigError, check_environment, refuse_to_start

try:
    check_environment()
except ConfigError as problem:
    refuse_to_start(problem)


def on_starting(server) -> None:
    from piglist.web.assets import build_static_files

    build_static_files()


def post_worker_init(worker) -> None:
    """A worker told to stop ends its sockets and long polls at once (piglist.live.leave_when):
    otherwise it would wait out graceful_timeout (30 s) for connections that never end."""
    from piglist.live import leave_when

    # Only Piglist has a live layer: not gunicorn's stand-in for an app that failed to load, nor
    # the bare Flask apps bench/web.py serves with this file (its floor and ceiling).
    if "piglist_live" in getattr(worker.wsgi, "extensions", {}):
        leave_when(worker.wsgi, lambda: not worker.alive)
