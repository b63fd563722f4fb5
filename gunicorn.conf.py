"""gunicorn reads this file (from the working directory) before it starts anything: a setting that
can't work stops the web line here with one ``Error: …`` line, before any worker boots, instead of
every worker failing with a traceback and gunicorn's "Worker failed to boot"."""

from config import ConfigError, check_environment, refuse_to_start

try:
    check_environment()
except ConfigError as problem:
    refuse_to_start(problem)
