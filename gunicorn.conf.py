"""gunicorn reads this file (from the working directory) before it starts anything: a setting that
can't work stops the web line here with one ``Error: …`` line, before any worker boots, instead of
every worker failing with a traceback and gunicorn's "Worker failed to boot".

It also builds the static files' fingerprinted, precompressed copies (piglist/web/assets.py) once,
in the arbiter, before any worker reads their manifest: a fresh clone serves them without a step
of its own."""

from config import ConfigError, check_environment, refuse_to_start

try:
    check_environment()
except ConfigError as problem:
    refuse_to_start(problem)


def on_starting(server) -> None:
    from piglist.web.assets import build_static_files

    build_static_files()
